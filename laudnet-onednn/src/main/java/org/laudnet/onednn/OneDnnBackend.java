package org.laudnet.onednn;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bytedeco.dnnl.engine;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.plan.FoldedConv;

/**
 * The oneDNN CPU backend (id {@value #ID}): every primitive of the engine on oneDNN 3.x through its Java presets, with
 * activations in {@code nhwc} native memory from the imported input to the exported output (see
 * {@link OneDnnKernels} for which primitives run as oneDNN primitives and which as row copies in Java).
 *
 * <p>Weights: {@link #upload} copies a folded convolution once into native memory; each layout a primitive asks for
 * (oneDNN's blocked weight formats) is reordered once, on first use, and shared by every executor of the model, so a
 * model holds one copy per layout whatever its number of workers. Channel slices are uploaded once per gate pattern by
 * the engine's weight cache, like any convolution.
 *
 * <p>Threads: oneDNN runs each primitive on the OpenMP team of the calling thread; the bundled OpenMP runtime sizes
 * teams from {@code OMP_NUM_THREADS} (read once, when the natives load; default: every core). The backend does not
 * change it: with {@code W} workers set {@code OMP_NUM_THREADS} to {@code cores / W} before the JVM starts, so that
 * {@code W x threads <= cores}. It is independent of PyTorch's thread setting ({@code ai.djl.pytorch.num_threads}),
 * which configures PyTorch's own OpenMP runtime. {@link #threads()} reports the value in effect.
 *
 * <p>Spatial schedules: {@link SpatialSchedule#HALO} (conv1 as a matmul on the gathered rows of every window position,
 * halos recomputed), {@link SpatialSchedule#WINDOWS} (conv1 densely, then the windows gathered) and
 * {@link SpatialSchedule#ROWS} (conv1 on the gathered rows of the dilated mask's pixels, conv2 as one product over the
 * im2col of the active output positions; see {@code RowsConv}); the engine's calibration picks the fastest per block.
 *
 * <p>Thread-safe: {@link #upload} and {@link #newKernels} may be called from any thread; the weights are read
 * concurrently. Each executor owns the {@link Kernels} it creates.
 */
public final class OneDnnBackend implements Backend<DnnlTensor> {

    /** The backend's identifier, {@code "onednn"}. */
    public static final String ID = "onednn";

    private static final Set<SpatialSchedule> SCHEDULES = Set.of(SpatialSchedule.HALO, SpatialSchedule.WINDOWS,
            SpatialSchedule.ROWS);

    private final engine eng;
    private final String description;
    private final List<OneDnnWeights> uploaded = new ArrayList<>();
    private volatile boolean closed;

    private OneDnnBackend(engine eng, String description) {
        this.eng = eng;
        this.description = description;
    }

    /**
     * Creates a backend on the CPU engine, loading the natives on first use.
     *
     * @return the backend (the caller closes it)
     * @throws IllegalStateException if the natives cannot be loaded here (the message says why)
     */
    public static OneDnnBackend create() {
        OneDnn.Status s = OneDnn.status();
        if (!s.available()) {
            throw new IllegalStateException("the oneDNN backend cannot run here: " + s.reason());
        }
        return new OneDnnBackend(OneDnn.engine(), "CPU, " + s.reason());
    }

    /** Returns {@value #ID}. */
    @Override
    public String id() {
        return ID;
    }

    /** Returns "CPU, oneDNN version, ISA, OpenMP, threads". */
    @Override
    public String description() {
        return description;
    }

    /** Returns the OpenMP threads of each primitive ({@link OneDnn#threads()}). */
    public int threads() {
        return OneDnn.threads();
    }

    /** Returns {@code {HALO, WINDOWS, ROWS}}. */
    @Override
    public Set<SpatialSchedule> spatialSchedules() {
        return SCHEDULES;
    }

    /**
     * Copies a folded convolution into native memory; the weights stay until the backend is closed. Thread-safe.
     *
     * @param conv the convolution
     * @return its {@link OneDnnWeights}
     * @throws IllegalArgumentException if {@code conv} is null
     * @throws IllegalStateException if the backend is closed
     */
    @Override
    public ConvWeights upload(FoldedConv conv) {
        ensureOpen();
        OneDnnWeights w = new OneDnnWeights(conv, eng);
        synchronized (uploaded) {
            uploaded.add(w);
        }
        return w;
    }

    /**
     * Creates the primitives of one executor (its stream, primitive cache and buffer pool). Thread-safe.
     *
     * @return new kernels; the caller closes them
     * @throws IllegalStateException if the backend is closed
     */
    @Override
    public Kernels<DnnlTensor> newKernels() {
        ensureOpen();
        return new OneDnnKernels(this, eng);
    }

    /** Frees every uploaded weight. Close the executors first. Idempotent. */
    @Override
    public void close() {
        closed = true;
        synchronized (uploaded) {
            for (OneDnnWeights w : uploaded) {
                w.close();
            }
            uploaded.clear();
        }
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the onednn backend is closed");
        }
    }

    @Override
    public String toString() {
        return "OneDnnBackend[" + (closed ? "closed" : description) + "]";
    }
}
