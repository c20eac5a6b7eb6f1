package org.laudnet.core.latency.cpu;

import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.latency.BlockLatencyQuery;
import org.laudnet.core.latency.ConvShape;
import org.laudnet.core.latency.LatencyBreakdown;
import org.laudnet.core.latency.LatencyPredictor;
import org.laudnet.core.latency.PoolShape;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.util.Checks;

/**
 * Latency predictor of the inference engine on one CPU backend (the one the {@link CpuLatencyProfile} was measured on,
 * {@link CpuLatencyProfile.Machine#backend()}), from that profile.
 *
 * <p>Convolution: {@code t = a + b * N * macs}; pooling: {@code t = a + b * N * C Hi Wi}. A gated block: {@code t =
 * masker + min over the paths the executor may take of t_path}, mirroring the executor's own choice
 * ({@code PathSelector}): the paths are {@link CpuTerm#MASKED_DENSE} (always allowed, the fallback), the sparse paths
 * of the mode on the profile's backend ({@link CpuTerm#LAYER}; {@link CpuTerm#CHANNEL} and, at batch sizes above 1,
 * {@link CpuTerm#CHANNEL_UNION}, which at batch 1 runs the very same operations as the per-pattern path and is
 * therefore not a separate choice; the spatial schedule terms the profile holds, i.e. the backend's schedules:
 * {@link CpuTerm#SPATIAL_HALO}, {@link CpuTerm#SPATIAL_WINDOWS}, {@link CpuTerm#SPATIAL_M1},
 * {@link CpuTerm#SPATIAL_ROWS}), and each {@code t_path = a + sum_k b_k f_k} on the {@link BlockWork} features of the
 * query. Special cases follow the executor: every gate open runs the unmasked dense block ({@link CpuTerm#DENSE}, as
 * the static block); no active patch runs {@link CpuTerm#SKIP}; blocks the engine cannot run sparsely (spatial gates on
 * basic blocks or on bottlenecks striding their 1x1, channel groups that split a convolution group:
 * {@link BlockPlan#spatialPathsExist} and {@link BlockPlan#channelSlicing}) run the masked dense block. A
 * {@link BlockLatencyQuery} has no spatial mask groups, so the model applies these rules with one spatial group
 * ({@code gs = 1}, the paper's configuration); a block with more groups runs masked dense in the engine but is
 * predicted as if it had one. For a layer gate, {@code rho B} open samples are interpolated linearly between
 * {@code floor} and {@code ceil} (at batch 1, {@code rho} of the dense time plus {@code 1 - rho} of the skip time: the
 * expectation over calls).
 *
 * <p>The breakdown splits the chosen path's linear prediction by feature: each convolution gets the path's MAC
 * coefficient (1x1 or 3x3) times its own executed MACs plus the weight coefficient times its own weight reads
 * ({@code downsampleMs} likewise); {@code gatherMs} holds the
 * gathered share of the moved elements plus the per-patch and per-pattern overheads; {@code scatterMs} holds the
 * scattered share of the moved elements, the whole-map element term (layout changes, identity, residual add, ReLU)
 * and the path's fixed cost (intercept); {@code maskerMs} holds the spatial and channel masker terms. For layer
 * interpolation each part is interpolated.
 *
 * <p>Immutable and thread-safe.
 */
public final class CpuLatencyModel implements LatencyPredictor {

    private final CpuLatencyProfile profile;

    /**
     * Creates the model.
     *
     * @param profile the calibrated profile
     */
    public CpuLatencyModel(CpuLatencyProfile profile) {
        if (profile == null) {
            throw new IllegalArgumentException("profile must not be null");
        }
        this.profile = profile;
    }

    /** Returns the profile. */
    public CpuLatencyProfile getProfile() {
        return profile;
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        CpuLatencyProfile.Machine m = profile.machine();
        return "CPU profile (" + m.backend() + " on " + m.cpu() + ", " + m.threads() + " threads, " + m.date() + ")";
    }

    /** Predicts {@code a + b * N * macs} with the {@link CpuTerm#CONV} term. */
    @Override
    public double convLatencyMs(ConvShape conv, int batchSize) {
        if (conv == null) {
            throw new IllegalArgumentException("conv must not be null");
        }
        Checks.positive("batchSize", batchSize);
        return profile.term(CpuTerm.CONV).predict((double) batchSize * conv.macs());
    }

