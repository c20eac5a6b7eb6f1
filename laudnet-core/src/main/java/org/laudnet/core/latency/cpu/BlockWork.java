package org.laudnet.core.latency.cpu;

import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.latency.BlockLatencyQuery;
import org.laudnet.core.plan.BlockPlan;

/**
 * The work one execution path of the CPU inference engine does for one call on a whole batch, computed from a {@link
 * BlockLatencyQuery} alone (no mask is needed): the features of the block terms of {@link CpuTerm}.
 *
 * <p>Notation: batch {@code B}, block input {@code (Cin, Hin, Win)}, width {@code w}, output {@code (Cout, Ho, Wo)},
 * conv1 output {@code H1 x W1}, 3x3 groups {@code g}, conv2 stride {@code s2}, granularity {@code S}, active patches
 * {@code n = B * n_p} ({@link BlockLatencyQuery#activePatchesPerImage()}), window side {@code K = s2 (S - 1) + 3},
 * active inner channels {@code w' = dc * w} (channel gating) or {@code w}.
 *
 * <ul>
 *   <li>{@code macs1x1}: MACs of the {@code 1x1} convolutions/GEMMs that run (bottleneck conv1 and conv3, the
 *       downsample). {@code macs3x3}: MACs of the {@code 3x3} convolutions that run (bottleneck conv2, both convs
 *       of a basic block). Dense bottleneck: conv1 {@code B H1 W1 Cin w}, conv2 {@code B Ho Wo w^2 9 / g}, conv3
 *       {@code B Ho Wo w Cout}; dense basic block: conv1 {@code B Ho Wo Cin w 9}, conv2 {@code B Ho Wo w Cout 9};
 *       downsample {@code B Ho Wo Cin Cout} (always on the whole batch). Layer: the branch convs times the open
 *       samples over {@code B}. Channel: {@code w} replaced by {@code w'}. Spatial (bottlenecks only, see
 *       {@link #spatial}): conv2 {@code n S^2 w'^2 9 / g} on the gathered windows, conv3 {@code n S^2 w' Cout} on the
 *       active output pixels, conv1 {@code B H1 W1 Cin w'} on the whole batch (windows schedule) or
 *       {@code B E[|M1|] Cin w'} on the expected dilated-mask pixels (M1 and ROWS schedules) or {@code n K^2 Cin w'}
 *       on every window position (HALO schedule, see {@link #spatialHalo}).
 *   <li>{@code moved}: elements gathered and scattered: spatial windows {@code n K^2 w'} gathered (the M1 schedule
 *       adds the gathered input rows {@code B E[|M1|] Cin}) and outputs {@code n S^2 Cout} scattered; the open
 *       samples' input and output {@code k (Cin Hin Win + Cout Ho Wo)} (layer, {@code k} open samples); the whole
 *       batch's input and output times the probability of more than one channel pattern (channel).
 *   <li>{@code mapElements}: {@code B (Cin Hin Win + Cout Ho Wo)}, the block input read and output written (layout
 *       changes, identity, residual add, ReLU).
 *   <li>{@code weights}: weight elements read per call: {@code Cin w' + w'^2 9 / g + w' Cout} (bottleneck; basic
 *       {@code 9 Cin w' + 9 w' Cout}) once per channel pattern the branch runs with, plus {@code Cin Cout} for the
 *       downsample; the branch's share is 0 when it does not run. At batch 1 the deep stages are bound by these
 *       weight reads rather than by their MACs.
 *   <li>{@code patches}: {@code n} (per-window overhead of the spatial schedules; 0 on the other paths).
 *   <li>{@code patterns}: the expected number of distinct channel patterns in the batch, {@code P (1 - (1 - 1/P)^B)}
 *       with {@code P = C(G, round(dc G))} (1 without a channel gate).
 * </ul>
 *
 * <p>Expectations assume what the executor sees under uniformly random masks with exactly the query's densities:
 * {@code E[|M1|]} per image is {@code sum over conv1 pixels of 1 - C(M - c, n_p) / C(M, n_p)}, where {@code M} is the
 * number of mask cells and {@code c} the number of cells whose {@code K x K} receptive window covers the pixel.
 *
 * @param conv1Macs MACs of conv1
 * @param conv2Macs MACs of conv2
 * @param conv3Macs MACs of conv3 (0 for a basic block)
 * @param downsampleMacs MACs of the downsample (0 without one)
 * @param basic whether conv1 is a {@code 3x3} convolution (basic block)
 * @param conv1Weights weight elements of conv1 read per call (summed over channel patterns)
 * @param conv2Weights weight elements of conv2 read per call
 * @param conv3Weights weight elements of conv3 read per call
 * @param downsampleWeights weight elements of the downsample ({@code Cin Cout}, 0 without one)
 * @param gathered elements gathered
 * @param scattered elements scattered
 * @param mapElements block input plus output elements of the batch
 * @param patches active patches of the batch
 * @param patterns expected distinct channel patterns
 */
