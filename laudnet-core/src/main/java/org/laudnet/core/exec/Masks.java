package org.laudnet.core.exec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.mask.MaskOps;
import org.laudnet.core.plan.BlockPlan;

/**
 * The host copy of one call's gate decisions for one block, with the statistics the paths and the reports derive from
 * them: per-sample densities (method section 1, "Mask expansion"), the active patches, the samples grouped by channel
 * pattern. Immutable after construction (derived tables are computed lazily by the owning thread).
 */
final class Masks {

    final BlockPlan plan;
    final int batch;
    /** Spatial (or layer) decisions, null without a spatial gate. */
    final SpatialCells cells;
    /** Channel decisions {@code (B, G)} as 0/1, null without a channel gate. */
    final float[] channels;
    final int activeCells;
    private final List<BlockDensities> sampleDensities;
    private final BlockDensities densities;
    /** Union over mask groups {@code (B, m, m)} as 0/1 ints, null until needed. */
    private int[] union;
    /** Open union cells per sample, null until needed. */
    private int[] openCells;
    /** Dilated-mask pixels per sample (union over groups), null until needed or without a spatial gate. */
    private int[] m1Pixels;
    private Map<BitSet, int[]> patterns;
    /** The union clusters by merge costs, built on first use (a call asks for two or three). */
    private Map<ChannelClusters.Costs, List<ChannelClusters.Cluster>> clusters;

    Masks(BlockPlan plan, int batch, float[] cells, float[] channels) {
        this.plan = plan;
        this.batch = batch;
        this.cells = cells == null ? null : grid(plan, batch, cells);
        this.channels = channels;
        int a = 0;
        if (cells != null) {
            for (float c : this.cells.cells()) {
                a += c != 0f ? 1 : 0;
            }
            if (plan.mode() != GateMode.LAYER) {
                this.m1Pixels = new int[batch];
            }
        }
        this.activeCells = a;
        BlockDensities[] perSample = new BlockDensities[batch];
        double d1 = 0;
        double d2 = 0;
        double d3 = 0;
        double dc = 0;
        for (int b = 0; b < batch; b++) {
            BlockDensities d = sampleDensities(b);
            perSample[b] = d;
            d1 += d.d1();
            d2 += d.d2();
            d3 += d.d3();
            dc += d.dc();
        }
        this.sampleDensities = List.of(perSample);
        this.densities = new BlockDensities(clamp(d1 / batch), clamp(d2 / batch), clamp(d3 / batch),
                clamp(dc / batch));
    }

