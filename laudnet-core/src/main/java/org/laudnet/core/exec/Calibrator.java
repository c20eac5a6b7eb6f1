package org.laudnet.core.exec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.plan.BlockPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures a block's paths on synthetic inputs and masks and fits their cost models ({@link BlockCalibration}): the
 * dense path is timed once (at half density: its time does not depend on the masks), every sparse path at several
 * densities (random and clustered cells; with a channel gate and a batch above 1 also with per-sample patterns, so
 * that the per-pattern cost can be fitted; the union channel path on such decisions both as one union and split per
 * pattern, so that its model separates the cost of a sub-batch from that of the masks; a union clustering of one
 * sub-batch per pattern reuses the per-pattern path's time on the same decisions, which runs the same operations). A
 * time is the fastest of {@code runs} runs after one warm-up run: the run least disturbed by other work on shared
 * cores, for dense and sparse alike; a block without a projection is handed a fresh copy of its input before each run,
 * as a network hands it over.
 *
 * <p>Warm-up: the first calibration of a kernels implementation and set of paths in a JVM first runs the same
 * calibration untimed ({@code runs = 1}) for at least 2 s ({@link #warmUp}; the system property
 * {@value #WARMUP_PROPERTY} sets another time in milliseconds, 0 none). In a fresh JVM the
 * engine's host code (index tables, gathers, mask bookkeeping) is still interpreted or being compiled, and on a machine
 * with few cores the compiler threads take cores from the backend's own; a cold calibration of a ResNet-50 measured its
 * first block's dense path at about four times the time a warm one did, which biases every later path choice of that
 * block towards its sparse paths. Later calibrations of the same kernels and paths, of any block and batch size, skip
 * the warm-up.
 *
 * <p>Thread-safe: one calibrator may serve several threads, each timing on its own kernels (the record of warmed-up
 * kernels and paths is a concurrent set).
 */
final class Calibrator {

    private static final Logger LOG = LoggerFactory.getLogger(Calibrator.class);

    /**
     * System property with the least time, in milliseconds, of the untimed warm-up before the first calibration of
     * some kernels and paths in a JVM (default {@value #DEFAULT_WARMUP_MILLIS}; 0 turns the warm-up off).
     */
    static final String WARMUP_PROPERTY = "laudnet.calibration.warmupMillis";

    /** The default least warm-up time, in milliseconds. */
    static final long DEFAULT_WARMUP_MILLIS = 2000;

    /** The kernels classes and candidate paths already warmed up in this JVM. */
    private static final Set<String> WARMED = ConcurrentHashMap.newKeySet();

    private final int runs;
    private final long seed;

    Calibrator(int runs, long seed) {
        this.runs = runs;
        this.seed = seed;
    }

    /**
     * Calibrates one block.
     *
     * @param k the kernels to time with
     * @param w the block's weights
     * @param candidates the block's sparse paths
     * @param batch the batch size
     * @param <T> the tensor type
     * @return the calibration ({@link BlockCalibration#none()} without sparse paths)
     */
    <T> BlockCalibration calibrate(Kernels<T> k, BlockWeights w, List<ExecutionPath> candidates, int batch) {
        if (candidates.isEmpty()) {
            return BlockCalibration.none();
        }
        warmUp(k, w, candidates, batch);
        BlockCalibration cal = measure(k, w, candidates, batch, runs);
        LOG.debug("calibrated block {} {} at batch {}: dense {} ms, models {}", w.plan.geometry().type(),
                w.plan.mode(), batch, cal.denseMillis(), cal.models());
        return cal;
    }

    /**
     * Runs this block's calibration untimed ({@code runs = 1}, results discarded) for at least {@link #warmupMillis},
     * unless that is 0 or the kernels' class and these paths were warmed up before in this JVM.
     *
     * @return whether it warmed up
     */
    <T> boolean warmUp(Kernels<T> k, BlockWeights w, List<ExecutionPath> candidates, int batch) {
        long least = warmupMillis() * 1_000_000L;
        String key = k.getClass().getName() + " " + candidates;
        if (least == 0 || WARMED.contains(key)) {
            return false;
        }
        long t0 = System.nanoTime();
        int passes = 0;
        do {
            measure(k, w, candidates, batch, 1);
            passes++;
        } while (System.nanoTime() - t0 < least);
        WARMED.add(key);
        LOG.debug("warmed up the calibration of paths {} on {} with {} untimed passes in {} s", candidates,
                k.getClass().getSimpleName(), passes, String.format("%.1f", (System.nanoTime() - t0) / 1e9));
        return true;
    }

    /**
     * Returns the least warm-up time: the system property {@value #WARMUP_PROPERTY} (milliseconds, not negative), else
     * {@value #DEFAULT_WARMUP_MILLIS}.
     *
     * @throws IllegalArgumentException naming the property and its value if that is not a non-negative integer
     */
    static long warmupMillis() {
        String v = System.getProperty(WARMUP_PROPERTY);
        if (v == null) {
            return DEFAULT_WARMUP_MILLIS;
        }
        try {
            long ms = Long.parseLong(v.trim());
            if (ms >= 0) {
                return ms;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(WARMUP_PROPERTY + " must be a non-negative number of milliseconds, got '"
                + v + "'");
    }

    /** Forgets which kernels and paths were warmed up (for tests). */
    static void forgetWarmUps() {
        WARMED.clear();
    }

    private <T> BlockCalibration measure(Kernels<T> k, BlockWeights w, List<ExecutionPath> candidates, int batch,
            int timedRuns) {
        BlockPlan plan = w.plan;
        Random r = new Random(seed + batch);
        Nchw xs = new Nchw(batch, plan.geometry().inChannels(), plan.geometry().inHeight(),
                plan.geometry().inWidth());
        float[] data = new float[xs.size()];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) r.nextGaussian();
        }
        try (Kernels.Scope<T> scope = k.openScope()) {
            T x = k.importHost(data, xs);
            double dense = time(k, w, x, xs, synthetic(plan, batch, 0.5, false, 0.5, 1, r), DensePath.INSTANCE,
                    ChannelClusters.Costs.ONE_UNION, timedRuns);
            // every path is fitted on the same decisions
            List<Masks> masks = new ArrayList<>();
            for (double[] st : settings(plan.mode(), batch)) {
                Masks mk = synthetic(plan, batch, st[0], st[1] > 0, st[2], (int) st[3], r);
                if (!mk.allCellsClosed()) {
                    masks.add(mk);
                }
            }
            Map<ExecutionPath, LinearCostModel> models = new EnumMap<>(ExecutionPath.class);
            // the per-pattern path's times, by decisions: the union path clustered per pattern runs the same operations
            Map<Masks, Double> perPattern = new IdentityHashMap<>();
            for (ExecutionPath p : candidates) {
                List<double[]> features = new ArrayList<>();
                List<Double> times = new ArrayList<>();
                for (Masks mk : masks) {
                    for (ChannelClusters.Costs costs : clusterings(p, mk)) {
                        features.add(PathFeatures.of(p, mk, costs));
                        Double same = p == ExecutionPath.CHANNEL_UNION
                                && mk.clusters(costs).stream().allMatch(ChannelClusters.Cluster::uniform)
                                ? perPattern.get(mk) : null;
                        double t = same != null ? same
                                : time(k, w, x, xs, mk, PathSelector.strategy(p), costs, timedRuns);
                        if (p == ExecutionPath.CHANNEL) {
                            perPattern.put(mk, t);
                        }
                        times.add(t);
                    }
                }
                if (!features.isEmpty()) {
                    models.put(p, LinearCostModel.fit(features.toArray(new double[0][]),
                            times.stream().mapToDouble(Double::doubleValue).toArray()));
                }
            }
            return new BlockCalibration(dense, models);
        }
    }

    /**
     * The clusterings a path is timed with on some decisions: {@link ExecutionPath#CHANNEL_UNION} on decisions with
     * several channel patterns both as one union and split per pattern, so that its model separates the cost of a
     * sub-batch from that of the masks; one run otherwise.
     */
    private static List<ChannelClusters.Costs> clusterings(ExecutionPath p, Masks mk) {
        return p == ExecutionPath.CHANNEL_UNION && mk.patternGroups() > 1
                ? List.of(ChannelClusters.Costs.ONE_UNION, ChannelClusters.Costs.PER_PATTERN)
                : List.of(ChannelClusters.Costs.ONE_UNION);
    }

    /**
     * The fastest of {@code timedRuns} timed runs after one untimed run. A block without a projection is timed as a
     * network runs it ({@link NetworkEngine}): handed its input, a ReLU output it may overwrite
     * ({@link BlockCall#reuse}; the spatial paths then accumulate into it instead of copying it first), so every run
     * gets a fresh {@code ReLU(x)}, made and finished before the clock starts.
     */
    private <T> double time(Kernels<T> k, BlockWeights w, T x, Nchw xs, Masks mk, BlockPath path,
            ChannelClusters.Costs costs, int timedRuns) {
        boolean handOver = w.plan.downsample() == null;
        double[] t = new double[timedRuns];
        for (int i = -1; i < timedRuns; i++) {
            try (Kernels.Scope<T> scope = k.openScope()) {
                T in = x;
                if (handOver) {
                    in = k.relu(x, xs);
                    // reading one value waits for the copy on asynchronous backends
                    k.exportHost(in, 1);
                }
                long t0 = System.nanoTime();
                T y = path.execute(new BlockCall<>(k, w, in, xs, mk, handOver, null, costs));
                // reading one value waits for queued work on asynchronous backends
                k.exportHost(y, 1);
                long t1 = System.nanoTime();
                if (i >= 0) {
                    t[i] = (t1 - t0) / 1e6;
                }
            }
        }
        Arrays.sort(t);
        return t[0];
    }

    /**
     * Rows of {spatial density, clustered (1) or random (0), channel density, channel patterns drawn from a pool of
     * this many (1: one shared pattern; the batch size: every sample its own draw)}. A channel gate at a batch above 1
     * also gets pools of 2 and 3 patterns, so that the channel paths' models see sub-batch counts between one and
     * many.
     */
    private static double[][] settings(GateMode mode, int batch) {
        if (mode == GateMode.LAYER) {
            return batch == 1 ? new double[][] {{1, 0, 1, 1}}
                    : new double[][] {{0.25, 0, 1, 1}, {0.5, 0, 1, 1}, {0.75, 0, 1, 1}};
        }
        if (mode == GateMode.CHANNEL) {
            return batch == 1
                    ? new double[][] {{1, 0, 0.25, 1}, {1, 0, 0.5, 1}, {1, 0, 0.75, 1}}
                    : new double[][] {{1, 0, 0.25, 1}, {1, 0, 0.5, 1}, {1, 0, 0.75, 1}, {1, 0, 0.5, 2},
                        {1, 0, 0.75, 3}, {1, 0, 0.25, batch}, {1, 0, 0.5, batch}, {1, 0, 0.75, batch}};
        }
        double dcLow = mode == GateMode.BOTH ? 0.5 : 1;
        double mixed = mode == GateMode.BOTH ? batch : 1;
        return new double[][] {{0.2, 0, 1, 1}, {0.5, 0, dcLow, 1}, {0.8, 0, 1, 1}, {0.3, 1, dcLow, mixed},
            {0.7, 1, 1, 1}};
    }

    /**
     * Synthetic decisions at given densities (every sample opens at least one cell or group); the channel patterns of
     * the samples are drawn at random from a pool of {@code patternPool} random patterns (1: one shared pattern).
     */
    static Masks synthetic(BlockPlan plan, int batch, double spatialDensity, boolean clustered,
            double channelDensity, int patternPool, Random r) {
        float[] cells = null;
        if (plan.mode().hasSpatialGate()) {
            int per = plan.spatialGroups() * plan.maskSize() * plan.maskSize();
            cells = new float[batch * per];
            if (plan.mode() == GateMode.LAYER) {
                int open = Math.max(1, (int) Math.round(spatialDensity * batch));
                for (int b = 0; b < open; b++) {
                    for (int q = 0; q < per; q++) {
                        cells[b * per + q] = 1;
                    }
                }
            } else {
                int open = Math.max(1, (int) Math.round(spatialDensity * per));
                for (int b = 0; b < batch; b++) {
                    int[] order = clustered ? Permutations.identity(per) : Permutations.shuffled(per, r);
                    for (int c = 0; c < open; c++) {
                        cells[b * per + order[c]] = 1;
                    }
                }
            }
        }
        float[] channels = null;
        if (plan.mode().hasChannelGate()) {
            int groups = plan.channelGroups();
            channels = new float[batch * groups];
            int open = Math.max(1, (int) Math.round(channelDensity * groups));
            int pool = Math.max(1, Math.min(patternPool, batch));
            List<BitSet> patterns = new ArrayList<>();
            // distinct patterns where the groups allow (a few redraws), each used by at least one sample
            for (int tries = 0; patterns.size() < pool && tries < 16 * pool; tries++) {
                BitSet p = new BitSet(groups);
                int[] order = Permutations.shuffled(groups, r);
                for (int c = 0; c < open; c++) {
                    p.set(order[c]);
                }
                if (pool == batch || !patterns.contains(p)) {
                    patterns.add(p);
                }
            }
            for (int b = 0; b < batch; b++) {
                BitSet p = patterns.get(b < patterns.size() ? b : r.nextInt(patterns.size()));
                for (int q = p.nextSetBit(0); q >= 0; q = p.nextSetBit(q + 1)) {
                    channels[b * groups + q] = 1;
                }
            }
        }
        return new Masks(plan, batch, cells, channels);
    }

}
