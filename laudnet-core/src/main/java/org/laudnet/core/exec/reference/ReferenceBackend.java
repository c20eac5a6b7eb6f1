package org.laudnet.core.exec.reference;

import java.util.Set;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.plan.FoldedConv;

/**
 * The pure-Java reference backend (id {@value #ID}): tensors are row-major {@code float[]} arrays on the Java heap and
 * every primitive runs {@link ReferenceOps} (direct loops, {@code double} accumulation). It is the backend the fast
 * ones are checked against; it is not tuned for speed.
 *
 * <p>Uploading keeps the plan's {@link FoldedConv} as it is ({@link ReferenceWeights}); nothing is copied, so closing
 * releases nothing but marks the backend closed (later uploads and new kernels are refused). The only spatial schedule
 * is {@link SpatialSchedule#HALO}.
 *
 * <p>Thread-safe: {@link #upload} and {@link #newKernels} may be called from any thread; the uploaded weights are
 * immutable. Each executor owns the {@link Kernels} it creates.
 */
public final class ReferenceBackend implements Backend<float[]> {

    /** The backend's identifier, {@code "java"}. */
    public static final String ID = "java";

    private static final Set<SpatialSchedule> SCHEDULES = Set.of(SpatialSchedule.HALO);

    private volatile boolean closed;

    /** Creates an open backend. */
    public ReferenceBackend() {}

    /** Returns {@value #ID}. */
    @Override
    public String id() {
        return ID;
    }

    /** Returns "pure-Java reference, single-threaded" with the JVM's architecture and version. */
    @Override
    public String description() {
        return "pure-Java reference, single-threaded (" + System.getProperty("os.arch") + ", Java "
                + Runtime.version().feature() + ")";
    }

    /** Returns {@code {HALO}}: conv1 per window position, halos recomputed. */
    @Override
    public Set<SpatialSchedule> spatialSchedules() {
        return SCHEDULES;
    }

    /**
     * Wraps a convolution as this backend's weights (no copy). Thread-safe.
     *
     * @param conv the convolution
     * @return a {@link ReferenceWeights} holding {@code conv}
     * @throws IllegalArgumentException if {@code conv} is null
     * @throws IllegalStateException if the backend is closed
     */
    @Override
    public ConvWeights upload(FoldedConv conv) {
        ensureOpen();
        return new ReferenceWeights(conv);
    }

    /**
     * Creates the primitive operations of one executor. Thread-safe.
     *
     * @return new kernels on {@code float[]} tensors; the caller closes them
     * @throws IllegalStateException if the backend is closed
     */
    @Override
    public Kernels<float[]> newKernels() {
        ensureOpen();
        return new ReferenceKernels();
    }

    /** Returns whether {@link #close} was called. */
    public boolean isClosed() {
        return closed;
    }

    /** Marks the backend closed; the weights are garbage-collected with the plan. Idempotent. */
    @Override
    public void close() {
        closed = true;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the java reference backend is closed");
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "ReferenceBackend[" + (closed ? "closed" : "open") + "]";
    }
}
