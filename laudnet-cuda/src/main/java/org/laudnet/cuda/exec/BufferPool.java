package org.laudnet.cuda.exec;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import jcuda.driver.CUresult;
import org.laudnet.cuda.CudaContext;
import org.laudnet.cuda.CudaDriverException;
import org.laudnet.cuda.DeviceBuffer;

/**
 * Idle device buffers of one {@link CudaKernels}, keyed by size. Requests are rounded up to a size class
 * ({@link #sizeClass}: at most 12.5 % larger, eight classes per power of two), so that calls whose patch or sample
 * counts vary reuse each other's buffers instead of allocating new ones.
 *
 * <p>Reuse is safe without waiting for the GPU: every kernel and copy of a context runs on its one stream, so work
 * queued after a buffer returns to the pool runs after the work that last used it. Freeing is not stream-ordered:
 * when the idle buffers would exceed the limit given at construction, the stream is drained first and the returned
 * buffer freed. When an allocation runs out of device memory, the stream is drained, every idle buffer freed, and
 * the allocation tried once more.
 *
 * <p>Not thread-safe: owned by one kernels object.
 */
final class BufferPool implements AutoCloseable {

    /** The smallest size class, in elements. */
    static final long MIN_ELEMENTS = 64;

    private final CudaContext context;
    private final long idleLimitBytes;
    private final Map<Long, ArrayDeque<DeviceBuffer>> idle = new HashMap<>();
    private long idleElements;
    private long allocations;
    private boolean closed;

    /**
     * Creates an empty pool.
     *
     * @param context the context whose buffers it holds
     * @param idleLimitBytes the most bytes idle buffers may hold, non-negative
     */
    BufferPool(CudaContext context, long idleLimitBytes) {
        if (context == null) {
            throw new IllegalArgumentException("context must not be null");
        }
        if (idleLimitBytes < 0) {
            throw new IllegalArgumentException("idleLimitBytes must be non-negative, got " + idleLimitBytes);
        }
        this.context = context;
        this.idleLimitBytes = idleLimitBytes;
    }

    /**
     * Returns the size class of a request: {@code n} rounded up to a multiple of {@code 2^(e - 3)} with
     * {@code 2^e < n <= 2^(e + 1)}, at least {@link #MIN_ELEMENTS}, at most {@code 2^31 - 1}.
     *
     * @param n requested elements, non-negative and below {@code 2^31}
     * @return the elements of the buffer that serves it ({@code >= n})
     * @throws IllegalArgumentException if {@code n} is out of range
     */
    static long sizeClass(long n) {
        if (n < 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("n must be in [0, 2^31), got " + n);
        }
        if (n <= MIN_ELEMENTS) {
            return MIN_ELEMENTS;
        }
        long step = Long.highestOneBit(n - 1) / 8;
        long rounded = (n + step - 1) / step * step;
        return Math.min(rounded, Integer.MAX_VALUE);
    }

    /**
     * Takes an idle buffer of {@code n}'s size class, or allocates one; if the device is out of memory, frees every
     * idle buffer and tries the allocation once more.
     *
     * @param n elements needed
     * @return a buffer with at least {@code n} elements (contents undefined)
     * @throws CudaDriverException if the allocation fails (again)
     */
    DeviceBuffer take(long n) {
        ensureOpen();
        long size = sizeClass(n);
        ArrayDeque<DeviceBuffer> q = idle.get(size);
        if (q != null && !q.isEmpty()) {
            idleElements -= size;
            return q.pop();
        }
        allocations++;
        try {
            return DeviceBuffer.allocate(context, size);
        } catch (CudaDriverException e) {
            if (e.result() != CUresult.CUDA_ERROR_OUT_OF_MEMORY || idleBuffers() == 0) {
                throw e;
            }
            freeIdle();
            return DeviceBuffer.allocate(context, size);
        }
    }

    /**
     * Returns a buffer taken from this pool; it is reused by later requests of its size class, or freed when the idle
     * buffers would exceed the limit.
     *
     * @param b the buffer, not used by the caller afterwards
     */
    void give(DeviceBuffer b) {
        ensureOpen();
        if ((idleElements + b.elements()) * Float.BYTES > idleLimitBytes) {
            // Queued kernels may still read the buffer: drain the stream before freeing it.
            context.synchronize();
            b.close();
            return;
        }
        idle.computeIfAbsent(b.elements(), k -> new ArrayDeque<>()).push(b);
        idleElements += b.elements();
    }

    /** Returns the number of idle buffers. */
    int idleBuffers() {
        int n = 0;
        for (ArrayDeque<DeviceBuffer> q : idle.values()) {
            n += q.size();
        }
        return n;
    }

    /** Returns how many buffers the pool has allocated so far. */
    long allocations() {
        return allocations;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the buffer pool is closed");
        }
    }

    /** Drains the stream and frees every idle buffer. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        freeIdle();
    }

    /** Drains the stream (queued kernels may still read idle buffers) and frees every idle buffer. */
    private void freeIdle() {
        if (idle.isEmpty()) {
            return;
        }
        context.synchronize();
        for (ArrayDeque<DeviceBuffer> q : idle.values()) {
            while (!q.isEmpty()) {
                DeviceBuffer b = q.pop();
                idleElements -= b.elements();
                b.close();
            }
        }
        idle.clear();
    }
}
