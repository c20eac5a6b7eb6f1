package org.laudnet.onednn;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Native float buffers of one kernels object, recycled by exact (rounded) capacity so that a steady stream of calls
 * allocates nothing: large fresh allocations are mapped pages, and touching them costs page faults on every call.
 * Idle buffers are bounded by {@value #MAX_IDLE_BYTES} bytes; beyond it a returned buffer is freed.
 *
 * <p>Not thread-safe: owned by one {@link OneDnnKernels}.
 */
final class BufferPool implements AutoCloseable {

    /** The most bytes of idle buffers kept for reuse (1 GiB). */
    static final long MAX_IDLE_BYTES = 1L << 30;
    /** Capacities are rounded up to a multiple of this many floats (64 bytes). */
    private static final long ROUND = 16;

    private final Map<Long, ArrayDeque<FloatPointer>> idle = new HashMap<>();
    private long idleBytes;
    private long allocations;

    /** Returns a buffer of at least {@code floats} values (contents undefined). */
    FloatPointer take(long floats) {
        if (floats <= 0 || floats > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a tensor must hold between 1 and 2^31 - 1 values, got " + floats);
        }
        long cap = (floats + ROUND - 1) / ROUND * ROUND;
        ArrayDeque<FloatPointer> q = idle.get(cap);
        if (q != null && !q.isEmpty()) {
            idleBytes -= cap * 4;
            return q.pop();
        }
        allocations++;
        FloatPointer p = new FloatPointer(cap);
        if (p.isNull()) {
            throw new OutOfMemoryError("could not allocate " + cap * 4 + " bytes of native memory for a tensor");
        }
        return p;
    }

    /** Returns a buffer for reuse (or frees it when the pool is full). */
    void give(FloatPointer p) {
        long cap = p.capacity();
        if (idleBytes + cap * 4 > MAX_IDLE_BYTES) {
            p.close();
            return;
        }
        idle.computeIfAbsent(cap, c -> new ArrayDeque<>()).push(p);
        idleBytes += cap * 4;
    }

    /** Returns how many buffers were allocated fresh since creation. */
    long allocations() {
        return allocations;
    }

    @Override
    public void close() {
        for (ArrayDeque<FloatPointer> q : idle.values()) {
            for (FloatPointer p : q) {
                p.close();
            }
        }
        idle.clear();
        idleBytes = 0;
    }
}
