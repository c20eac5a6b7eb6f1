package org.laudnet.core.exec;

import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.InferencePlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a whole plan for one executor on its kernels: stem, every block through its {@link BlockEngine}, head; and
 * calibrates the blocks' paths for a batch size. Not thread-safe.
 *
 * <pre>
 *   x (B, C, S, S) -> ReLU(stem(x)) [-> maxPool 3x3/2] -> block_1 .. block_n -> mean -> head -> logits (B, classes)
 * </pre>
 *
 * @param <T> the backend's tensor type
 */
final class NetworkEngine<T> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NetworkEngine.class);

    final PlanRuntime<T> runtime;
    final Kernels<T> k;
    final List<BlockEngine> blocks;
    private final boolean anySparsePath;
    private final int[] stageOfBlock;
    private final ExecutorOptions options;
    private PhaseTimer timer;
    private GateOverride override;

    NetworkEngine(PlanRuntime<T> runtime, ExecutorOptions options) {
        this.runtime = runtime;
        this.options = options;
        this.k = runtime.backend().newKernels();
        List<BlockEngine> list = new ArrayList<>();
        for (BlockWeights w : runtime.weights().blocks) {
            list.add(new BlockEngine(w, runtime.backend()));
        }
        this.blocks = List.copyOf(list);
        this.anySparsePath = blocks.stream().anyMatch(b -> !b.candidates.isEmpty());
        this.stageOfBlock = runtime.stageOfBlock();
    }

    void setPhaseTimer(PhaseTimer timer) {
        this.timer = timer;
    }

    void setGateOverride(GateOverride override) {
        this.override = override;
    }

    ExecutorOptions options() {
        return options;
    }

    /** The shape of the network input for a batch. */
    Nchw inputShape(int batch) {
        InferencePlan p = runtime.plan();
        return new Nchw(batch, p.inputChannels(), p.inputSize(), p.inputSize());
    }

    /**
     * Runs the network on an imported input, within the caller's scope; returns the logits {@code (B, classes, 1, 1)}
     * (in that scope) and appends every block's report.
     */
    T forward(T x, int batch, PathPolicy policy, List<ExecutionReport> reports) {
        InferencePlan p = runtime.plan();
        List<BlockCalibration> cal = calibrationFor(batch, policy);
        if (timer != null) {
            timer.start();
        }
        Nchw xs = inputShape(batch);
        T h = k.conv(x, xs, runtime.weights().stem, null, true);
        int size = p.stem().outSize(p.inputSize());
        Nchw hs = new Nchw(batch, p.stem().outChannels(), size, size);
        if (p.maxPool()) {
            T pooled = k.maxPool(h, hs, 3, 2, p.maxPoolPadding());
            k.release(h);
            h = pooled;
            hs = new Nchw(batch, hs.channels(), p.stemOutSize(), p.stemOutSize());
        }
        lap("stem");
        for (int i = 0; i < blocks.size(); i++) {
            T out;
            try (Kernels.Scope<T> scope = k.openScope()) {
                BlockEngine.Outcome<T> o = blocks.get(i).run(k, h, hs, null, true, policy,
                        cal == null ? null : cal.get(i), timer, override, i);
                out = scope.keep(o.output());
                reports.add(o.report());
            }
            if (out != h) {
                k.release(h);
            }
            h = out;
            BlockPlan b = p.blocks().get(i);
            hs = new Nchw(batch, b.geometry().outChannels(), b.geometry().outHeight(), b.geometry().outWidth());
        }
        T pooled = k.mean(h, hs);
        T logits = k.conv(pooled, new Nchw(batch, hs.channels(), 1, 1), runtime.weights().head, null, false);
        lap("head");
        return logits;
    }

    /** Returns the calibration the policy needs at this batch size (computing it once per model), or null. */
    private List<BlockCalibration> calibrationFor(int batch, PathPolicy policy) {
        return runtime.calibrations().forCall(batch, policy, anySparsePath, () -> {
            LOG.info("calibrating the path costs of {} blocks at batch size {} on {} (PlanRuntime.calibrate does this"
                    + " ahead of time)", blocks.size(), batch, runtime.backend().id());
            return calibrate(batch);
        });
    }

    /**
     * Measures every block's paths at a batch size, with the runtime's {@link CalibrationSettings}.
     *
     * @param batch the batch size
     * @return one calibration per block
     */
    List<BlockCalibration> calibrate(int batch) {
        long t0 = System.nanoTime();
        CalibrationSettings settings = runtime.calibrationSettings();
        Calibrator calibrator = new Calibrator(settings.runs(), settings.seed());
        List<BlockCalibration> list = new ArrayList<>();
        for (BlockEngine b : blocks) {
            list.add(calibrator.calibrate(k, b.weights, b.candidates, batch));
        }
        long measured = blocks.stream().filter(b -> !b.candidates.isEmpty()).count();
        if (measured > 0) {
            LOG.info("calibrated {} blocks at batch size {} in {} s", measured, batch,
                    String.format("%.1f", (System.nanoTime() - t0) / 1e9));
        } else {
            LOG.debug("nothing to calibrate at batch size {}: no block has a sparse path", batch);
        }
        return list;
    }

    /**
     * Builds the network report of a call.
     *
     * @param reports the blocks' reports
     * @param batch the batch size
     * @return the report
     */
    GateReport report(List<ExecutionReport> reports, int batch) {
        InferencePlan p = runtime.plan();
        double[] samples = new double[batch];
        double mean = 0;
        List<BlockDensities> densities = new ArrayList<>(reports.size());
        for (int b = 0; b < batch; b++) {
            densities.clear();
            for (ExecutionReport r : reports) {
                densities.add(r.sampleDensities().get(b));
            }
            samples[b] = p.dynamicMacs(densities);
            mean += samples[b] / batch;
        }
        return new GateReport(reports, stageOfBlock, mean, p.staticMacs(), samples);
    }

    private void lap(String phase) {
        if (timer != null) {
            timer.lap(phase);
        }
    }

    @Override
    public void close() {
        k.close();
    }
}
