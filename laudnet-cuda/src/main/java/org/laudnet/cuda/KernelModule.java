package org.laudnet.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LAUDNet kernels loaded into one {@link CudaContext}.
 *
 * <p>Loading tries the shipped PTX of {@link PtxCatalog#candidates}: the device's own architecture or the highest
 * shipped one below it, then the {@code compute_70} baseline (PTX ISA 7.8 from CUDA 11.8: drivers from R520 on JIT it
 * for every GPU from V100 on). Only when the driver rejects all of them, or the device is older than compute
 * capability 7.0, is the kernel source compiled at run time with NVRTC for the device's own {@code compute_XX}. If that
 * is impossible too, loading fails with an {@link IllegalStateException} that names every attempt. Function handles
 * are looked up once per {@link Kernel} and cached.
 *
 * <p>Thread safety: {@link #function} and {@link #launch} may be called from any thread (the handle cache is
 * synchronized; every launch makes the context current on the calling thread and queues on the context's one stream).
 * {@link #close()} must not race with launches.
 */
public final class KernelModule implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KernelModule.class);

    private final CudaContext context;
    private final CUmodule module;
    private final ComputeCapability target;
    private final String origin;
    private final Map<Kernel, CUfunction> functions = new EnumMap<>(Kernel.class);
    private volatile boolean closed;

    private KernelModule(CudaContext context, CUmodule module, ComputeCapability target, String origin) {
        this.context = context;
        this.module = module;
        this.target = target;
        this.origin = origin;
    }

    /**
     * Loads the kernels for the context's device: the first shipped PTX of {@link PtxCatalog#candidates} that the
     * driver accepts, else NVRTC.
     *
     * @param context the context
     * @return the module
     * @throws IllegalStateException if neither shipped PTX nor NVRTC can provide code for the device (the message
     *     names every attempt and why it failed)
     */
    public static KernelModule load(CudaContext context) {
        if (context == null) {
            throw new IllegalArgumentException("context must not be null");
        }
        context.makeCurrent();
        ComputeCapability cc = context.computeCapability();
        List<String> problems = new ArrayList<>();
        List<PtxTarget> candidates = PtxCatalog.candidates(cc);
        if (candidates.isEmpty()) {
            problems.add("no shipped PTX for compute capability " + cc + " (shipped: " + PtxCatalog.SHIPPED
                    + ", the oldest for compute capability " + PtxCatalog.BASELINE.capability() + ")");
        }
        for (PtxTarget t : candidates) {
            CUmodule module = new CUmodule();
            int r = cuModuleLoadData(module, nulTerminated(PtxCatalog.readPtx(t)));
            if (r == CUresult.CUDA_SUCCESS) {
                String origin = "shipped PTX " + t.name();
                if (!problems.isEmpty()) {
                    LOG.warn("{}; loaded {} instead", String.join("; ", problems), origin);
                }
                LOG.info("Loaded LAUDNet kernels for {} (compute capability {}) from {}", context.deviceName(), cc,
                        origin);
                return new KernelModule(context, module, t.capability(), origin);
            }
            if (!isJitRejection(r)) {
                Cu.check(r, "cuModuleLoadData", "shipped PTX " + t.name());
            }
            problems.add("the driver rejected shipped PTX " + t.name() + " (" + CUresult.stringFor(r) + "; it is PTX"
                    + " ISA " + PtxCatalog.readManifest().getProperty("ptx.isa", "?") + " from CUDA "
                    + PtxCatalog.readManifest().getProperty("nvcc.release", "?") + " and needs driver "
                    + DriverRequirements.MIN_LINUX_DRIVER + " (CUDA " + PtxCatalog.formatDriverVersion(
                            DriverRequirements.MIN_DRIVER_VERSION) + ") or newer)");
        }
        String shippedProblem = String.join("; ", problems);
        LOG.info("{}; compiling the kernels with NVRTC for compute_{}", shippedProblem, cc.smNumber());
        String ptx;
        try {
            ptx = NvrtcCompiler.compile(PtxCatalog.readKernelSource(), cc);
        } catch (IllegalStateException | CudaDriverException e) {
            throw new IllegalStateException("Cannot load the LAUDNet kernels on " + context.deviceName() + ": "
                    + shippedProblem + ", and runtime compilation failed: " + e.getMessage(), e);
        }
        CUmodule module = new CUmodule();
        Cu.check(cuModuleLoadData(module, nulTerminated(ptx)), "cuModuleLoadData", "NVRTC PTX compute_" + cc.smNumber());
        return new KernelModule(context, module, cc, "NVRTC compute_" + cc.smNumber());
    }

    /** Whether a {@code cuModuleLoadData} result says the driver cannot JIT this PTX (another file may still load). */
    static boolean isJitRejection(int result) {
        return result == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION || result == CUresult.CUDA_ERROR_INVALID_PTX
                || result == CUresult.CUDA_ERROR_JIT_COMPILER_NOT_FOUND || result == CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU
                || result == CUresult.CUDA_ERROR_INVALID_IMAGE;
    }

    private static byte[] nulTerminated(String ptx) {
        byte[] bytes = ptx.getBytes(StandardCharsets.US_ASCII);
        return Arrays.copyOf(bytes, bytes.length + 1);
    }

    /** Returns the context the module lives in. */
    public CudaContext context() {
        return context;
    }

    /** Returns the architecture the loaded code was compiled for. */
    public ComputeCapability target() {
        return target;
    }

    /** Returns where the code came from, e.g. {@code "shipped PTX sm_86"}, {@code "shipped PTX compute_70"} or
     * {@code "NVRTC compute_61"}. */
    public String origin() {
        return origin;
    }

    /**
     * Returns the function handle of a kernel, looking it up on first use and caching it.
     *
     * @param kernel the kernel
     * @return its handle
     */
    public synchronized CUfunction function(Kernel kernel) {
        ensureOpen();
        return functions.computeIfAbsent(kernel, k -> {
            CUfunction f = new CUfunction();
            Cu.check(cuModuleGetFunction(f, module, k.entryName()), "cuModuleGetFunction", k.entryName());
            return f;
        });
    }

    /** Returns how many function handles are cached (for tests of the cache). */
    synchronized int cachedFunctionCount() {
        return functions.size();
    }

    /**
     * Queues one kernel launch on the context's stream; empty launches are skipped.
     *
     * @param kernel the kernel
     * @param config grid and block dimensions
     * @param params kernel parameters, {@code Pointer.to(Pointer.to(arg0), Pointer.to(arg1), ...)}
     */
    void launch(Kernel kernel, LaunchConfig config, Pointer params) {
        ensureOpen();
        if (config.isEmpty()) {
            return;
        }
        context.makeCurrent();
        Cu.check(cuLaunchKernel(function(kernel), config.gridX(), config.gridY(), config.gridZ(), config.blockX(), 1,
                1, config.dynamicSharedBytes(), context.stream(), params, null), "cuLaunchKernel", kernel.entryName());
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("KernelModule is closed");
        }
    }

    /** Unloads the module. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        context.makeCurrent();
        functions.clear();
        Cu.check(cuModuleUnload(module), "cuModuleUnload");
        closed = true;
    }
}
