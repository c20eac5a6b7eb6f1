package org.laudnet.cuda;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;

/**
 * Measures the time between two points of a {@link CudaContext}'s stream with CUDA events:
 * {@link #start()} records the start event, {@link #stopMillis()} records the end event, waits for it and returns the
 * elapsed GPU time in milliseconds (about 0.5 us resolution). Host work done between the two calls while the stream is
 * idle (e.g. building patch lists after a read-back) is included, as it delays the stream.
 *
 * <p>Not thread-safe: one timer per measuring thread.
 */
public final class CudaTimer implements AutoCloseable {

    private final CudaContext context;
    private final CUevent begin = new CUevent();
    private final CUevent end = new CUevent();
    private boolean closed;

    /**
     * Creates the two events.
     *
     * @param context the context whose stream is timed
     */
    public CudaTimer(CudaContext context) {
        if (context == null) {
            throw new IllegalArgumentException("context must not be null");
        }
        this.context = context;
        context.makeCurrent();
        Cu.check(cuEventCreate(begin, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
        Cu.check(cuEventCreate(end, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
    }

    /** Records the start event on the stream. */
    public void start() {
        context.makeCurrent();
        Cu.check(cuEventRecord(begin, context.stream()), "cuEventRecord", "start");
    }

    /**
     * Records the end event, waits for it, and returns the time since {@link #start()}.
     *
     * @return elapsed milliseconds
     */
    public float stopMillis() {
        context.makeCurrent();
        Cu.check(cuEventRecord(end, context.stream()), "cuEventRecord", "stop");
        Cu.check(cuEventSynchronize(end), "cuEventSynchronize");
        float[] ms = {0f};
        Cu.check(cuEventElapsedTime(ms, begin, end), "cuEventElapsedTime");
        return ms[0];
    }

    /** Destroys the events. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        context.makeCurrent();
        Cu.check(cuEventDestroy(begin), "cuEventDestroy");
        Cu.check(cuEventDestroy(end), "cuEventDestroy");
        closed = true;
    }
}
