package org.laudnet.core.latency.cpu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.BlockExecutor;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.latency.BlockLatencyQuery;
import org.laudnet.core.latency.ConvShape;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.FoldedConv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The measurements of a {@link CpuCalibrator} on one backend, every one by the {@link TimingProtocol}: operators
 * through the backend's {@link Kernels} (as the network engine runs the stem, pooling and head), and blocks through a
 * {@link BlockExecutor} on the backend, forced onto each path it may take, on an input imported once into the
 * backend and handed over to every call ({@link BlockExecutor#handOverInput}, a non-negative input restored between
 * calls outside the timing): a timed call does what the block does inside a network, without the layout conversion of
 * a call on an array or a copy of the input. Path timings evaluate the block's gates
 * (discarding their decisions for the imposed masks), as an inference call does; each sample records which maskers ran
 * within its time. Not thread-safe; runs on the calling thread.
 */
final class BlockTimings {

    private static final Logger LOG = LoggerFactory.getLogger(BlockTimings.class);

    private final TimingProtocol protocol;
    private final long seed;
    private final List<CalibrationSample> out;

    /**
     * Creates the measurements.
     *
     * @param protocol the timing protocol
     * @param seed seed of the weights
     * @param out receives the samples
     */
    BlockTimings(TimingProtocol protocol, long seed, List<CalibrationSample> out) {
        this.protocol = protocol;
        this.seed = seed;
        this.out = out;
    }

    // ------------------------------------------------------------------------------------------------ operators

    /**
     * Times convolutions ({@code conv} with the ReLU fused, as the stem; a fully connected layer without it, as the
     * head) and poolings (the stem's max pooling, the global means) on the backend's kernels, reading one value back.
     */
    <T> void operators(Backend<T> backend, List<ConvShape> convs, int[] batches, Random r) {
        try (Kernels<T> k = backend.newKernels()) {
            for (int batch : batches) {
                for (ConvShape c : convs) {
                    ConvWeights w = backend.upload(randomConv(c, r));
                    Nchw xs = new Nchw(batch, c.inChannels(), c.inHeight(), c.inWidth());
                    boolean relu = c.kernel() > 1 || c.inHeight() > 1;
                    try (Kernels.Scope<T> scope = k.openScope()) {
                        T x = k.importHost(random(xs.size(), r), xs);
                        double t = time(() -> {
                            try (Kernels.Scope<T> s = k.openScope()) {
                                k.exportHost(k.conv(x, xs, w, null, relu), 1);
                            }
                            return null;
                        });
                        out.add(CalibrationSample.of(CpuTerm.CONV, new double[] {(double) batch * c.macs()}, t));
                    }
                }
                int[][] pools = {{64, 112, 3}, {256, 56, 0}, {512, 7, 0}, {2048, 7, 0}};
                for (int[] p : pools) {
                    Nchw xs = new Nchw(batch, p[0], p[1], p[1]);
                    try (Kernels.Scope<T> scope = k.openScope()) {
                        T x = k.importHost(random(xs.size(), r), xs);
                        double t = time(() -> {
                            try (Kernels.Scope<T> s = k.openScope()) {
                                k.exportHost(p[2] == 3 ? k.maxPool(x, xs, 3, 2, 1) : k.mean(x, xs), 1);
                            }
                            return null;
                        });
                        out.add(CalibrationSample.of(CpuTerm.POOL,
                                new double[] {(double) batch * p[0] * p[1] * p[1]}, t));
                    }
                }
            }
        }
    }

    private static FoldedConv randomConv(ConvShape c, Random r) {
        int perOut = c.inChannels() / c.groups() * c.kernel() * c.kernel();
        float[] w = new float[c.outChannels() * perOut];
        double scale = 1 / Math.sqrt(perOut);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * scale);
        }
        return new FoldedConv(c.outChannels(), c.inChannels(), c.kernel(), c.stride(), c.padding(), c.groups(), w,
                new float[c.outChannels()]);
    }

    private static float[] random(int n, Random r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    // ------------------------------------------------------------------------------------------------ blocks

    /**
     * Times one block at every batch size of the grid: the static block ({@link CpuTerm#DENSE}), and per gate spec
     * the skipped branch (layer gate all closed, {@link CpuTerm#SKIP}), the maskers, and every path at every density.
     */
    void block(NDManager manager, ParameterStore ps, Backend<?> backend, BlockGeometry g, List<GateSpec> specs,
            int[] batches, double[] densities, Random r) {
        for (int batch : batches) {
            try (NDManager sub = manager.newSubManager()) {
                // a block's input inside a network is the previous block's ReLU output
                NDArray x = sub.randomNormal(new Shape(batch, g.inChannels(), g.inHeight(), g.inWidth())).maximum(0f);
                double in = (double) batch * g.inChannels() * g.inHeight() * g.inWidth();
                try (BlockExecutor ex = executor(manager, ps, backend, g, GateSpec.none());
                        BlockExecutor.ResidentInput xr = ex.handOverInput(x)) {
                    double t = time(TimingProtocol.Call.of(xr::refresh, () -> ex.run(xr, PathPolicy.DENSE).path()
                            .name()));
                    out.add(new CalibrationSample(CpuTerm.DENSE, BlockWork.dense(g, batch).vector(CpuTerm.DENSE), t,
                            0, 0, BlockLatencyQuery.staticBlock(g, batch)));
                }
                for (GateSpec spec : specs) {
                    try (BlockExecutor ex = executor(manager, ps, backend, g, spec);
                            BlockExecutor.ResidentInput xr = ex.handOverInput(x)) {
                        if (spec.mode() == GateMode.LAYER) {
                            NDArray closed = sub.zeros(new Shape(batch, 1, 1, 1));
                            // all gates closed: the branch is skipped under every policy
                            double t = time(call(ex, xr, closed, null, PathPolicy.DENSE, true));
                            out.add(new CalibrationSample(CpuTerm.SKIP, BlockWork.skip(g, batch).vector(CpuTerm.SKIP),
                                    t, in, 0, CpuCalibrator.query(g, spec, batch, 0)));
                        }
                        maskers(sub, xr, ex, spec, in);
                        for (double d : densities) {
                            if (spec.mode() == GateMode.LAYER && batch == 1) {
                                continue;
                            }
                            paths(sub, xr, g, spec, ex, backend.spatialSchedules(), batch, d, in, r);
                        }
                    }
                }
            }
        }
    }

    /**
     * Times the maskers through the executor's public API: the same call with an all-closed mask (the branch is
     * skipped, so the call is cheap) with and without evaluating the gates, as two alternatives of one measurement;
     * the masker time is the median of the differences of the two calls of each round (adjacent in time, so they
     * share the machine's state), 0 if negative (the fit is on absolute error).
     */
    private void maskers(NDManager sub, BlockExecutor.ResidentInput x, BlockExecutor ex, GateSpec spec, double in) {
        BlockGeometry g = ex.getGeometry();
        int batch = (int) x.getShape().get(0);
        CpuTerm term;
        NDArray sm = null;
        NDArray cm = null;
        if (spec.mode() == GateMode.SPATIAL || spec.mode() == GateMode.LAYER) {
            int m = spec.maskSize(g.outHeight());
            sm = sub.zeros(new Shape(batch, 1, m, m));
            term = CpuTerm.SPATIAL_MASKER;
        } else if (spec.mode() == GateMode.CHANNEL) {
            cm = sub.zeros(new Shape(batch, spec.channelGroups()));
            term = CpuTerm.CHANNEL_MASKER;
        } else {
            return;
        }
        NDArray smf = sm;
        NDArray cmf = cm;
        List<TimingProtocol.Result> res = protocol.measure(List.of(
                call(ex, x, smf, cmf, PathPolicy.DENSE, true),
                call(ex, x, smf, cmf, PathPolicy.DENSE, false)));
        double[] with = res.get(0).timesMs();
        double[] without = res.get(1).timesMs();
        double[] diff = new double[with.length];
        for (int i = 0; i < diff.length; i++) {
            diff[i] = with[i] - without[i];
        }
        out.add(new CalibrationSample(term, new double[] {in}, Math.max(0, TimingProtocol.median(diff)), 0, 0,
                CpuCalibrator.query(g, spec, batch, 0)));
    }

    private void paths(NDManager sub, BlockExecutor.ResidentInput x, BlockGeometry g, GateSpec spec, BlockExecutor ex,
            Set<SpatialSchedule> schedules, int batch, double d, double in, Random r) {
        GateMode mode = spec.mode();
        BlockLatencyQuery q = CpuCalibrator.query(g, spec, batch, d);
        NDArray sm = null;
        NDArray cm = null;
        if (mode.hasSpatialGate()) {
            int m = spec.maskSize(g.outHeight());
            sm = sub.create(CpuCalibrator.exactMask(batch, m * m, d, mode == GateMode.LAYER, r),
                    new Shape(batch, 1, m, m));
        }
        if (mode.hasChannelGate()) {
            cm = sub.create(CpuCalibrator.exactMask(batch, spec.channelGroups(), d, false, r),
                    new Shape(batch, spec.channelGroups()));
        }
        List<PathPolicy> policies = new ArrayList<>();
        List<CpuTerm> terms = new ArrayList<>();
        List<BlockWork> works = new ArrayList<>();
        switch (mode) {
            case LAYER -> {
                int open = (int) Math.round(q.density() * batch);
                if (open == 0 || open == batch) {
                    return;
                }
                policies.add(PathPolicy.SPARSE);
                terms.add(CpuTerm.LAYER);
                works.add(BlockWork.layer(g, batch, open));
            }
            case CHANNEL -> {
                if (BlockPlan.channelSlicing(g, spec.channelGroups())) {
                    policies.add(PathPolicy.CHANNEL);
                    terms.add(CpuTerm.CHANNEL);
                    works.add(BlockWork.channel(g, batch, spec.channelGroups(), q.channelDensity()));
                    if (batch > 1) {
                        // forced without a calibration, the union path runs the whole batch as one union; at batch 1
                        // it would run the per-pattern path's operations, which the model does not count twice
                        policies.add(PathPolicy.CHANNEL_UNION);
                        terms.add(CpuTerm.CHANNEL_UNION);
                        works.add(BlockWork.channelUnion(g, batch, spec.channelGroups(), q.channelDensity()));
                    }
                }
            }
            default -> {
                if (q.activePatchesPerImage() == 0) {
                    return;
                }
                // the engine runs spatial gates sparsely only where BlockPlan.spatialPathsExist allows; other blocks
                // are timed on the masked dense path alone
                if (BlockPlan.spatialPathsExist(g, mode, spec.spatialGroups(), spec.channelGroups())) {
                    for (SpatialSchedule s : SpatialSchedule.values()) {
                        if (schedules.contains(s)) {
                            CpuTerm t = CpuTerm.spatial(s);
                            policies.add(policy(s));
                            terms.add(t);
                            works.add(BlockWork.spatialSchedule(t, q));
                        }
                    }
                }
            }
        }
        policies.add(PathPolicy.DENSE);
        terms.add(CpuTerm.MASKED_DENSE);
        works.add(BlockWork.dense(g, batch));
        NDArray smf = sm;
        NDArray cmf = cm;
        List<TimingProtocol.Call> calls = new ArrayList<>();
        for (PathPolicy p : policies) {
            calls.add(call(ex, x, smf, cmf, p, true));
        }
        List<TimingProtocol.Result> res = protocol.measure(calls);
        double spatialIn = mode.hasSpatialGate() ? in : 0;
        double channelIn = mode.hasChannelGate() ? in : 0;
        for (int i = 0; i < res.size(); i++) {
            Map<String, Integer> labels = res.get(i).labels();
            String want = terms.get(i).executionPath();
            if (labels.size() != 1 || !labels.containsKey(want)) {
                LOG.debug("forced path {} was not always taken ({}); timing dropped", want, labels);
                continue;
            }
            out.add(new CalibrationSample(terms.get(i), works.get(i).vector(terms.get(i)), res.get(i).medianMs(),
                    spatialIn, channelIn, q));
        }
    }

    private static PathPolicy policy(SpatialSchedule s) {
        return switch (s) {
            case HALO -> PathPolicy.SPATIAL_HALO;
            case WINDOWS -> PathPolicy.SPATIAL_WINDOWS;
            case M1 -> PathPolicy.SPATIAL_M1;
            case ROWS -> PathPolicy.SPATIAL_ROWS;
        };
    }

    /**
     * One call through the executor on a resident input (completed when it returns; the path taken is its label),
     * the input restored before it, outside the timing.
     */
    static TimingProtocol.Call call(BlockExecutor ex, BlockExecutor.ResidentInput x, NDArray sm, NDArray cm,
            PathPolicy policy, boolean gates) {
        return TimingProtocol.Call.of(x::refresh, () -> ex.runWithMasks(x, sm, cm, policy, gates).path().name());
    }

    private double time(TimingProtocol.Call call) {
        return protocol.measure(List.of(call)).get(0).medianMs();
    }

    private BlockExecutor executor(NDManager manager, ParameterStore ps, Backend<?> backend, BlockGeometry g,
            GateSpec spec) {
        GatedResidualBlock b = GatedResidualBlock.builder().setGeometry(g).optGateSpec(spec).optSeed(seed).build();
        b.initialize(manager, DataType.FLOAT32, new Shape(1, g.inChannels(), g.inHeight(), g.inWidth()));
        return BlockExecutor.builder().setBlock(b).setManager(manager).optParameterStore(ps).optBackend(backend)
                .build();
    }
}
