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
    private final BlockDensities[] sampleDensities;
    private final BlockDensities densities;
    private Map<BitSet, int[]> patterns;

    Masks(BlockPlan plan, int batch, float[] cells, float[] channels) {
        this.plan = plan;
        this.batch = batch;
        int m = plan.maskSize();
        this.cells = cells == null ? null
                : new SpatialCells(cells, batch, plan.spatialGroups(), m, plan.geometry().outHeight() / m);
        this.channels = channels;
        int a = 0;
        if (cells != null) {
            for (float c : cells) {
                a += c != 0f ? 1 : 0;
            }
        }
        this.activeCells = a;
        this.sampleDensities = new BlockDensities[batch];
        double d1 = 0;
        double d3 = 0;
        double dc = 0;
        for (int b = 0; b < batch; b++) {
            BlockDensities d = sampleDensities(b);
            sampleDensities[b] = d;
            d1 += d.d1();
            d3 += d.d3();
            dc += d.dc();
        }
        this.densities = new BlockDensities(clamp(d1 / batch), clamp(d3 / batch), clamp(d3 / batch),
                clamp(dc / batch));
    }

    private static double clamp(double v) {
        return Math.max(0, Math.min(1, v));
    }

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
        if (plan.mode() == GateMode.LAYER) {
            return new BlockDensities(d3, d3, d3, dc);
        }
        double d1 = 0;
        for (int q = 0; q < cells.groups(); q++) {
            d1 += dilatedCount(b, q) / (double) conv1Pixels();
        }
        return new BlockDensities(clamp(d1 / cells.groups()), d3, d3, dc);
    }

    private long conv1Pixels() {
        BlockGeometry g = plan.geometry();
        return plan.bottleneck() ? g.conv1Pixels() : g.outPixels();
    }

    /**
     * Counts the positions of conv1's output that conv2 reads for one sample and mask group: the group's cells placed
     * on the stride-{@code s} grid and dilated by the 3x3 window ({@code M1}).
     */
    private int dilatedCount(int b, int q) {
        BlockGeometry g = plan.geometry();
        int m = cells.maskSize();
        int s = cells.cellSize();
        int s2 = plan.bottleneck() ? g.conv2Stride() : 1;
        int h1 = plan.bottleneck() ? g.conv1OutHeight() : g.outHeight();
        int w1 = plan.bottleneck() ? g.conv1OutWidth() : g.outWidth();
        int k = s2 * (s - 1) + 3;
        boolean[] mark = new boolean[h1 * w1];
        int count = 0;
        int base = (b * cells.groups() + q) * m * m;
        for (int c = 0; c < m * m; c++) {
            if (cells.cells()[base + c] == 0f) {
                continue;
            }
            int r0 = s2 * (c / m) * s - 1;
            int c0 = s2 * (c % m) * s - 1;
            for (int a = 0; a < k; a++) {
                int rr = r0 + a;
                if (rr < 0 || rr >= h1) {
                    continue;
                }
                for (int bb = 0; bb < k; bb++) {
                    int cc = c0 + bb;
                    if (cc >= 0 && cc < w1 && !mark[rr * w1 + cc]) {
                        mark[rr * w1 + cc] = true;
                        count++;
                    }
                }
            }
        }
        return count;
    }

    /** Returns the batch's densities (means over samples). */
    BlockDensities densities() {
        return densities;
    }

    /** Returns each sample's densities. */
    List<BlockDensities> sampleDensities() {
        return List.of(sampleDensities);
    }

    /** Returns the number of cells the spatial gate opened for sample {@code b} (union over mask groups). */
    int openCells(int b) {
        int mm = cells.maskSize() * cells.maskSize();
        int[] union = cells.union();
        int n = 0;
        for (int c = 0; c < mm; c++) {
            n += union[b * mm + c];
        }
        return n;
    }

    /** Returns the dilated-mask pixel count of sample {@code b} (the conv1 rows of the M1 schedule). */
    int m1Pixels(int b) {
        if (cells == null) {
            return (int) conv1Pixels();
        }
        int n = 0;
        for (int q = 0; q < cells.groups(); q++) {
            n = Math.max(n, dilatedCount(b, q));
        }
        return n;
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
                byPattern.computeIfAbsent(key, kk -> new ArrayList<>()).add(b);
            }
            Map<BitSet, int[]> r = new LinkedHashMap<>();
            byPattern.forEach((kk, v) -> r.put(kk, v.stream().mapToInt(Integer::intValue).toArray()));
            patterns = r;
        }
        return patterns;
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
     * @return the mask as ints
     */
    int[] cellMask(int[] samples) {
        int[] union = cells.union();
        if (samples == null || samples.length == batch) {
            return union;
        }
        int mm = cells.maskSize() * cells.maskSize();
        int[] r = new int[union.length];
        for (int b : samples) {
            System.arraycopy(union, b * mm, r, b * mm, mm);
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