    /** Predicts {@code a + b * N * C * Hi * Wi} with the {@link CpuTerm#POOL} term. */
    @Override
    public double poolLatencyMs(PoolShape pool, int batchSize) {
        if (pool == null) {
            throw new IllegalArgumentException("pool must not be null");
        }
        Checks.positive("batchSize", batchSize);
        return profile.term(CpuTerm.POOL).predict(
                (double) batchSize * pool.channels() * pool.inHeight() * pool.inWidth());
    }

    /** Predicts the folded dense block ({@link CpuTerm#DENSE}), split by feature; no masker. */
    @Override
    public LatencyBreakdown staticBreakdown(BlockGeometry geometry, int batchSize) {
        if (geometry == null) {
            throw new IllegalArgumentException("geometry must not be null");
        }
        Checks.positive("batchSize", batchSize);
        return pathBreakdown(CpuTerm.DENSE, BlockWork.dense(geometry, batchSize), 0);
    }

    /** Predicts the masker plus the fastest path the executor may take; see the class comment. */
    @Override
    public LatencyBreakdown dynamicBreakdown(BlockLatencyQuery q) {
        return choose(q).breakdown();
    }

    /**
     * Returns the path the model predicts the executor to take: the argmin of {@link #dynamicBreakdown} (for a
     * layer gate with a fractional number of open samples, the path at the rounded number).
     *
     * @param q the query
     * @return the term of the fastest path ({@link CpuTerm#DENSE} for static queries)
     */
    public CpuTerm predictedPath(BlockLatencyQuery q) {
        return choose(q).path();
    }

    /** A candidate path with its predicted breakdown. */
    private record Option(CpuTerm path, LatencyBreakdown breakdown) {}

    private Option choose(BlockLatencyQuery q) {
        if (q == null) {
            throw new IllegalArgumentException("query must not be null");
        }
        BlockGeometry g = q.geometry();
        int batch = q.batchSize();
        if (q.mode() == GateMode.NONE) {
            return new Option(CpuTerm.DENSE, staticBreakdown(g, batch));
        }
        double masker = maskerMs(q);
        Option open = option(CpuTerm.DENSE, BlockWork.dense(g, batch), masker);
        Option masked = option(CpuTerm.MASKED_DENSE, BlockWork.dense(g, batch), masker);
        return switch (q.mode()) {
            case LAYER -> layer(g, batch, q.density(), masker);
            case CHANNEL -> q.channelDensity() >= 1
                    ? open
                    : !BlockPlan.channelSlicing(g, q.channelGroups()) ? masked : channel(q, masked, masker);
            default -> spatial(q, open, masked, masker);
        };
    }

    private Option channel(BlockLatencyQuery q, Option masked, double masker) {
        BlockGeometry g = q.geometry();
        int batch = q.batchSize();
        List<Option> options = new ArrayList<>(List.of(masked,
                option(CpuTerm.CHANNEL, BlockWork.channel(g, batch, q.channelGroups(), q.channelDensity()), masker)));
        if (batch > 1) {
            // at batch 1 the union of one pattern is that pattern: the same operations as the per-pattern path
            options.add(option(CpuTerm.CHANNEL_UNION,
                    BlockWork.channelUnion(g, batch, q.channelGroups(), q.channelDensity()), masker));
        }
        return fastest(options);
    }

    private Option option(CpuTerm path, BlockWork w, double masker) {
        return new Option(path, pathBreakdown(path, w, masker));
    }

    private static boolean allOpen(BlockLatencyQuery q) {
        long cells = (long) q.maskSide() * q.maskSide();
        boolean spatialOpen = q.activePatchesPerImage() == cells;
        boolean channelOpen = q.mode() != GateMode.BOTH
                || BlockWork.activeGroups(q.channelGroups(), q.channelDensity()) == q.channelGroups();
        return spatialOpen && channelOpen;
    }

    /** Whether every gate of a query is open (the executor then runs the unmasked dense block). */
    private static boolean everyGateOpen(BlockLatencyQuery q) {
        return switch (q.mode()) {
            case NONE -> true;
            case LAYER -> q.density() >= 1;
            case CHANNEL -> BlockWork.activeGroups(q.channelGroups(), q.channelDensity()) == q.channelGroups();
            default -> allOpen(q);
        };
    }

