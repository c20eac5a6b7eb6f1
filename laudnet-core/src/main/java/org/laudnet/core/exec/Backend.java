package org.laudnet.core.exec;

import java.util.Set;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.plan.InferencePlan;

/**
 * A compute backend for inference plans: where tensors live and how the primitive operations of the execution paths
 * run. Every execution path (dense, layer, channel, spatial) is written once against {@link Kernels}; a backend
 * implements the primitives (DJL/PyTorch on the CPU, the pure-Java reference, CUDA), so a faster backend speeds up
 * every path at once.
 *
 * <p>Thread safety: a backend is shared by every executor of a model: {@link #upload} and {@link #newKernels} may be
 * called from any thread, and uploaded weights are read concurrently. Each executor owns its {@link Kernels}.
 *
 * @param <T> the backend's tensor type
 */
public interface Backend<T> extends AutoCloseable {

    /**
     * Returns a short stable identifier: {@code "djl-cpu"}, {@code "java"}, {@code "cuda"}. Calibrations are keyed by
     * it.
     *
     * @return the identifier
     */
    String id();

    /** Returns where the backend runs, for logs and reports (e.g. the GPU's name, the CPU and its threads). */
    String description();

    /** Returns the spatial schedules {@link Kernels#windowsConv1} supports (may be empty: spatial gates then run dense). */
    Set<SpatialSchedule> spatialSchedules();

    /**
     * Uploads a folded convolution; the weights stay until the backend is closed. Thread-safe.
     *
     * @param conv the convolution
     * @return the backend's form of it
     */
    ConvWeights upload(FoldedConv conv);

    /**
     * Prepares what the first call of a plan at a batch size would otherwise create, after the plan's weights were
     * uploaded: {@link PlanRuntime} calls it at batch size 1 when it is created and before calibrating a batch size.
     * The oneDNN backend reorders the weights into the layouts its dense primitives will ask for; the default does
     * nothing. Thread-safe.
     *
     * @param plan a plan whose weights this backend holds
     * @param batchSize the batch size, at least 1
     */
    default void prepare(InferencePlan plan, int batchSize) {}

    /**
     * Sets the intra-op threads of each executor: every executor runs its primitives on its own pool of
     * {@code threads} threads, so that {@code W} executors running at once use {@code W x threads} cores. A service of
     * {@code W} workers passes {@code cores / W}. Backends whose threads are configured elsewhere (the DJL backend's by
     * PyTorch) or that have no intra-op pool (CUDA, the reference) ignore it. Thread-safe.
     *
     * @param threads at least 1
     * @return whether this backend applies the setting
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    default boolean setIntraOpThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        return false;
    }

    /**
     * Returns the intra-op threads each executor's primitives run on, where the backend knows them (for reports and
     * latency profiles, which hold only for the thread count they were measured with).
     *
     * @return the thread count, or 0 when the backend does not know it (no intra-op pool, or one configured elsewhere
     *     and not readable)
     */
    default int intraOpThreads() {
        return 0;
    }

    /**
     * Creates the per-executor primitive operations (workspaces, scopes). Thread-safe.
     *
     * @return new kernels; the caller closes them
     */
    Kernels<T> newKernels();

    /** Releases every uploaded weight. Close the executors first. */
    @Override
    void close();
}
