package org.laudnet.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LAUDNet kernels loaded into one {@link CudaContext}.
 *
 * <p>Loading picks the shipped PTX of the highest architecture not above the device's compute capability
 * ({@link PtxCatalog#selectArchitecture}). When no shipped PTX fits (compute capability 7.0) or the driver rejects it
 * (the shipped PTX has ISA 9.0 from CUDA 13 and needs a CUDA 13 driver), the kernel source is compiled at run time with
 * NVRTC for the device's own {@code compute_XX}. If that is impossible too, loading fails with an
 * {@link IllegalStateException} that names what is missing. Function handles are looked up once per {@link Kernel}
 * and cached.
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
     * Loads the kernels for the context's device.
     *
     * @param context the context
     * @return the module
     * @throws IllegalStateException if neither shipped PTX nor NVRTC can provide code for the device
     */
    public static KernelModule load(CudaContext context) {
        if (context == null) {
            throw new IllegalArgumentException("context must not be null");
        }
        context.makeCurrent();
        ComputeCapability cc = context.computeCapability();
        Optional<Integer> sm = PtxCatalog.selectArchitecture(cc);
        String shippedProblem;
        if (sm.isPresent()) {
            CUmodule module = new CUmodule();
            int r = cuModuleLoadData(module, nulTerminated(PtxCatalog.readPtx(sm.get())));
            if (r == CUresult.CUDA_SUCCESS) {
                String origin = "shipped PTX sm_" + sm.get();
                LOG.info("Loaded LAUDNet kernels for {} from {}", context.deviceName(), origin);
                return new KernelModule(context, module, ComputeCapability.ofSm(sm.get()), origin);
            }
            if (r != CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION && r != CUresult.CUDA_ERROR_INVALID_PTX
                    && r != CUresult.CUDA_ERROR_JIT_COMPILER_NOT_FOUND) {
                Cu.check(r, "cuModuleLoadData", "shipped PTX sm_" + sm.get());
            }
            shippedProblem = "the driver rejected shipped PTX sm_" + sm.get() + " (" + CUresult.stringFor(r)
                    + "; it is ISA " + PtxCatalog.readManifest().getProperty("nvcc.release", "?")
                    + " and needs a driver of that CUDA release or newer)";
        } else {
            shippedProblem = "no shipped PTX for compute capability " + cc + " (shipped: sm_"
                    + PtxCatalog.SHIPPED_ARCHITECTURES.toString().replace(", ", ", sm_").replace("[", "")
                            .replace("]", "")
                    + ")";
        }
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

    /** Returns where the code came from, e.g. {@code "shipped PTX sm_86"} or {@code "NVRTC compute_70"}. */
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
