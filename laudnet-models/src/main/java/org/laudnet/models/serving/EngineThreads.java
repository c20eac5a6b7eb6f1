package org.laudnet.models.serving;

import java.util.concurrent.atomic.AtomicBoolean;
import org.laudnet.core.exec.Backend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets the engine's intra-op threads of a worker. A backend that owns its threads takes the count through
 * {@link Backend#setIntraOpThreads} (the oneDNN backend: each executor then sizes the OpenMP team of the thread that
 * runs it). On the DJL/PyTorch CPU backend it is PyTorch's {@code set_num_threads}, called on the worker's thread: it
 * sets the process-wide intra-op count and sizes the calling thread's OpenMP team, which a thread otherwise takes from
 * {@code OMP_NUM_THREADS} or the core count when it first runs an operation. Other backends (CUDA) have no intra-op
 * pool to set. Thread-safe.
 */
final class EngineThreads {

    private static final Logger LOG = LoggerFactory.getLogger(EngineThreads.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private EngineThreads() {}

    /**
     * Sets the intra-op threads of the worker running on the calling thread.
     *
     * @param backend the runtime's backend
     * @param threads the thread count
     */
    static void pin(Backend<?> backend, int threads) {
        if (backend.setIntraOpThreads(threads) || !"djl-cpu".equals(backend.id())) {
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
