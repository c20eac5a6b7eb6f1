package org.laudnet.core.exec;

import java.util.Set;
import org.laudnet.core.plan.FoldedConv;

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
     * Creates the per-executor primitive operations (workspaces, scopes). Thread-safe.
     *
     * @return new kernels; the caller closes them
     */
    Kernels<T> newKernels();

    /** Releases every uploaded weight. Close the executors first. */
    @Override
    void close();
}