public record BlockWork(
        double conv1Macs,
        double conv2Macs,
        double conv3Macs,
        double downsampleMacs,
        boolean basic,
        double conv1Weights,
        double conv2Weights,
        double conv3Weights,
        double downsampleWeights,
        double gathered,
        double scattered,
        double mapElements,
        double patches,
        double patterns) {

    /** Feature name: MACs of the 1x1 convolutions. */
    public static final String MACS_1X1 = "macs1x1";
    /** Feature name: MACs of the 3x3 convolutions. */
    public static final String MACS_3X3 = "macs3x3";
    /** Feature name: weight elements read. */
    public static final String WEIGHTS = "weights";
    /** Feature name: gathered plus scattered elements. */
    public static final String MOVED = "moved";
    /** Feature name: block input plus output elements. */
    public static final String MAP_ELEMENTS = "mapElements";
    /** Feature name: active patches. */
    public static final String PATCHES = "patches";
    /** Feature name: distinct channel patterns. */
    public static final String PATTERNS = "patterns";

    /** Validates that every count is finite and non-negative. */
    public BlockWork {
        double[] all = {conv1Macs, conv2Macs, conv3Macs, downsampleMacs, conv1Weights, conv2Weights, conv3Weights,
            downsampleWeights, gathered, scattered, mapElements, patches, patterns};
        for (double v : all) {
            if (!(v >= 0) || !Double.isFinite(v)) {
                throw new IllegalArgumentException("work counts must be finite and non-negative, got " + v);
            }
        }
    }

    /** Returns the MACs of the {@code 1x1} convolutions: {@code conv1 (bottleneck) + conv3 + downsample}. */
    public double macs1x1() {
        return (basic ? 0 : conv1Macs) + conv3Macs + downsampleMacs;
    }

    /** Returns the MACs of the {@code 3x3} convolutions: {@code conv2 (+ conv1 of a basic block)}. */
    public double macs3x3() {
        return conv2Macs + (basic ? conv1Macs : 0);
    }

    /**
     * Returns one feature by name.
     *
     * @param name one of the feature name constants
     * @return its value
     * @throws IllegalArgumentException for an unknown name
     */
    public double value(String name) {
        return switch (name) {
            case MACS_1X1 -> macs1x1();
            case MACS_3X3 -> macs3x3();
            case WEIGHTS -> conv1Weights + conv2Weights + conv3Weights + downsampleWeights;
            case MOVED -> gathered + scattered;
            case MAP_ELEMENTS -> mapElements;
            case PATCHES -> patches;
            case PATTERNS -> patterns;
            default -> throw new IllegalArgumentException("name must be a block feature, got " + name);
        };
    }

    /**
     * Returns the feature vector of a term.
     *
     * @param term a block path term
     * @return the values of {@code term.features()}, in order
     */
    public double[] vector(CpuTerm term) {
        return term.features().stream().mapToDouble(this::value).toArray();
    }

    // ------------------------------------------------------------------------------------------------ factories

    /**
     * The folded dense block on the whole batch (static block, dense fallback).
     *
     * @param g the block
     * @param batch {@code B}
     * @return the work
     */
    public static BlockWork dense(BlockGeometry g, int batch) {
        return branch(g, batch, batch, 1.0, 0, 1);
    }

    /**
     * The branch skipped everywhere: only the identity (downsample) and the ReLU.
     *
     * @param g the block
     * @param batch {@code B}
     * @return the work
     */
    public static BlockWork skip(BlockGeometry g, int batch) {
        return new BlockWork(0, 0, 0, downsample(g, batch), g.type() == BlockType.BASIC, 0, 0, 0,
                downsampleWeights(g), 0, 0, map(g, batch), 0, 1);
    }

    /**
     * The layer path with {@code open} of {@code B} samples running the branch.
     *
     * @param g the block
     * @param batch {@code B}
     * @param open open samples, {@code 0..B}
     * @return the work
     */
    public static BlockWork layer(BlockGeometry g, int batch, int open) {
        if (open < 0 || open > batch) {
            throw new IllegalArgumentException("open must lie in [0, " + batch + "], got " + open);
        }
        double moved = (double) open * ((double) g.inChannels() * g.inHeight() * g.inWidth()
                + (double) g.outChannels() * g.outPixels());
        BlockWork b = branch(g, batch, open, 1.0, 0, open == 0 ? 0 : 1);
        return new BlockWork(b.conv1Macs, b.conv2Macs, b.conv3Macs, b.downsampleMacs, b.basic, b.conv1Weights,
                b.conv2Weights, b.conv3Weights, b.downsampleWeights, moved / 2, moved / 2,
                b.mapElements, 0, 1);
    }

    /**
     * The channel path at channel density {@code dc} with {@code G} groups.
     *
     * @param g the block
     * @param batch {@code B}
     * @param groups {@code G}
     * @param channelDensity {@code dc}
     * @return the work
     */
    public static BlockWork channel(BlockGeometry g, int batch, int groups, double channelDensity) {
        double dc = activeGroups(groups, channelDensity) / (double) groups;
        double patterns = expectedPatterns(groups, channelDensity, batch);
        double single = singlePatternProbability(groups, channelDensity, batch);
        double moved = (1 - single) * batch * ((double) g.inChannels() * g.inHeight() * g.inWidth()
                + (double) g.outChannels() * g.outPixels());
        BlockWork b = branch(g, batch, batch, dc, 0, dc == 0 ? 0 : patterns);
        return new BlockWork(b.conv1Macs, b.conv2Macs, b.conv3Macs, b.downsampleMacs, b.basic, b.conv1Weights,
                b.conv2Weights, b.conv3Weights, b.downsampleWeights, moved / 2, moved / 2,
                b.mapElements, 0, patterns);
    }

    /**
     * The union channel path ({@link CpuTerm#CHANNEL_UNION}) at channel density {@code dc} with {@code G} groups: the
     * whole batch once with the union of the samples' patterns. Each sample opens {@code a = round(dc G)} groups at
     * random, so a group is closed in all {@code B} samples with probability {@code ((G - a) / G)^B}: the union holds
     * {@code E|U| = G (1 - ((G - a) / G)^B)} groups, and the convolutions run at {@code dc_U = E|U| / G}, their weights
     * read once. Moved elements are those multiplied by the per-sample masks, {@code B dc_U w (H1 W1 + Ho Wo)}
     * (bottleneck; basic {@code B dc_U w Ho Wo}), times the probability of more than one channel pattern (a batch of
     * one pattern runs unmasked).
     *
     * @param g the block
     * @param batch {@code B}
     * @param groups {@code G}
     * @param channelDensity {@code dc}
     * @return the work
     */
    public static BlockWork channelUnion(BlockGeometry g, int batch, int groups, double channelDensity) {
        int a = activeGroups(groups, channelDensity);
        double union = groups * (1 - Math.pow((groups - a) / (double) groups, batch));
        double dc = union / groups;
        double single = singlePatternProbability(groups, channelDensity, batch);
        double perChannel = g.type() == BlockType.BASIC ? g.outPixels() : g.conv1Pixels() + g.outPixels();
        double masked = (1 - single) * batch * dc * g.width() * perChannel;
        BlockWork b = branch(g, batch, batch, dc, 0, dc == 0 ? 0 : 1);
        return new BlockWork(b.conv1Macs, b.conv2Macs, b.conv3Macs, b.downsampleMacs, b.basic, b.conv1Weights,
                b.conv2Weights, b.conv3Weights, b.downsampleWeights, masked, 0, b.mapElements, 0, 1);
    }

    /**
     * A spatial schedule ({@link CpuTerm#SPATIAL_WINDOWS} or {@link CpuTerm#SPATIAL_M1}) of a SPATIAL or BOTH query.
     *
     * @param q the query (mode SPATIAL or BOTH) of a block with sparse spatial paths
     * @param m1 whether conv1 runs on the dilated mask {@code M1} only (M1 schedule) rather than on the whole batch
     *     (windows schedule)
     * @return the work
     * @throws IllegalArgumentException for another mode, or a block without sparse spatial paths
     *     ({@link BlockPlan#spatialPathsExist} with one spatial group: a basic block, a bottleneck whose conv1 strides,
     *     or a BOTH block whose channel groups split a convolution group)
     */
    public static BlockWork spatial(BlockLatencyQuery q, boolean m1) {
        if (q.mode() != GateMode.SPATIAL && q.mode() != GateMode.BOTH) {
            throw new IllegalArgumentException("q.mode must be SPATIAL or BOTH, got " + q.mode());
        }
        BlockGeometry g = q.geometry();
        if (!BlockPlan.spatialPathsExist(g, q.mode(), 1, q.channelGroups())) {
            throw new IllegalArgumentException("spatial schedules need a bottleneck whose conv1 does not stride (and in"
                    + " BOTH mode channel groups of whole convolution groups, G = " + q.channelGroups() + "), got "
                    + g);
        }
        int batch = q.batchSize();
        int s = q.spatialGranularity();
        boolean both = q.mode() == GateMode.BOTH;
        double dc = both ? activeGroups(q.channelGroups(), q.channelDensity()) / (double) q.channelGroups() : 1;
        double patterns = both ? expectedPatterns(q.channelGroups(), q.channelDensity(), batch) : 1;
        double inner = dc * g.width();
        int s2 = g.conv2Stride();
        int k = s2 * (s - 1) + 3;
        double n = (double) batch * q.activePatchesPerImage();
        double cin = g.inChannels();
        double cout = g.outChannels();
        double conv1;
        double conv2;
        double conv3;
        double gathered = n * k * k * inner;
        if (m1) {
            double px = batch * expectedM1Pixels(g, s, (int) q.activePatchesPerImage());
            conv1 = px * cin * inner;
            gathered += px * cin;
        } else {
            conv1 = batch * g.conv1Pixels() * cin * inner;
        }
        conv2 = n * s * s * inner * inner * 9 / g.convGroups();
        conv3 = n * s * s * inner * cout;
        double scattered = n * s * s * cout;
        double[] wt = weights(g, dc, patterns);
        return new BlockWork(conv1, conv2, conv3, downsample(g, batch), false, wt[0], wt[1], wt[2],
                downsampleWeights(g), gathered, scattered,
                map(g, batch), n, patterns);
    }

    /**
     * The halo schedule ({@link CpuTerm#SPATIAL_HALO}) of a SPATIAL or BOTH query: conv1 runs on the gathered input
     * rows of every window position, {@code n K^2 Cin (dc w)} MACs (halo pixels recomputed by neighbouring patches),
     * and those rows, {@code n K^2 Cin} elements, are gathered instead of conv1's output windows; conv2, conv3 and the
     * scatter are those of the windows schedule.
     *
     * @param q the query (mode SPATIAL or BOTH) of a block with sparse spatial paths
     * @return the work
     * @throws IllegalArgumentException as {@link #spatial}
     */
    public static BlockWork spatialHalo(BlockLatencyQuery q) {
        BlockWork windows = spatial(q, false);
        BlockGeometry g = q.geometry();
        int s = q.spatialGranularity();
        int k = g.conv2Stride() * (s - 1) + 3;
        boolean both = q.mode() == GateMode.BOTH;
        double dc = both ? activeGroups(q.channelGroups(), q.channelDensity()) / (double) q.channelGroups() : 1;
        double n = (double) q.batchSize() * q.activePatchesPerImage();
        double rows = n * k * k * g.inChannels();
        return new BlockWork(rows * dc * g.width(), windows.conv2Macs, windows.conv3Macs, windows.downsampleMacs,
                false, windows.conv1Weights, windows.conv2Weights, windows.conv3Weights, windows.downsampleWeights,
                rows, windows.scattered, windows.mapElements, windows.patches, windows.patterns);
    }

    /**
     * Returns the work of a spatial schedule term.
     *
     * @param term {@link CpuTerm#SPATIAL_HALO}, {@link CpuTerm#SPATIAL_WINDOWS}, {@link CpuTerm#SPATIAL_M1} or
     *     {@link CpuTerm#SPATIAL_ROWS}
     * @param q the query (mode SPATIAL or BOTH) of a block with sparse spatial paths
     * @return the work
     * @throws IllegalArgumentException for another term, or as {@link #spatial}
     */
    public static BlockWork spatialSchedule(CpuTerm term, BlockLatencyQuery q) {
        return switch (term) {
            case SPATIAL_HALO -> spatialHalo(q);
            case SPATIAL_WINDOWS -> spatial(q, false);
            case SPATIAL_M1 -> spatial(q, true);
            case SPATIAL_ROWS -> spatialRows(q);
            default -> throw new IllegalArgumentException("term must be a spatial schedule term, got " + term);
        };
    }

    /**
     * The row-GEMM schedule ({@link CpuTerm#SPATIAL_ROWS}) of a SPATIAL or BOTH query: the MACs of the M1 schedule;
     * moved elements are conv1's gathered input rows and the im2col of the active output positions
     * ({@code 9 (dc w)} values per position with an ungrouped conv2; the windows {@code T^2 (dc w)} per patch with a
     * grouped one, which the schedule then gathers instead).
     *
     * @param q the query (mode SPATIAL or BOTH) of a block with sparse spatial paths
     * @return the work
     * @throws IllegalArgumentException as {@link #spatial}
     */
    public static BlockWork spatialRows(BlockLatencyQuery q) {
        BlockWork m1 = spatial(q, true);
        BlockGeometry g = q.geometry();
        if (g.convGroups() != 1) {
            return m1;
        }
        int s = q.spatialGranularity();
        int k = g.conv2Stride() * (s - 1) + 3;
        boolean both = q.mode() == GateMode.BOTH;
        double dc = both ? activeGroups(q.channelGroups(), q.channelDensity()) / (double) q.channelGroups() : 1;
        double n = (double) q.batchSize() * q.activePatchesPerImage();
        double inner = dc * g.width();
        double gathered = m1.gathered - n * k * k * inner + n * s * s * 9 * inner;
        return new BlockWork(m1.conv1Macs, m1.conv2Macs, m1.conv3Macs, m1.downsampleMacs, m1.basic, m1.conv1Weights,
                m1.conv2Weights, m1.conv3Weights, m1.downsampleWeights, gathered, m1.scattered, m1.mapElements,
                m1.patches, m1.patterns);
    }

    /**
     * The branch on {@code open} of {@code B} samples with {@code dc} of the inner channels, its weights read {@code
     * copies} times.
     */
    private static BlockWork branch(BlockGeometry g, int batch, int open, double dc, double patches, double copies) {
        double inner = dc * g.width();
        double cin = g.inChannels();
        double cout = g.outChannels();
        double po = (double) open * g.outPixels();
        boolean basic = g.type() == BlockType.BASIC;
        double conv1;
        double conv2;
        double conv3;
        if (basic) {
            conv1 = po * cin * inner * 9;
            conv2 = po * inner * cout * 9;
            conv3 = 0;
        } else {
            conv1 = (double) open * g.conv1Pixels() * cin * inner;
            conv2 = po * inner * inner * 9 / g.convGroups();
            conv3 = po * inner * cout;
        }
        double[] wt = weights(g, dc, copies);
        return new BlockWork(conv1, conv2, conv3, downsample(g, batch), basic, wt[0], wt[1], wt[2],
                downsampleWeights(g), 0, 0, map(g, batch), patches, 1);
    }

    /** Weight elements of conv1, conv2, conv3 with {@code dc w} inner channels, read {@code copies} times. */
    private static double[] weights(BlockGeometry g, double dc, double copies) {
        double inner = dc * g.width();
        double cin = g.inChannels();
        double cout = g.outChannels();
        if (g.type() == BlockType.BASIC) {
            return new double[] {copies * cin * inner * 9, copies * inner * cout * 9, 0};
        }
        return new double[] {copies * cin * inner, copies * inner * inner * 9 / g.convGroups(), copies * inner * cout};
    }

    private static double downsampleWeights(BlockGeometry g) {
        return g.hasDownsample() ? (double) g.inChannels() * g.outChannels() : 0;
    }

    private static double downsample(BlockGeometry g, int batch) {
        return g.hasDownsample() ? (double) batch * g.outPixels() * g.inChannels() * g.outChannels() : 0;
    }

    private static double map(BlockGeometry g, int batch) {
        return (double) batch * ((double) g.inChannels() * g.inHeight() * g.inWidth()
                + (double) g.outChannels() * g.outPixels());
    }

    /**
     * Returns the active channel groups per sample, {@code round(dc * G)}.
     *
     * @param groups {@code G}
     * @param channelDensity {@code dc}
     * @return the count
     */
    public static int activeGroups(int groups, double channelDensity) {
        return (int) Math.round(channelDensity * groups);
    }

    /**
     * Returns the expected number of distinct channel patterns in a batch whose samples each pick {@code a =
     * round(dc G)} of {@code G} groups uniformly at random: {@code P (1 - (1 - 1/P)^B)}, {@code P = C(G, a)}.
     *
     * @param groups {@code G}
     * @param channelDensity {@code dc}
     * @param batch {@code B}
     * @return the expectation, in {@code [1, min(B, P)]}
     */
    public static double expectedPatterns(int groups, double channelDensity, int batch) {
        double p = binomial(groups, activeGroups(groups, channelDensity));
        return p * (1 - Math.pow(1 - 1 / p, batch));
    }

    private static double singlePatternProbability(int groups, double channelDensity, int batch) {
        double p = binomial(groups, activeGroups(groups, channelDensity));
        return Math.pow(p, 1 - batch);
    }

    private static double binomial(int n, int k) {
        double r = 1;
        for (int i = 1; i <= k; i++) {
            r = r * (n - k + i) / i;
        }
        return r;
    }

    /**
     * Returns the expected number of conv1 output pixels in the dilated mask {@code M1} of one image when {@code
     * active} of the {@code M = (Ho/S)^2} cells are open, uniformly at random: {@code sum over pixels of 1 - prod_{i <
     * c} (M - active - i) / (M - i)}, {@code c} = cells whose receptive window covers the pixel.
     *
     * @param g a bottleneck
     * @param granularity {@code S}
     * @param active open cells per image
     * @return {@code E[|M1|]}
     */
    public static double expectedM1Pixels(BlockGeometry g, int granularity, int active) {
        int m = g.outHeight() / granularity;
        int mw = g.outWidth() / granularity;
        int cells = m * mw;
        if (active < 0 || active > cells) {
            throw new IllegalArgumentException("active must lie in [0, " + cells + "], got " + active);
        }
        int h1 = g.conv1OutHeight();
        int w1 = g.conv1OutWidth();
        int s2 = g.conv2Stride();
        int k = s2 * (granularity - 1) + 3;
        int[] cover = new int[h1 * w1];
        for (int ci = 0; ci < m; ci++) {
            for (int cj = 0; cj < mw; cj++) {
                int r0 = s2 * ci * granularity - 1;
                int c0 = s2 * cj * granularity - 1;
                for (int a = Math.max(0, r0); a < Math.min(h1, r0 + k); a++) {
                    for (int b = Math.max(0, c0); b < Math.min(w1, c0 + k); b++) {
                        cover[a * w1 + b]++;
                    }
                }
            }
        }
        int maxCover = 0;
        for (int c : cover) {
            maxCover = Math.max(maxCover, c);
        }
        double[] uncovered = new double[maxCover + 1];
        uncovered[0] = 1;
        for (int c = 1; c <= maxCover; c++) {
            double f = cells - c + 1 <= 0 ? 0 : (double) (cells - active - c + 1) / (cells - c + 1);
            uncovered[c] = Math.max(0, uncovered[c - 1] * Math.max(0, f));
        }
        double sum = 0;
        for (int c : cover) {
            sum += 1 - uncovered[c];
        }
        return sum;
    }
}
