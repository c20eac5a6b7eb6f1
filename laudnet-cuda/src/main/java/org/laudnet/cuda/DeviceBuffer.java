package org.laudnet.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

/**
 * A device allocation of {@code n} 4-byte elements (fp32 or int32) in one {@link CudaContext}. Copies run on the
 * context's stream; the host-side copy methods wait for them. A zero-element buffer still allocates 4 bytes so that it
 * can be passed to kernels that do not read it.
 *
 * <p>Thread safety: distinct buffers may be used from different threads; one buffer must not be closed while another
 * thread uses it. Copies and kernels are ordered by the context's single stream.
 */
public final class DeviceBuffer implements AutoCloseable {

    private final CudaContext context;
    private final CUdeviceptr pointer;
    private final long elements;
    private boolean closed;

    private DeviceBuffer(CudaContext context, long elements) {
        if (elements < 0 || elements > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("elements must be in [0, 2^31), got " + elements);
        }
        this.context = context;
        this.elements = elements;
        this.pointer = new CUdeviceptr();
        context.makeCurrent();
        Cu.check(cuMemAlloc(pointer, Math.max(1, elements) * Float.BYTES), "cuMemAlloc", elements + " elements");
    }

    /**
     * Allocates an uninitialised buffer.
     *
     * @param context the context
     * @param elements number of 4-byte elements
     * @return the buffer
     */
    public static DeviceBuffer allocate(CudaContext context, long elements) {
        return new DeviceBuffer(context, elements);
    }

    /**
     * Allocates a buffer holding a copy of {@code host}.
     *
     * @param context the context
     * @param host the values
     * @return the buffer (freed again if the copy fails)
     */
    public static DeviceBuffer of(CudaContext context, float[] host) {
        DeviceBuffer b = new DeviceBuffer(context, host.length);
        try {
            b.upload(host);
        } catch (RuntimeException e) {
            try {
                b.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return b;
    }

    /** Returns the number of elements. */
    public long elements() {
        return elements;
    }

    CUdeviceptr pointer() {
        ensureOpen();
        return pointer;
    }

    CudaContext context() {
        return context;
    }

    /**
     * Copies {@code host} into the buffer and waits for the copy.
     *
     * @param host exactly {@link #elements()} values
     */
    public void upload(float[] host) {
        requireLength(host.length);
        copyIn(Pointer.to(host), host.length);
    }

    /**
     * Copies {@code host} into the first {@code host.length} elements of the buffer and waits for the copy (the
     * remaining elements keep their values); used for workspaces sized for the largest call.
     *
     * @param host at most {@link #elements()} values
     */
    public void uploadPrefix(int[] host) {
        requirePrefix(host.length);
        copyIn(Pointer.to(host), host.length);
    }

    /**
     * Copies {@code host} into the first {@code host.length} elements of the buffer and waits for the copy.
     *
     * @param host at most {@link #elements()} values
     */
    public void uploadPrefix(float[] host) {
        requirePrefix(host.length);
        copyIn(Pointer.to(host), host.length);
    }

    /**
     * Returns the first {@code n} elements as floats (waits for all queued work on the stream first).
     *
     * @param n number of elements, in {@code [0, elements()]}
     * @return the values
     */
    public float[] downloadFloats(int n) {
        requirePrefix(n);
        float[] host = new float[n];
        ensureOpen();
        context.makeCurrent();
        if (n > 0) {
            Cu.check(cuMemcpyDtoHAsync(Pointer.to(host), pointer, (long) n * Float.BYTES, context.stream()),
                    "cuMemcpyDtoHAsync");
        }
        Cu.check(cuStreamSynchronize(context.stream()), "cuStreamSynchronize");
        return host;
    }

    private void requirePrefix(int n) {
        if (n < 0 || n > elements) {
            throw new IllegalArgumentException("n must be in [0, " + elements + "], got " + n);
        }
    }

    /**
     * Sets every element to {@code value} (queued on the stream), e.g. NaN to poison an output before a test.
     *
     * @param value the fill value
     */
    public void fill(float value) {
        ensureOpen();
        context.makeCurrent();
        if (elements > 0) {
            Cu.check(cuMemsetD32Async(pointer, Float.floatToRawIntBits(value), elements, context.stream()),
                    "cuMemsetD32Async");
        }
    }

    private void copyIn(Pointer host, long n) {
        ensureOpen();
        context.makeCurrent();
        if (n > 0) {
            Cu.check(cuMemcpyHtoDAsync(pointer, host, n * Float.BYTES, context.stream()), "cuMemcpyHtoDAsync");
            Cu.check(cuStreamSynchronize(context.stream()), "cuStreamSynchronize");
        }
    }

    private void requireLength(int n) {
        if (n != elements) {
            throw new IllegalArgumentException("host must have " + elements + " elements, got " + n);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("DeviceBuffer is closed");
        }
    }

    /** Frees the allocation. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        context.makeCurrent();
        Cu.check(cuMemFree(pointer), "cuMemFree");
        closed = true;
    }
}