    private Option spatial(BlockLatencyQuery q, Option open, Option masked, double masker) {
        BlockGeometry g = q.geometry();
        if (q.activePatchesPerImage() == 0) {
            return option(CpuTerm.SKIP, BlockWork.skip(g, q.batchSize()), masker);
        }
        if (allOpen(q)) {
            return open;
        }
        if (!BlockPlan.spatialPathsExist(g, q.mode(), 1, q.channelGroups())) {
            return masked;
        }
        List<Option> options = new ArrayList<>(List.of(masked));
        for (CpuTerm t : profile.spatialSchedules()) {
            options.add(option(t, BlockWork.spatialSchedule(t, q), masker));
        }
        return fastest(options);
    }

    private Option layer(BlockGeometry g, int batch, double rho, double masker) {
        double open = rho * batch;
        int lo = (int) Math.floor(open + 1e-9);
        int hi = Math.min(batch, (int) Math.ceil(open - 1e-9));
        Option a = layerAt(g, batch, lo, masker);
        if (hi <= lo) {
            return a;
        }
        Option b = layerAt(g, batch, hi, masker);
        double f = (open - lo) / (hi - lo);
        LatencyBreakdown x = a.breakdown();
        LatencyBreakdown y = b.breakdown();
        LatencyBreakdown mixed = LatencyBreakdown.of(mix(x.maskerMs(), y.maskerMs(), f),
                mix(x.gatherMs(), y.gatherMs(), f), mix(x.conv1Ms(), y.conv1Ms(), f), mix(x.conv2Ms(), y.conv2Ms(), f),
                mix(x.conv3Ms(), y.conv3Ms(), f), mix(x.scatterMs(), y.scatterMs(), f),
                mix(x.downsampleMs(), y.downsampleMs(), f));
        return new Option(f < 0.5 ? a.path() : b.path(), mixed);
    }

    private static double mix(double a, double b, double f) {
        return a + f * (b - a);
    }

    private Option layerAt(BlockGeometry g, int batch, int open, double masker) {
        if (open == 0) {
            return option(CpuTerm.SKIP, BlockWork.skip(g, batch), masker);
        }
        if (open == batch) {
            return option(CpuTerm.DENSE, BlockWork.dense(g, batch), masker);
        }
        return fastest(List.of(option(CpuTerm.MASKED_DENSE, BlockWork.dense(g, batch), masker),
                option(CpuTerm.LAYER, BlockWork.layer(g, batch, open), masker)));
    }

    private static Option fastest(List<Option> options) {
        Option best = options.get(0);
        for (Option o : options) {
            if (o.breakdown().totalMs() < best.breakdown().totalMs()) {
                best = o;
            }
        }
        return best;
    }

    /**
     * Returns the maskers' predicted time: the spatial masker term for SPATIAL, BOTH and LAYER plus the channel
     * masker term for CHANNEL and BOTH, each at {@code B * Cin * Hin * Win} input elements.
     *
     * @param q the query
     * @return ms
     */
    public double maskerMs(BlockLatencyQuery q) {
        BlockGeometry g = q.geometry();
        double in = (double) q.batchSize() * g.inChannels() * g.inHeight() * g.inWidth();
        double t = 0;
        if (q.mode().hasSpatialGate()) {
            t += profile.term(CpuTerm.SPATIAL_MASKER).predict(in);
        }
        if (q.mode().hasChannelGate()) {
            t += profile.term(CpuTerm.CHANNEL_MASKER).predict(in);
        }
        return t;
    }

    /**
     * Predicts one execution path on given work, split by feature as the class comment describes.
     *
     * @param path a block path term
     * @param w the work
     * @param maskerMs the maskers' time to include
     * @return the breakdown
     * @throws IllegalArgumentException if {@code path} is not a block path
     */
    public LatencyBreakdown pathBreakdown(CpuTerm path, BlockWork w, double maskerMs) {
        if (path == null || !path.isBlockPath()) {
            throw new IllegalArgumentException("path must be a block path term, got " + path);
        }
        LinearTerm t = profile.term(path);
        double c1 = coef(t, BlockWork.MACS_1X1);
        double c3 = coef(t, BlockWork.MACS_3X3);
        double cm = coef(t, BlockWork.MOVED);
        double cw = coef(t, BlockWork.WEIGHTS);
        double conv1 = (w.basic() ? c3 : c1) * w.conv1Macs() + cw * w.conv1Weights();
        double conv2 = c3 * w.conv2Macs() + cw * w.conv2Weights();
        double conv3 = c1 * w.conv3Macs() + cw * w.conv3Weights();
        double down = c1 * w.downsampleMacs() + cw * w.downsampleWeights();
        double gather = cm * w.gathered() + coef(t, BlockWork.PATCHES) * w.patches()
                + coef(t, BlockWork.PATTERNS) * w.patterns();
        double scatter = t.intercept() + cm * w.scattered() + coef(t, BlockWork.MAP_ELEMENTS) * w.mapElements();
        return LatencyBreakdown.of(maskerMs, gather, conv1, conv2, conv3, scatter, down);
    }