    /**
     * The executors' cell grid of a call: the gate's {@code (B, gs, m, m)} decisions as they are for even cells; for
     * uneven cells ({@link BlockPlan#evenCells()} false) expanded to the per-pixel grid {@code (B, gs, Hout, Hout)}
     * by nearest interpolation ({@link MaskOps#nearestIndex}), which cell size 1 then executes exactly. Decisions
     * already on the per-pixel grid (a gate override's) are taken as they are.
     */
    private static SpatialCells grid(BlockPlan plan, int batch, float[] cells) {
        int gs = plan.spatialGroups();
        if (plan.evenCells()) {
            return new SpatialCells(cells, batch, gs, plan.maskSize(), plan.granularity());
        }
        int m = plan.maskSize();
        int h = plan.executionGridSize();
        if (cells.length == batch * gs * h * h) {
            return new SpatialCells(cells, batch, gs, h, 1);
        }
        if (cells.length != batch * gs * m * m) {
            throw new IllegalArgumentException("spatial decisions must hold " + batch * gs * m * m + " cells (B, gs, "
                    + m + ", " + m + "), got " + cells.length);
        }
        int[] src = new int[h];
        for (int y = 0; y < h; y++) {
            src[y] = MaskOps.nearestIndex(y, m, h);
        }
        float[] out = new float[batch * gs * h * h];
        for (int bq = 0; bq < batch * gs; bq++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < h; x++) {
                    out[(bq * h + y) * h + x] = cells[(bq * m + src[y]) * m + src[x]];
                }
            }
        }
        return new SpatialCells(out, batch, gs, h, 1);
    }

    private static double clamp(double v) {
        return Math.max(0, Math.min(1, v));
    }

    /**
     * Computes one sample's densities; for a spatial gate (not LAYER) also its {@link #m1Pixels(int)} count.
     */
    private BlockDensities sampleDensities(int b) {
        double dc = 1;
        if (channels != null) {
            int g = plan.channelGroups();
            int on = 0;
            for (int q = 0; q < g; q++) {
                on += channels[b * g + q] != 0f ? 1 : 0;
            }
            dc = on / (double) g;
        }
        if (cells == null) {
            return new BlockDensities(1, 1, 1, dc);
        }
        int per = cells.groups() * cells.maskSize() * cells.maskSize();
        int open = 0;
        for (int c = 0; c < per; c++) {
            open += cells.cells()[b * per + c] != 0f ? 1 : 0;
        }
        double d3 = open / (double) per;
        // conv1 and conv2 compute every position that some mask group keeps (the union); conv3 per group
        double d2 = openCells(b) / (double) (cells.maskSize() * cells.maskSize());
        if (plan.mode() == GateMode.LAYER) {
            return new BlockDensities(d2, d2, d3, dc);
        }
        int n = dilatedUnionCount(b);
        m1Pixels[b] = n;
        return new BlockDensities(clamp(n / (double) conv1Pixels()), d2, d3, dc);
    }

    private long conv1Pixels() {
        BlockGeometry g = plan.geometry();
        return plan.bottleneck() ? g.conv1Pixels() : g.outPixels();
    }

    private int conv1Height() {
        BlockGeometry g = plan.geometry();
        return plan.bottleneck() ? g.conv1OutHeight() : g.outHeight();
    }

    private int conv1Width() {
        BlockGeometry g = plan.geometry();
        return plan.bottleneck() ? g.conv1OutWidth() : g.outWidth();
    }

    /**
     * Counts the positions of conv1's output that conv2 reads for one sample: the union over mask groups of the cells,
     * placed on the stride-{@code s} grid and dilated by the 3x3 window ({@code M1}). Each open cell {@code (i, j)}
     * covers the rows {@code [i t - 1, i t - 1 + k)} and the columns {@code [j t - 1, j t - 1 + k)} of conv1's output
     * (clipped to it), with {@code t} the pixel step between cells and {@code k} a cell's side plus its halo. Counted
     * row by row: a row's covered columns are the union of the column spans of the open cells in the cell rows that
     * cover it, swept in column order; consecutive rows covered by the same cell rows share that count. About
     * {@code h1 m} steps instead of {@code (open cells) k^2} marks.
     */
    private int dilatedUnionCount(int b) {
        BlockGeometry g = plan.geometry();
        int m = cells.maskSize();
        int s = cells.cellSize();
        int s2 = plan.bottleneck() ? g.conv2Stride() : 1;
        int h1 = conv1Height();
        int w1 = conv1Width();
        int t = s2 * s;
        int k = s2 * (s - 1) + 3;
        int[] u = union();
        int base = b * m * m;
        int count = 0;
        int lastLo = -1;
        int lastHi = -1;
        int lastCovered = 0;
        for (int r = 0; r < h1; r++) {
            // the cell rows i with i t - 1 <= r < i t - 1 + k
            int lo = Math.max(0, -Math.floorDiv(k - r - 2, t));
            int hi = Math.min(m - 1, Math.floorDiv(r + 1, t));
            if (lo > hi) {
                continue;
            }
            if (lo != lastLo || hi != lastHi) {
                lastLo = lo;
                lastHi = hi;
                lastCovered = 0;
                int end = 0;
                for (int j = 0; j < m; j++) {
                    boolean open = false;
                    for (int i = lo; i <= hi && !open; i++) {
                        open = u[base + i * m + j] != 0;
                    }
                    if (!open) {
                        continue;
                    }
                    int from = Math.max(Math.max(j * t - 1, 0), end);
                    int to = Math.min(j * t - 1 + k, w1);
                    if (to > from) {
                        lastCovered += to - from;
                        end = to;
                    }
                }
            }
            count += lastCovered;
        }
        return count;
    }

    /** Returns the batch's densities (means over samples). */
    BlockDensities densities() {
        return densities;
    }

    /** Returns each sample's densities (an immutable list, built once). */
    List<BlockDensities> sampleDensities() {
        return sampleDensities;
    }

    /** Returns the number of cells the spatial gate opened for sample {@code b} (union over mask groups). */
    int openCells(int b) {
        if (openCells == null) {
            int[] u = union();
            int mm = cells.maskSize() * cells.maskSize();
            int[] counts = new int[batch];
            for (int s = 0; s < batch; s++) {
                for (int c = 0; c < mm; c++) {
                    counts[s] += u[s * mm + c];
                }
            }
            openCells = counts;
        }
        return openCells[b];
    }

    /** Returns the union over mask groups {@code (B, m, m)}, built on first use. */
    private int[] union() {
        if (union == null) {
            union = cells.union();
        }
        return union;
    }

    /** Returns the dilated-mask pixel count of sample {@code b} (the conv1 rows of the M1 schedule). */
    int m1Pixels(int b) {
        if (cells == null) {
            return (int) conv1Pixels();
        }
        if (m1Pixels == null) {
            // LAYER mode: the densities did not need the dilated counts
            int[] counts = new int[batch];
            for (int s = 0; s < batch; s++) {
                counts[s] = dilatedUnionCount(s);
            }
            m1Pixels = counts;
        }
        return m1Pixels[b];
    }

    boolean allChannelsOpen() {
        if (channels == null) {
            return true;
        }
        for (float v : channels) {
            if (v == 0f) {
                return false;
            }
        }
        return true;
    }

    boolean allCellsOpen() {
        return cells == null || activeCells == cells.cells().length;
    }

    boolean allOpen() {
        return allCellsOpen() && allChannelsOpen();
    }

    boolean allCellsClosed() {
        return cells != null && activeCells == 0;
    }

    /** Returns the samples grouped by channel pattern, in first-seen order (one group of all samples without one). */
    Map<BitSet, int[]> patterns() {
        if (patterns == null) {
            Map<BitSet, List<Integer>> byPattern = new LinkedHashMap<>();
            int g = plan.channelGroups();
            for (int b = 0; b < batch; b++) {
                byPattern.computeIfAbsent(pattern(b), kk -> new ArrayList<>()).add(b);
            }
            Map<BitSet, int[]> r = new LinkedHashMap<>();
            byPattern.forEach((kk, v) -> r.put(kk, v.stream().mapToInt(Integer::intValue).toArray()));
            patterns = r;
        }
        return patterns;
    }

    /**
     * Returns the union clusters of {@link ExecutionPath#CHANNEL_UNION} for some merge costs (kept, so that the
     * path's features and its execution share one partition).
     *
     * @param costs the merge costs
     * @return the clusters
     */
    List<ChannelClusters.Cluster> clusters(ChannelClusters.Costs costs) {
        if (clusters == null) {
            clusters = new LinkedHashMap<>();
        }
        return clusters.computeIfAbsent(costs, c -> ChannelClusters.of(this, c));
    }

    /** Returns the open channel groups of sample {@code b} (a new set; every group without a channel gate). */
    BitSet pattern(int b) {
        int g = plan.channelGroups();
        BitSet key = new BitSet(g);
        if (channels == null) {
            key.set(0, g);
        } else {
            for (int q = 0; q < g; q++) {
                if (channels[b * g + q] != 0f) {
                    key.set(q);
                }
            }
        }
        return key;
    }

    /** Returns the number of distinct channel patterns (1 without a channel gate). */
    int patternGroups() {
        return channels == null ? 1 : patterns().size();
    }

    /** Returns the samples whose layer gate is open. */
    int[] openSamples() {
        int[] r = new int[batch];
        int n = 0;
        int per = cells.groups();
        for (int b = 0; b < batch; b++) {
            boolean open = false;
            for (int q = 0; q < per; q++) {
                open |= cells.cells()[b * per + q] != 0f;
            }
            if (open) {
                r[n++] = b;
            }
        }
        return Arrays.copyOf(r, n);
    }

    /**
     * Returns the union cell mask {@code (B, m, m)} restricted to some samples (the other samples' cells closed).
     *
     * @param samples the samples to keep, or null for all
     * @return the mask as ints; for all samples the shared table built with the masks, which callers only read
     */
    int[] cellMask(int[] samples) {
        int[] all = union();
        if (samples == null || samples.length == batch) {
            return all;
        }
        int mm = cells.maskSize() * cells.maskSize();
        int[] r = new int[all.length];
        for (int b : samples) {
            System.arraycopy(all, b * mm, r, b * mm, mm);
        }
        return r;
    }

    /** Returns the active units: open cells (spatial, layer) or open channel groups summed over the batch. */
    int activeUnits() {
        if (cells != null) {
            return activeCells;
        }
        if (channels != null) {
            int on = 0;
            for (float v : channels) {
                on += v != 0f ? 1 : 0;
            }
            return on;
        }
        return 0;
    }

    /** Returns the number of gate units: {@code B gs m^2}, {@code B G}, or 0 for a static block. */
    int totalUnits() {
        if (cells != null) {
            return cells.cells().length;
        }
        return channels != null ? channels.length : 0;
    }
}
