package org.laudnet.cuda;

import java.util.List;
import java.util.Optional;

/**
 * What the NVIDIA driver must provide for this module, and why.
 *
 * <ul>
 *   <li><b>The shipped PTX</b> is PTX ISA 7.8 from the CUDA 11.8 toolkit ({@link PtxCatalog}): a driver JITs it when it
 *       supports CUDA 11.8 or newer ({@code cuDriverGetVersion >= }{@value #MIN_DRIVER_VERSION}, Linux driver
 *       {@value #MIN_LINUX_DRIVER} or newer, the R520 branch). This is the binding requirement.
 *   <li><b>JCuda 12.6.0's native library</b> ({@code libJCudaDriver-12.6.0-linux-x86_64.so}) links {@code libcuda.so.1}
 *       of any version, glibc 2.17 and libstdc++ ({@code GLIBCXX_3.4}, {@code CXXABI_1.3.9}). It imports the driver
 *       API's entry points up to those of CUDA 12.0 ({@code cuGraphAddKernelNode_v2}, {@code cuCtxGetId}), all bound
 *       lazily (no {@code BIND_NOW}), so it loads on older drivers too; an entry point a driver lacks would only fail
 *       when called. This module calls only {@link #ENTRY_POINTS}, all present since CUDA
 *       {@value #ENTRY_POINTS_SINCE_TEXT} ({@code cuDevicePrimaryCtxRelease_v2} is the newest). JCuda's natives
 *       therefore need no newer driver than the PTX does.
 *   <li><b>NVRTC</b>, the last resort, needs {@code libnvrtc.so.12} (a CUDA 12 toolkit) and emits PTX that only a CUDA 12
 *       driver loads.
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class DriverRequirements {

    /** The oldest driver that can JIT the shipped PTX, as {@code cuDriverGetVersion} reports it (CUDA 11.8). */
    public static final int MIN_DRIVER_VERSION = 11080;
    /** The Linux driver release of {@link #MIN_DRIVER_VERSION}. */
    public static final String MIN_LINUX_DRIVER = "520.61.05";
    /** The JCuda release whose natives this module is built against. */
    public static final String JCUDA_VERSION = "12.6.0";
    /** The CUDA release since which every one of {@link #ENTRY_POINTS} exists. */
    static final String ENTRY_POINTS_SINCE_TEXT = "11.0";
    /**
     * The driver API entry points this module calls, as the symbols JCuda's native library imports from
     * {@code libcuda.so.1} (the {@code _v2} names are what {@code cuda.h} maps the plain names to).
     */
    public static final List<String> ENTRY_POINTS = List.of("cuCtxGetCurrent", "cuCtxGetDevice", "cuCtxSetCurrent",
            "cuDeviceGet", "cuDeviceGetAttribute", "cuDeviceGetCount", "cuDeviceGetName",
            "cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRetain", "cuDriverGetVersion", "cuEventCreate",
            "cuEventDestroy_v2", "cuEventElapsedTime", "cuEventRecord", "cuEventSynchronize", "cuInit",
            "cuLaunchKernel", "cuMemAlloc_v2", "cuMemFree_v2", "cuMemcpyDtoHAsync_v2", "cuMemcpyHtoDAsync_v2",
            "cuMemsetD32Async", "cuModuleGetFunction", "cuModuleLoadData", "cuModuleUnload", "cuStreamCreate",
            "cuStreamDestroy_v2", "cuStreamSynchronize");

    private DriverRequirements() {}

    /**
     * Returns why a driver cannot run this module, or empty when it can.
     *
     * @param driverVersion the driver's {@code cuDriverGetVersion}, e.g. {@code 11040} for CUDA 11.4
     * @return the reason, naming the driver's version and the required one, or empty
     */
    public static Optional<String> problem(int driverVersion) {
        if (driverVersion >= MIN_DRIVER_VERSION) {
            return Optional.empty();
        }
        return Optional.of("NVIDIA driver too old: it supports CUDA " + PtxCatalog.formatDriverVersion(driverVersion)
                + " (cuDriverGetVersion " + driverVersion + "), and the shipped kernels (PTX ISA 7.8 from CUDA 11.8) need"
                + " CUDA " + PtxCatalog.formatDriverVersion(MIN_DRIVER_VERSION) + " or newer, a Linux driver "
                + MIN_LINUX_DRIVER + " or newer (JCuda " + JCUDA_VERSION + "'s natives load on older drivers; the"
                + " kernels do not): update the driver");
    }
}
