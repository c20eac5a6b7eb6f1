package org.laudnet.cuda;

import static jcuda.driver.JCudaDriver.cuCtxGetCurrent;
import static jcuda.driver.JCudaDriver.cuCtxGetDevice;
import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.nio.charset.StandardCharsets;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A CUDA context bound to one device, with a non-blocking stream it owns. Either attaches to the calling thread's
 * current context (e.g. one created by another library) or retains the primary context of a chosen device ordinal.
 * {@link #close()} destroys the stream and releases the primary context if this object retained it; an attached
 * context is left alive.
 *
 * <p>Thread safety: every method may be called from any thread ({@link #makeCurrent()} binds the context to the
 * calling thread, and each operation of this package does so); {@link #close()} must not race with other calls.
 */
public final class CudaContext implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CudaContext.class);

    private final CUcontext context;
    private final CUdevice device;
    private final boolean retainedPrimary;
    private final CUstream stream;
    private final ComputeCapability capability;
    private final String deviceName;
    private boolean closed;

    private CudaContext(CUcontext context, CUdevice device, boolean retainedPrimary) {
        this.context = context;
        this.device = device;
        this.retainedPrimary = retainedPrimary;
        int[] major = {0};
        int[] minor = {0};
        Cu.check(cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device),
                "cuDeviceGetAttribute", "compute capability major");
        Cu.check(cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device),
                "cuDeviceGetAttribute", "compute capability minor");
        this.capability = new ComputeCapability(major[0], minor[0]);
        byte[] name = new byte[256];
        Cu.check(cuDeviceGetName(name, name.length, device), "cuDeviceGetName");
        int len = 0;
        while (len < name.length && name[len] != 0) {
            len++;
        }
        this.deviceName = new String(name, 0, len, StandardCharsets.US_ASCII);
        this.stream = new CUstream();
        Cu.check(cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        LOG.info("CUDA context on {} (compute capability {}), {}", deviceName, capability,
                retainedPrimary ? "primary context retained" : "attached to the current context");
    }

    /**
     * Uses the calling thread's current context if there is one, otherwise retains the primary context of device
     * {@code deviceOrdinal} and makes it current.
     *
     * @param deviceOrdinal device to use when no context is current, in {@code [0, deviceCount)}
     * @return the context
     * @throws IllegalStateException if CUDA is unavailable (message carries the probe's reason)
     */
    public static CudaContext currentOrPrimary(int deviceOrdinal) {
        requireCuda();
        CUcontext current = new CUcontext();
        Cu.check(cuCtxGetCurrent(current), "cuCtxGetCurrent");
        if (!isNull(current)) {
            CUdevice dev = new CUdevice();
            Cu.check(cuCtxGetDevice(dev), "cuCtxGetDevice");
            return new CudaContext(current, dev, false);
        }
        return primary(deviceOrdinal);
    }

    /**
     * Retains the primary context of a device and makes it current on the calling thread.
     *
     * @param deviceOrdinal device index in {@code [0, deviceCount)}
     * @return the context
     * @throws IllegalArgumentException if the ordinal is out of range
     * @throws IllegalStateException if CUDA is unavailable
     */
    public static CudaContext primary(int deviceOrdinal) {
        CudaAvailability.Status status = requireCuda();
        if (deviceOrdinal < 0 || deviceOrdinal >= status.deviceCount()) {
            throw new IllegalArgumentException(
                    "deviceOrdinal must be in [0, " + status.deviceCount() + "), got " + deviceOrdinal);
        }
        CUdevice dev = new CUdevice();
        Cu.check(cuDeviceGet(dev, deviceOrdinal), "cuDeviceGet", "ordinal " + deviceOrdinal);
        CUcontext ctx = new CUcontext();
        Cu.check(cuDevicePrimaryCtxRetain(ctx, dev), "cuDevicePrimaryCtxRetain", "ordinal " + deviceOrdinal);
        Cu.check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
        return new CudaContext(ctx, dev, true);
    }

    private static CudaAvailability.Status requireCuda() {
        CudaAvailability.Status status = CudaAvailability.status();
        if (!status.available()) {
            throw new IllegalStateException("CUDA unavailable: " + status.reason());
        }
        return status;
    }

    private static boolean isNull(CUcontext ctx) {
        return ctx.equals(new CUcontext());
    }

    /** Makes this context current on the calling thread (each public operation of this package does so). */
    public void makeCurrent() {
        ensureOpen();
        Cu.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    /** Returns the device's compute capability. */
    public ComputeCapability computeCapability() {
        return capability;
    }

    /** Returns the device's name as the driver reports it. */
    public String deviceName() {
        return deviceName;
    }

    /** Returns the stream all launches and copies of this context are queued on. */
    CUstream stream() {
        ensureOpen();
        return stream;
    }

    /** Blocks until all work queued on this context's stream has finished. */
    public void synchronize() {
        makeCurrent();
        Cu.check(cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("CudaContext on " + deviceName + " is closed");
        }
    }

    /** Destroys the stream and releases the primary context if this object retained it. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        Cu.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
        Cu.check(cuStreamSynchronize(stream), "cuStreamSynchronize");
        Cu.check(cuStreamDestroy(stream), "cuStreamDestroy");
        if (retainedPrimary) {
            Cu.check(cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
        }
        closed = true;
    }
}
