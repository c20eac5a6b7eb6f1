package org.laudnet.cuda.exec;

import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.exec.UploadCache;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.cuda.CudaContext;
import org.laudnet.cuda.DeviceBuffer;
import org.laudnet.cuda.KernelModule;
import org.laudnet.cuda.Precision;
import org.laudnet.cuda.SparseKernels;

/**
 * The CUDA backend (id {@value #ID}): tensors are fp32 {@link DeviceBuffer}s of one {@link CudaContext}, every
 * primitive is a launch of the LAUDNet kernels ({@code laudnet_kernels.cu}) on the context's stream, see
 * {@link CudaKernels}. The only spatial schedule is {@link SpatialSchedule#HALO} (the fused gather + conv1 kernel).
 * Convolutions run as implicit GEMMs in the chosen {@link Precision}: {@link Precision#FP32} matches the reference to
 * about {@code 1e-5} relative; {@link Precision#TF32} uses tensor cores on compute capability 8.0 and newer.
 *
 * <p>Lifetime: {@link #create} retains the device's primary context (or attaches to the calling thread's current one)
 * and loads the kernels; {@link #on} shares a module loaded elsewhere. {@link #close()} frees the uploaded weights and,
 * for a backend made by {@link #create}, unloads the kernels and releases the context. Close the executors (their
 * {@link Kernels}) first.
 *
 * <p>Thread safety: {@link #upload} and {@link #newKernels} may be called from any thread (uploads are serialised by
 * the backend's {@link org.laudnet.core.exec.UploadCache}, {@code newKernels} and {@code close} synchronize on the
 * backend); uploaded weights are read concurrently by every executor. Uploading the same {@link FoldedConv} object
 * twice returns the same weights. All executors share the context's stream.
 */
public final class CudaBackend implements Backend<DeviceBuffer> {

    /** The backend's identifier, {@code "cuda"}. */
    public static final String ID = "cuda";

    private static final Set<SpatialSchedule> SCHEDULES = Set.of(SpatialSchedule.HALO);

    private final CudaContext context;
    private final KernelModule module;
    private final boolean owns;
    private final SparseKernels launchers;
    private final String description;
    private final UploadCache<CudaWeights> uploaded = new UploadCache<>();
    private final AtomicLong weightBytes = new AtomicLong();
    private volatile boolean closed;

    private CudaBackend(KernelModule module, boolean owns, Precision precision) {
        this.context = module.context();
        this.module = module;
        this.owns = owns;
        this.launchers = new SparseKernels(module, precision);
        this.description = "CUDA on " + context.deviceName() + " (compute capability " + context.computeCapability()
                + ", kernels from " + module.origin() + ", " + precision + " arithmetic)";
    }

    /**
     * Creates a backend on the calling thread's current context, or else on the primary context of a device, and
     * loads the kernels.
     *
     * @param deviceOrdinal the device used when no context is current, in {@code [0, deviceCount)}
     * @param precision the GEMM arithmetic
     * @return the backend; closing it releases the context and the kernels it loaded
     * @throws IllegalArgumentException if {@code precision} is null or the ordinal is out of range
     * @throws IllegalStateException if CUDA is unavailable (the message carries the probe's reason) or the kernels
     *     cannot be loaded
     */
    public static CudaBackend create(int deviceOrdinal, Precision precision) {
        if (precision == null) {
            throw new IllegalArgumentException("precision must not be null");
        }
        CudaContext ctx = CudaContext.currentOrPrimary(deviceOrdinal);
        KernelModule mod = null;
        try {
            mod = KernelModule.load(ctx);
            return new CudaBackend(mod, true, precision);
        } catch (RuntimeException e) {
            if (mod != null) {
                mod.close();
            }
            ctx.close();
            throw e;
        }
    }

    /**
     * Creates a backend on loaded kernels that the caller keeps owning (several backends, e.g. of both precisions,
     * may share one module).
     *
     * @param module the loaded kernels; their context is used
     * @param precision the GEMM arithmetic
     * @return the backend; closing it frees only its weights
     * @throws IllegalArgumentException if an argument is null
     */
    public static CudaBackend on(KernelModule module, Precision precision) {
        if (module == null || precision == null) {
            throw new IllegalArgumentException("module and precision must not be null");
        }
        return new CudaBackend(module, false, precision);
    }

    /** Returns {@value #ID}. */
    @Override
    public String id() {
        return ID;
    }

    /** Returns the GPU's name, its compute capability, where the kernels came from, and the arithmetic. */
    @Override
    public String description() {
        return description;
    }

    /** Returns {@code {HALO}}. */
    @Override
    public Set<SpatialSchedule> spatialSchedules() {
        return SCHEDULES;
    }

    /** Returns the context the backend runs on. */
    public CudaContext context() {
        return context;
    }

    /**
     * Copies a convolution's weight and bias to the device (once per {@link FoldedConv} object). Thread-safe.
     *
     * @param conv the convolution
     * @return its device weights, valid until the backend closes
     * @throws IllegalArgumentException if {@code conv} is null
     * @throws IllegalStateException if the backend is closed
     */
    @Override
    public ConvWeights upload(FoldedConv conv) {
        ensureOpen();
        return uploaded.get(conv, c -> {
            DeviceBuffer weight = DeviceBuffer.of(context, c.weight());
            DeviceBuffer bias;
            try {
                bias = DeviceBuffer.of(context, c.bias());
            } catch (RuntimeException e) {
                try {
                    weight.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            weightBytes.addAndGet((weight.elements() + bias.elements()) * Float.BYTES);
            return new CudaWeights(c, weight, bias);
        });
    }

    /**
     * Creates the primitive operations of one executor, with their own buffer pool. Thread-safe.
     *
     * @return new kernels; the caller closes them
     * @throws IllegalStateException if the backend is closed
     */
    @Override
    public synchronized Kernels<DeviceBuffer> newKernels() {
        ensureOpen();
        return new CudaKernels(this);
    }

    /** Returns the bytes of the uploaded weights on the device (0 once the backend is closed). */
    public long weightBytes() {
        return weightBytes.get();
    }

    SparseKernels launchers() {
        return launchers;
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the CUDA backend is closed");
        }
    }

    /**
     * Waits for the queued work, frees every uploaded weight and, for a backend made by {@link #create}, unloads the
     * kernels and releases the context. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<CudaWeights> weights = uploaded.drain();
        try {
            context.synchronize();
            for (CudaWeights w : weights) {
                w.weight().close();
                w.bias().close();
            }
        } finally {
            weightBytes.set(0);
            if (owns) {
                try {
                    module.close();
                } finally {
                    context.close();
                }
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "CudaBackend[" + description + (closed ? ", closed" : "") + "]";
    }
}
