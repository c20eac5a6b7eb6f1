package org.laudnet.cuda.exec;

import java.util.List;
import org.laudnet.cuda.CudaContext;
import org.laudnet.cuda.DeviceBuffer;
import org.laudnet.cuda.KernelModule;
import org.laudnet.cuda.Nchw;
import org.laudnet.cuda.Precision;
import org.laudnet.cuda.SparseKernels;
import org.laudnet.cuda.plan.LaudPlan;
import org.laudnet.cuda.plan.PlanBlock;

/**
 * Eval-mode inference of a {@link LaudPlan} on an NVIDIA GPU (method section 4). Construction uploads every folded
 * weight once; each call queues the network's kernels on the context's own stream.
 *
 * <p>Gates: the maskers run on the device; per gated block the logits (a few floats per sample) are read back, the
 * keep rule and the patch / sample / channel lists are built on the host and uploaded (a few hundred ints), and the
 * sparse kernels follow. That read-back is the one synchronisation per gated block; dense blocks never synchronise.
 * Channel slices are built on the device by the weight-gather kernel at a pattern's first use and cached.
 * See {@link PlanEngine} for the per-mode algorithm. Not thread-safe.
 */
public final class CudaLaudExecutor implements LaudExecutor {

    private final CudaContext context;
    private final KernelModule module;
    private final boolean owns;
    private final CudaBackend backend;
    private final PlanEngine<DeviceBuffer> engine;
    private final String description;

    private CudaLaudExecutor(LaudPlan plan, CudaContext context, KernelModule module, boolean owns,
            Precision precision) {
        this.context = context;
        this.module = module;
        this.owns = owns;
        this.backend = new CudaBackend(context, new SparseKernels(module, precision));
        this.engine = new PlanEngine<>(plan, backend);
        this.description = "CUDA on " + context.deviceName() + " (compute capability " + context.computeCapability()
                + ", " + module.origin() + ", " + precision + ")";
    }

    /**
     * Creates an executor on device 0 (or the thread's current context), loading the kernels.
     *
     * @param plan the plan
     * @param precision GEMM arithmetic
     * @return the executor; closing it releases the context and module it created
     * @throws IllegalStateException if CUDA is unavailable or the kernels cannot be loaded
     */
    public static CudaLaudExecutor create(LaudPlan plan, Precision precision) {
        return create(plan, 0, precision);
    }

    /**
     * Creates an executor on the thread's current context, or else on the primary context of a device, loading the
     * kernels.
     *
     * @param plan the plan
     * @param deviceOrdinal device used when no context is current, in {@code [0, deviceCount)}
     * @param precision GEMM arithmetic
     * @return the executor; closing it releases the context and module it created
     * @throws IllegalStateException if CUDA is unavailable or the kernels cannot be loaded
     */
    public static CudaLaudExecutor create(LaudPlan plan, int deviceOrdinal, Precision precision) {
        requireArgs(plan, precision);
        CudaContext ctx = CudaContext.currentOrPrimary(deviceOrdinal);
        KernelModule mod = null;
        try {
            mod = KernelModule.load(ctx);
            return new CudaLaudExecutor(plan, ctx, mod, true, precision);
        } catch (RuntimeException e) {
            if (mod != null) {
                mod.close();
            }
            ctx.close();
            throw e;
        }
    }

    /**
     * Creates an executor on an existing context and module (not closed by this executor).
     *
     * @param plan the plan
     * @param module loaded kernels; their context is used
     * @param precision GEMM arithmetic
     * @return the executor
     */
    public static CudaLaudExecutor create(LaudPlan plan, KernelModule module, Precision precision) {
        requireArgs(plan, precision);
        if (module == null) {
            throw new IllegalArgumentException("module must not be null");
        }
        return new CudaLaudExecutor(plan, module.context(), module, false, precision);
    }

    private static void requireArgs(LaudPlan plan, Precision precision) {
        if (plan == null || precision == null) {
            throw new IllegalArgumentException("plan and precision must not be null");
        }
    }

