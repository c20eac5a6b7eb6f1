package org.laudnet.core.exec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.plan.BlockPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes one block of a plan for one executor: evaluates the gates ({@link GateEvaluator}), chooses the path
 * ({@link PathSelector}) and runs it ({@link BlockPath}). The thin front of the per-block machinery; not thread-safe.
 */
final class BlockEngine {

    private static final Logger LOG = LoggerFactory.getLogger(BlockEngine.class);

    final BlockWeights weights;
    final List<ExecutionPath> candidates;

    BlockEngine(BlockWeights weights, Backend<?> backend) {
        this.weights = weights;
        this.candidates = List.copyOf(PathSelector.candidates(weights.plan, backend.spatialSchedules()));
    }

    /**
     * The output of one block call and its report.
     *
     * @param output the block output
     * @param report what was done
     * @param <T> the tensor type
     */
    record Outcome<T>(T output, ExecutionReport report) {}

    /**
     * Runs the block.
     *
     * @param k the kernels
     * @param x the block input
     * @param xs its shape
     * @param masks decisions to impose, or null to evaluate the gates
     * @param reuse whether {@code x} is a non-negative input the caller hands over
     * @param policy the path policy
     * @param calibration the block's calibration at this batch size, or null
     * @param timer phase timer, or null
     * @param override replaces the gates' decisions, or null
     * @param index the block's index in its network (for the override)
     * @param <T> the tensor type
     * @return the output and report
     */
    <T> Outcome<T> run(Kernels<T> k, T x, Nchw xs, Masks masks, boolean reuse, PathPolicy policy,
            BlockCalibration calibration, PhaseTimer timer, GateOverride override, int index) {
        BlockPlan plan = weights.plan;
        Masks mk = masks != null ? masks : GateEvaluator.evaluate(k, weights, x, xs);
        if (override != null) {
            mk = overridden(mk, override, index);
        }
        if (timer != null) {
            timer.lap("gate");
        }
        PathSelector.Decision d = PathSelector.decide(mk, policy, candidates, calibration);
        if (timer != null) {
            timer.lap("index");
        }
        T y = PathSelector.strategy(d.path()).execute(new BlockCall<>(k, weights, x, xs, mk, reuse, timer,
                d.clusterCosts()));
        List<BlockDensities> sampleDensities = mk.sampleDensities();
        List<Double> sampleRatios = new ArrayList<>(sampleDensities.size());
        for (BlockDensities sd : sampleDensities) {
            sampleRatios.add(plan.cost().ratio(sd));
        }
        ExecutionReport report = new ExecutionReport(plan.mode(), d.path(), xs.batch(), mk.activeUnits(),
                mk.totalUnits(), mk.patternGroups(), mk.densities(), sampleDensities,
                plan.cost().ratio(mk.densities()), sampleRatios, d.predictedSparseMs(), d.predictedDenseMs());
        if (LOG.isTraceEnabled()) {
            LOG.trace("block {} {}: path {}, active {}/{}, densities {}, predicted sparse {} ms, dense {} ms",
                    plan.geometry().type(), plan.mode(), d.path(), report.activeUnits(), report.totalUnits(),
                    report.densities(), d.predictedSparseMs(), d.predictedDenseMs());
        }
        return new Outcome<>(y, report);
    }

    /**
     * Prepares the block's channel patterns ({@link BlockWeights#preparePatterns}) and, when that cut any, runs each
     * pattern once through each of the block's sparse paths that read channel slices, at batch 1 on a zero input with
     * every spatial cell open, so that the backend makes now what a pattern otherwise makes on its first use (the
     * slices' weight layouts, primitives).
     *
     * @param k the kernels to run on
     * @param <T> the tensor type
     * @return the floats of the slices' weights cut by this call
     */
    <T> long preparePatterns(Kernels<T> k) {
        long floats = weights.preparePatterns();
        if (floats > 0) {
            rehearsePatterns(k, weights.plan.channelGroups());
        }
        return floats;
    }

    private <T> void rehearsePatterns(Kernels<T> k, int g) {
        BlockPlan plan = weights.plan;
        List<BlockPath> paths = new ArrayList<>();
        for (ExecutionPath p : candidates) {
            if (p != ExecutionPath.DENSE && p != ExecutionPath.SKIP && p != ExecutionPath.LAYER) {
                paths.add(PathSelector.strategy(p));
            }
        }
        Nchw xs = new Nchw(1, plan.geometry().inChannels(), plan.geometry().inHeight(), plan.geometry().inWidth());
        float[] open = null;
        if (plan.spatialMasker() != null) {
            open = new float[plan.spatialGroups() * plan.maskSize() * plan.maskSize()];
            Arrays.fill(open, 1f);
        }
        try (Kernels.Scope<T> scope = k.openScope()) {
            T x = k.importHost(new float[xs.size()], xs);
            for (long bits = 1; bits < (1L << g) - 1; bits++) {
                float[] channels = new float[g];
                for (int i = 0; i < g; i++) {
                    channels[i] = (bits >>> i & 1) == 1 ? 1f : 0f;
                }
                Masks mk = new Masks(plan, 1, open == null ? null : open.clone(), channels);
                for (BlockPath path : paths) {
                    try (Kernels.Scope<T> call = k.openScope()) {
                        k.exportHost(path.execute(new BlockCall<>(k, weights, x, xs, mk, false, null,
                                ChannelClusters.Costs.ONE_UNION)), 1);
                    }
                }
            }
        }
    }

    private Masks overridden(Masks mk, GateOverride override, int index) {
        float[] cells = mk.cells == null ? null
                : checked("spatial", override.spatial(index, mk.plan, mk.batch, mk.cells.cells().clone()),
                        mk.cells.cells().length);
        float[] channels = mk.channels == null ? null
                : checked("channel", override.channel(index, mk.plan, mk.batch, mk.channels.clone()),
                        mk.channels.length);
        return new Masks(mk.plan, mk.batch, cells, channels);
    }

    private static float[] checked(String what, float[] v, int length) {
        if (v == null || v.length != length) {
            throw new IllegalArgumentException("the gate override's " + what + " decisions must have " + length
                    + " entries, got " + (v == null ? "null" : v.length));
        }
        return requireBinary("the gate override's " + what + " decisions", v);
    }

    /**
     * Requires gate decisions of 0 or 1.
     *
     * @param name what the values are, for the message
     * @param v the decisions
     * @return {@code v}
     * @throws IllegalArgumentException naming the first other value and its index
     */
    static float[] requireBinary(String name, float[] v) {
        for (int i = 0; i < v.length; i++) {
            if (v[i] != 0f && v[i] != 1f) {
                throw new IllegalArgumentException(name + " must hold 0 or 1, got " + v[i] + " at index " + i);
            }
        }
        return v;
    }
}
