package org.laudnet.core.exec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
 * as a network hands it over. Immutable: one calibrator may serve
 * several threads, each timing on its own kernels.
 */
final class Calibrator {

    private static final Logger LOG = LoggerFactory.getLogger(Calibrator.class);

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
        BlockPlan plan = w.plan;
        if (candidates.isEmpty()) {
            return BlockCalibration.none();
        }
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
                    ChannelClusters.Costs.ONE_UNION);
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
                        double t = same != null ? same : time(k, w, x, xs, mk, PathSelector.strategy(p), costs);
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
            BlockCalibration cal = new BlockCalibration(dense, models);
            LOG.debug("calibrated block {} {} at batch {}: dense {} ms, models {}", plan.geometry().type(),
                    plan.mode(), batch, dense, models);
            return cal;
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
     * The fastest of {@code runs} timed runs after one untimed run. A block without a projection is timed as a network
     * runs it ({@link NetworkEngine}): handed its input, a ReLU output it may overwrite ({@link BlockCall#reuse}; the
     * spatial paths then accumulate into it instead of copying it first), so every run gets a fresh {@code ReLU(x)},
     * made and finished before the clock starts.
     */
    private <T> double time(Kernels<T> k, BlockWeights w, T x, Nchw xs, Masks mk, BlockPath path,
            ChannelClusters.Costs costs) {
        boolean handOver = w.plan.downsample() == null;
        double[] t = new double[runs];
        for (int i = -1; i < runs; i++) {
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
