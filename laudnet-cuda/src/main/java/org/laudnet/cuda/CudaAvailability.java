package org.laudnet.cuda;

import jcuda.CudaException;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes once whether the CUDA driver can be used from this JVM and caches the answer with a human-readable reason.
 *
 * <p>The probe calls {@code cuInit(0)}, {@code cuDeviceGetCount} and {@code cuDriverGetVersion}; a driver older than
 * the shipped kernels need ({@link DriverRequirements#problem}: CUDA 11.8, Linux driver 520.61.05) makes CUDA
 * unavailable with a reason naming both versions. On a machine without an NVIDIA driver JCuda's native library cannot
 * link against {@code libcuda.so}; that {@link LinkageError} (and any driver error) is caught, so this class never
 * throws on CPU-only machines. The result never changes during the life of the JVM.
 *
 * <p>Thread-safe: the probe runs once, in the class initialisation of a holder, whichever thread asks first.
 */
public final class CudaAvailability {

    private static final Logger LOG = LoggerFactory.getLogger(CudaAvailability.class);

    /**
     * The outcome of the probe.
     *
     * @param available whether at least one CUDA device can be used
     * @param reason why CUDA is unavailable, or a description of what was found when it is available
     * @param deviceCount number of CUDA devices (0 when unavailable)
     * @param driverVersion CUDA driver API version, e.g. {@code 13000} for 13.0 (0 when unknown)
     */
    public record Status(boolean available, String reason, int deviceCount, int driverVersion) {}

    private static final class Holder {
        static final Status STATUS = probeNow();
    }

    private CudaAvailability() {}

    /** Returns the cached probe result (probing on first call). */
    public static Status status() {
        return Holder.STATUS;
    }

    /** Returns whether a CUDA device can be used. */
    public static boolean isAvailable() {
        return status().available();
    }

    /** Returns the human-readable reason, e.g. {@code "no NVIDIA driver: libcuda.so not found (...)"}. */
    public static String reason() {
        return status().reason();
    }

    private static Status probeNow() {
        Status s;
        try {
            int r = JCudaDriver.cuInit(0);
            if (r == CUresult.CUDA_ERROR_NO_DEVICE) {
                s = new Status(false, "no CUDA device: cuInit returned CUDA_ERROR_NO_DEVICE", 0, 0);
            } else if (r != CUresult.CUDA_SUCCESS) {
                s = new Status(false, "CUDA driver unusable: cuInit returned " + CUresult.stringFor(r), 0, 0);
            } else {
                int[] count = {0};
                int rc = JCudaDriver.cuDeviceGetCount(count);
                int[] version = {0};
                JCudaDriver.cuDriverGetVersion(version);
                if (rc != CUresult.CUDA_SUCCESS) {
                    s = new Status(false, "cuDeviceGetCount returned " + CUresult.stringFor(rc), 0, version[0]);
                } else if (count[0] == 0) {
                    s = new Status(false, "no CUDA device: cuDeviceGetCount returned 0", 0, version[0]);
                } else if (DriverRequirements.problem(version[0]).isPresent()) {
                    s = new Status(false, count[0] + " CUDA device(s), but "
                            + DriverRequirements.problem(version[0]).get(), 0, version[0]);
                } else {
                    s = new Status(true, count[0] + " CUDA device(s), driver API " + version[0] / 1000 + "."
                            + (version[0] % 1000) / 10, count[0], version[0]);
                }
            }
        } catch (UnsatisfiedLinkError e) {
            s = new Status(false, describeLinkError(e), 0, 0);
        } catch (LinkageError e) {
            s = new Status(false, "JCuda unusable: " + e, 0, 0);
        } catch (CudaException e) {
            s = new Status(false, "CUDA driver error during probe: " + e.getMessage(), 0, 0);
        }
        LOG.debug("CUDA probe: {}", s.reason());
        return s;
    }

    private static String describeLinkError(UnsatisfiedLinkError e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append(' ');
        }
        String text = all.toString();
        if (text.contains("libcuda")) {
            return "no NVIDIA driver: libcuda.so not found (" + firstLine(text) + ")";
        }
        return "JCuda native library could not be loaded (" + firstLine(text) + ")";
    }

    private static String firstLine(String text) {
        String t = text.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl);
    }
}
