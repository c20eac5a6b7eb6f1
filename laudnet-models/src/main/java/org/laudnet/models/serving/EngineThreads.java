package org.laudnet.models.serving;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets the engine's intra-op threads on the calling thread. On the DJL/PyTorch CPU backend this is PyTorch's
 * {@code set_num_threads}: it sets the process-wide intra-op count and sizes the calling thread's OpenMP team, which a
 * thread otherwise takes from {@code OMP_NUM_THREADS} or the core count when it first runs an operation. Other backends
 * (CUDA) have no intra-op pool to set. Thread-safe.
 */
final class EngineThreads {

    private static final Logger LOG = LoggerFactory.getLogger(EngineThreads.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private EngineThreads() {}

    /**
     * Sets the calling thread's intra-op threads.
     *
     * @param backendId the backend's id ({@code djl-cpu} is the only one with an intra-op pool)
     * @param threads the thread count
     */
    static void pin(String backendId, int threads) {
        if (!"djl-cpu".equals(backendId)) {
            return;
        }
        try {
            if (!"PyTorch".equals(ai.djl.engine.Engine.getDefaultEngineName())) {
                return;
            }
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        } catch (RuntimeException | LinkageError e) {
            if (WARNED.compareAndSet(false, true)) {
                LOG.warn("could not set the engine's intra-op threads to {}: {}", threads, e.toString());
            }
        }
    }
}