    /**
     * Predicts the masker plus one given path on a query, whether or not it is the fastest: for comparing a
     * measurement with the prediction of the path an executor actually took. A layer query runs {@code round(rho B)}
     * samples.
     *
     * @param path a block path term the profile holds
     * @param q the query
     * @return ms
     * @throws IllegalArgumentException if the path is not a block path, the profile lacks it, or it cannot run the
     *     query's mode (a spatial schedule for a non-spatial query or a block without sparse spatial paths)
     */
    public double pathLatencyMs(CpuTerm path, BlockLatencyQuery q) {
        if (path == null || !path.isBlockPath() || q == null) {
            throw new IllegalArgumentException("path must be a block path term and q non-null, got " + path);
        }
        profile.term(path);
        BlockGeometry g = q.geometry();
        int batch = q.batchSize();
        BlockWork w = switch (path) {
            case SKIP -> BlockWork.skip(g, batch);
            case DENSE, MASKED_DENSE -> BlockWork.dense(g, batch);
            case LAYER -> BlockWork.layer(g, batch, (int) Math.round(q.density() * batch));
            case CHANNEL -> BlockWork.channel(g, batch, q.channelGroups(), q.channelDensity());
            case CHANNEL_UNION -> BlockWork.channelUnion(g, batch, q.channelGroups(), q.channelDensity());
            default -> BlockWork.spatialSchedule(path, q);
        };
        double masker = q.mode() == GateMode.NONE ? 0 : maskerMs(q);
        return pathBreakdown(path, w, masker).totalMs();
    }

    /**
     * Returns the term that times an executor's path on a query: {@link CpuTerm#DENSE} for the dense path when every
     * gate is open (or the block is static), {@link CpuTerm#MASKED_DENSE} when it ran with partly open masks, the
     * term of the same name otherwise.
     *
     * @param executionPath the name of an {@code ExecutionPath}
     * @param q the query the path ran
     * @return the term
     * @throws IllegalArgumentException for an unknown path name
     */
    public static CpuTerm termOf(String executionPath, BlockLatencyQuery q) {
        if (executionPath == null || q == null) {
            throw new IllegalArgumentException("executionPath and q must not be null");
        }
        if (executionPath.equals(CpuTerm.DENSE.name())) {
            return everyGateOpen(q) ? CpuTerm.DENSE : CpuTerm.MASKED_DENSE;
        }
        CpuTerm t;
        try {
            t = CpuTerm.valueOf(executionPath);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("executionPath must name an execution path, got " + executionPath, e);
        }
        if (!t.isBlockPath() || t == CpuTerm.MASKED_DENSE) {
            throw new IllegalArgumentException("executionPath must name an execution path, got " + executionPath);
        }
        return t;
    }

    /**
     * Returns the paths this model may predict for a query's mode on the profile's backend, in {@link CpuTerm} order:
     * for reports that compare a prediction with the path an executor took.
     *
     * @param mode a gate mode
     * @return the block path terms (the dense and skip terms included)
     */
    public List<CpuTerm> paths(GateMode mode) {
        List<CpuTerm> out = new ArrayList<>(List.of(CpuTerm.SKIP, CpuTerm.MASKED_DENSE, CpuTerm.DENSE));
        switch (mode) {
            case LAYER -> out.add(CpuTerm.LAYER);
            case CHANNEL -> out.addAll(List.of(CpuTerm.CHANNEL, CpuTerm.CHANNEL_UNION));
            case SPATIAL, BOTH -> out.addAll(profile.spatialSchedules());
            default -> { }
        }
        return out;
    }

    private static double coef(LinearTerm t, String feature) {
        return t.features().contains(feature) ? t.coefficient(feature) : 0;
    }
}