    /** {@inheritDoc} */
    @Override
    public float[] run(float[] images, int batch) {
        LaudPlan p = engine.plan();
        CpuPlanExecutor.requireInput(images, batch, p.inputChannels(), p.inputSize());
        DeviceBuffer in = backend.workspace("input", images.length);
        in.uploadPrefix(images);
        DeviceBuffer logits = engine.forward(in, batch);
        return logits.downloadFloats(batch * p.numClasses());
    }

    /**
     * Runs the network on images already on the device; the kernels are queued and this returns without waiting.
     *
     * @param images {@code (B, C, S, S)} on this executor's context
     * @param batch {@code B}
     * @return logits {@code (B, classes)}: an internal buffer overwritten by the next call
     */
    public DeviceBuffer run(DeviceBuffer images, int batch) {
        LaudPlan p = engine.plan();
        requireDevice(images, new Nchw(batch, p.inputChannels(), p.inputSize(), p.inputSize()));
        return engine.forward(images, batch);
    }

    /**
     * Runs one block on a device input (queued, not awaited).
     *
     * @param index block index
     * @param x input {@code (B, Cin, H, H)}, not a buffer returned by this executor
     * @param batch {@code B}
     * @return output {@code (B, Cout, Ho, Ho)}: an internal buffer overwritten by the next call
     */
    public DeviceBuffer runBlock(int index, DeviceBuffer x, int batch) {
        if (index < 0 || index >= engine.plan().blocks().size()) {
            throw new IllegalArgumentException("index must be in [0, " + engine.plan().blocks().size() + "), got "
                    + index);
        }
        PlanBlock b = engine.plan().blocks().get(index);
        requireDevice(x, new Nchw(batch, b.inChannels(), b.inSize(), b.inSize()));
        return engine.runBlock(index, x, batch);
    }

    private static void requireDevice(DeviceBuffer x, Nchw shape) {
        if (x == null || x.elements() < shape.size()) {
            throw new IllegalArgumentException("input must hold " + shape + " = " + shape.size() + " elements, got "
                    + (x == null ? "null" : x.elements()));
        }
    }

    /** Returns the context the executor runs on. */
    public CudaContext context() {
        return context;
    }

    /** Returns the device memory held by weights, slices and workspaces, in bytes. */
    public long deviceBytes() {
        return backend.deviceBytes();
    }

    /** {@inheritDoc} */
    @Override
    public LaudPlan plan() {
        return engine.plan();
    }

    /** {@inheritDoc} */
    @Override
    public List<BlockDecision> lastDecisions() {
        return engine.decisions();
    }

    /** {@inheritDoc} */
    @Override
    public void setGateOverride(GateOverride override) {
        engine.setOverride(override);
    }

    /** {@inheritDoc} */
    @Override
    public void setDenseAbove(int blockIndex, double density) {
        engine.setDenseAbove(blockIndex, density);
    }

