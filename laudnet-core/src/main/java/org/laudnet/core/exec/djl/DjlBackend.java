package org.laudnet.core.exec.djl;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.exec.UploadCache;
import org.laudnet.core.plan.FoldedConv;

/**
 * The DJL backend: primitives run as eager DJL operations (PyTorch on the CPU in this project), tensors are
 * {@link NDArray}s.
 *
 * <p>Memory: the backend owns a sub-manager of the parent manager it is created from; every uploaded weight lives in
 * it, and each {@link DjlKernels} works in a sub-manager of it. {@link #close()} releases all of them (close the
 * executors first).
 *
 * <p>Thread safety: {@link #upload} and {@link #newKernels} may be called from any thread (uploads are serialised by
 * the backend's {@link org.laudnet.core.exec.UploadCache}, {@code newKernels} and {@code close} synchronize on the
 * backend); uploaded weights are only read and are shared by every executor. Uploading the same {@link FoldedConv}
 * object twice returns the same weights.
 */
public final class DjlBackend implements Backend<NDArray> {

    /** The system property that sets PyTorch's intra-op threads. */
    static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";

    private static final Set<SpatialSchedule> SCHEDULES =
            Collections.unmodifiableSet(EnumSet.of(SpatialSchedule.WINDOWS, SpatialSchedule.M1, SpatialSchedule.ROWS));

    private final NDManager manager;
    private final UploadCache<DjlConvWeights> uploaded = new UploadCache<>();
    private final String description;

    private DjlBackend(NDManager manager) {
        this.manager = manager;
        this.description = describe(manager);
    }

    /**
     * Creates a backend whose weights and workspaces live in a new sub-manager of {@code parent}.
     *
     * @param parent the parent manager (its engine and device are the backend's)
     * @return the backend
     * @throws IllegalArgumentException if {@code parent} is null or closed
     */
    public static DjlBackend create(NDManager parent) {
        if (parent == null) {
            throw new IllegalArgumentException("parent manager must not be null");
        }
        if (!parent.isOpen()) {
            throw new IllegalArgumentException("parent manager must be open, got a closed manager " + parent.getName());
        }
        return new DjlBackend(parent.newSubManager());
    }

    private static String describe(NDManager manager) {
        Engine engine = manager.getEngine();
        String threads = System.getProperty(THREADS_PROPERTY);
        String count = threads != null && !threads.isBlank()
                ? threads.trim()
                : Runtime.getRuntime().availableProcessors() + " (available processors)";
        return "DJL " + engine.getEngineName() + " " + engine.getVersion() + " on " + manager.getDevice() + ", "
                + count + " intra-op threads";
    }

    /** Returns {@code "djl-cpu"}. */
    @Override
    public String id() {
        return "djl-cpu";
    }

    /** Returns the engine, its version, the device and the intra-op thread count. */
    @Override
    public String description() {
        return description;
    }

    /**
     * Returns PyTorch's intra-op threads as this process configures them: the system property
     * {@value #THREADS_PROPERTY}, else the available processors (PyTorch's default).
     *
     * @return the thread count
     */
    @Override
    public int intraOpThreads() {
        String threads = System.getProperty(THREADS_PROPERTY);
        if (threads != null && !threads.isBlank()) {
            try {
                return Math.max(0, Integer.parseInt(threads.trim()));
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** Returns {@link SpatialSchedule#WINDOWS}, {@link SpatialSchedule#M1} and {@link SpatialSchedule#ROWS}. */
    @Override
    public Set<SpatialSchedule> spatialSchedules() {
        return SCHEDULES;
    }

    /**
     * Uploads a convolution into the backend's manager (once per {@link FoldedConv} object). Thread-safe.
     *
     * @param conv the convolution
     * @return its weights: the OIHW weight, the bias and, for an ungrouped 1x1 convolution, the {@code (O, I)} matrix
     * @throws IllegalArgumentException if {@code conv} is null
     * @throws IllegalStateException if the backend is closed
     */
    @Override
    public ConvWeights upload(FoldedConv conv) {
        ensureOpen();
        return uploaded.get(conv, c -> DjlConvWeights.create(c, this, manager));
    }

    /**
     * Creates the primitive operations of one executor, working in a new sub-manager of the backend's manager.
     * Thread-safe.
     *
     * @return new kernels; the caller closes them
     * @throws IllegalStateException if the backend is closed
     */
    @Override
    public synchronized Kernels<NDArray> newKernels() {
        ensureOpen();
        return new DjlKernels(this, manager.newSubManager());
    }

    /** Returns the manager that owns the uploaded weights (the parent of every kernels' manager). */
    NDManager manager() {
        return manager;
    }

    private void ensureOpen() {
        if (!manager.isOpen()) {
            throw new IllegalStateException("the DJL backend is closed");
        }
    }

    /** Releases every uploaded weight and every kernels' workspace. Idempotent. */
    @Override
    public synchronized void close() {
        uploaded.drain();
        manager.close();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "DjlBackend[" + description + "]";
    }
}