    /**
     * Measures, for every block with a spatial or layer gate, the block alone on random input of batch {@code batch}:
     * the sparse path at densities 0.25, 0.5, 0.75 and 1 and the masked-dense path, fits
     * {@code t_sparse(d) = a + b d} by least squares and sets the block's threshold ({@link #setDenseAbove}) to the
     * density where the fit reaches the dense time ({@code +inf} when sparse is faster even at {@code d = 1}, 0 when
     * it is slower even at {@code d = 0}). The gate override in place is restored afterwards.
     *
     * @param batch batch size to calibrate for
     * @param warmup warm-up calls per measurement
     * @param runs timed calls per measurement (median)
     * @return one entry per calibrated block
     */
    public List<BlockCalibration> calibrate(int batch, int warmup, int runs) {
        if (batch <= 0 || warmup < 0 || runs <= 0) {
            throw new IllegalArgumentException("batch and runs must be positive and warmup non-negative, got " + batch
                    + ", " + runs + ", " + warmup);
        }
        double[] densities = {0.25, 0.5, 0.75, 1.0};
        GateOverride saved = engine.override();
        List<BlockCalibration> out = new java.util.ArrayList<>();
        java.util.Random r = new java.util.Random(batch);
        try (org.laudnet.cuda.CudaTimer timer = new org.laudnet.cuda.CudaTimer(context)) {
            for (int i = 0; i < engine.plan().blocks().size(); i++) {
                PlanBlock b = engine.plan().blocks().get(i);
                if (!b.gate().mode().hasSpatialMasker()) {
                    continue;
                }
                float[] x = new float[batch * b.inChannels() * b.inSize() * b.inSize()];
                for (int k = 0; k < x.length; k++) {
                    x[k] = Math.max(0f, (float) r.nextGaussian());
                }
                double before = engine.denseAbove(i);
                try (DeviceBuffer in = DeviceBuffer.of(context, x)) {
                    double[] sparse = new double[densities.length];
                    for (int k = 0; k < densities.length; k++) {
                        engine.setOverride(new DensityOverride(densities[k], 17));
                        engine.setDenseAbove(i, Double.POSITIVE_INFINITY);
                        sparse[k] = median(timer, in, i, batch, warmup, runs);
                    }
                    engine.setOverride(new DensityOverride(0.5, 17));
                    engine.setDenseAbove(i, 0);
                    double dense = median(timer, in, i, batch, warmup, runs);
                    double threshold = threshold(densities, sparse, dense);
                    engine.setDenseAbove(i, threshold);
                    out.add(new BlockCalibration(i, densities, sparse, dense, threshold));
                } catch (RuntimeException e) {
                    engine.setDenseAbove(i, before);
                    throw e;
                }
            }
        } finally {
            engine.setOverride(saved);
        }
        return out;
    }

    private double median(org.laudnet.cuda.CudaTimer timer, DeviceBuffer in, int index, int batch, int warmup,
            int runs) {
        for (int k = 0; k < warmup; k++) {
            engine.runBlock(index, in, batch);
        }
        double[] t = new double[runs];
        for (int k = 0; k < runs; k++) {
            timer.start();
            engine.runBlock(index, in, batch);
            t[k] = timer.stopMillis();
        }
        java.util.Arrays.sort(t);
        return runs % 2 == 1 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
    }

    /**
     * The density where the least-squares line through {@code (d_k, sparse_k)} reaches {@code dense}.
     *
     * @param d densities
     * @param sparse sparse times at those densities
     * @param dense masked-dense time
     * @return the threshold, {@code +inf} when sparse never loses on {@code [0, 1]}, 0 when it always loses
     */
    static double threshold(double[] d, double[] sparse, double dense) {
        int n = d.length;
        double md = 0;
        double mt = 0;
        for (int k = 0; k < n; k++) {
            md += d[k] / n;
            mt += sparse[k] / n;
        }
        double sxy = 0;
        double sxx = 0;
        for (int k = 0; k < n; k++) {
            sxy += (d[k] - md) * (sparse[k] - mt);
            sxx += (d[k] - md) * (d[k] - md);
        }
        double slope = sxx == 0 ? 0 : sxy / sxx;
        double intercept = mt - slope * md;
        if (intercept + slope <= dense) {
            return Double.POSITIVE_INFINITY;
        }
        if (intercept >= dense) {
            return 0;
        }
        return (dense - intercept) / slope;
    }

    /**
     * The measurements of one block by {@link #calibrate}.
     *
     * @param blockIndex block index
     * @param densities measured densities
     * @param sparseMillis median sparse time at each density
     * @param denseMillis median masked-dense time
     * @param denseAbove the threshold set
     */
    public record BlockCalibration(int blockIndex, double[] densities, double[] sparseMillis, double denseMillis,
            double denseAbove) {}

    /** {@inheritDoc} */
    @Override
    public String description() {
        return description;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        engine.close();
        if (owns) {
            module.close();
            context.close();
        }
    }
}
