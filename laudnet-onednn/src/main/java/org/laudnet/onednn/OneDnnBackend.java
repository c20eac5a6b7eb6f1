package org.laudnet.onednn;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.stream;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.exec.UploadCache;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.plan.InferencePlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The oneDNN CPU backend (id {@value #ID}): every primitive of the engine on oneDNN 3.x through its Java presets, with
 * activations in {@code nhwc} native memory from the imported input to the exported output (see
 * {@link OneDnnKernels} for which primitives run as oneDNN primitives and which as row copies in Java).
 *
 * <p>Weights: {@link #upload} makes a folded convolution the backend's {@link OneDnnWeights} once (uploading the same
 * {@link FoldedConv} object again returns the same weights). {@link #prepare} (called by
 * {@link org.laudnet.core.exec.PlanRuntime} when the plan is loaded, at batch size 1, and before it calibrates a batch
 * size) reorders them into the layouts the primitives of that batch size will ask for (oneDNN's blocked and packed
 * weight formats): the dense convolutions ({@link PlanLayouts}) and the sparse paths each block may take
 * ({@link SparseLayouts}: every patch and row bucket of the spatial schedules, the conv2 matrices of ROWS, the
 * sub-batches of the LAYER and channel paths), so that the first inference, on any path, reorders none of the model's
 * weights. oneDNN is asked once per primitive shape and thread count. Every layout exists once per model, shared by all
 * its executors, whatever the number of workers, and is freed when the backend closes. Channel slices are uploaded
 * once per gate pattern by the engine's weight cache, like any convolution, and reordered when the pattern first runs.
 *
 * <p>Threads: the backend owns them. oneDNN runs each primitive on the OpenMP team of the calling thread, and in its
 * bundled OpenMP runtime the team size is a setting of each OS thread; every executor's kernels set it to
 * {@link #threads()} on the thread that calls them, before creating or running a primitive (one pool of that size per
 * executor thread). The count is {@link #create(int) given} or set later ({@link #setIntraOpThreads}; a service of
 * {@code W} workers passes {@code cores / W}), else {@link OneDnn#defaultThreads(int)}: the system property
 * {@value OneDnn#THREADS_PROPERTY}, else {@code OMP_NUM_THREADS}, else every core, so that by default
 * {@code workers x threads <= cores} once the workers are known. It is independent of PyTorch's thread setting
 * ({@code ai.djl.pytorch.num_threads}), which configures PyTorch's own OpenMP runtime. Where the runtime's
 * {@code omp_set_num_threads} cannot be bound ({@link OpenMpThreads}; logged once at INFO), the setting is ignored and
 * teams take {@code OMP_NUM_THREADS} or every core. Changing the count re-prepares the loaded plans' layouts for it
 * (oneDNN may pick another layout for another thread count) and frees the prepared layouts no primitive used.
 *
 * <p>Spatial schedules: {@link SpatialSchedule#HALO} (conv1 as a matmul on the gathered rows of every window position,
 * halos recomputed), {@link SpatialSchedule#WINDOWS} (conv1 densely, then the windows gathered) and
 * {@link SpatialSchedule#ROWS} (conv1 on the gathered rows of the dilated mask's pixels, conv2 as one product over the
 * im2col of the active output positions; see {@code RowsConv}); the engine's calibration picks the fastest per block.
 *
 * <p>Thread-safe: {@link #upload}, {@link #prepare}, {@link #setIntraOpThreads} and {@link #newKernels} may be called
 * from any thread; the weights are read concurrently. Each executor owns the {@link Kernels} it creates.
 */
public final class OneDnnBackend implements Backend<DnnlTensor> {

    /** The backend's identifier, {@code "onednn"}. */
    public static final String ID = "onednn";

    private static final Logger LOG = LoggerFactory.getLogger(OneDnnBackend.class);
    private static final Set<SpatialSchedule> SCHEDULES = Set.of(SpatialSchedule.HALO, SpatialSchedule.WINDOWS,
            SpatialSchedule.ROWS);

    /** A plan and batch size the backend was asked to prepare. */
    private record Request(InferencePlan plan, int batch) {}

    private final engine eng;
    private final String runtime;
    private final AtomicLong reorders = new AtomicLong();
    private final UploadCache<OneDnnWeights> cache = new UploadCache<>();
    private final List<OneDnnWeights> uploaded = new ArrayList<>();
    private final Object prepareLock = new Object();
    /** The requests, and for each the thread count it was last prepared at (0: not yet). Guarded by prepareLock. */
    private final List<Request> requests = new ArrayList<>();
    private final List<Integer> preparedAt = new ArrayList<>();
    /** The preparation round (incremented when the thread count changes). Guarded by prepareLock. */
    private int generation;
    /**
     * The weight layout oneDNN picks for each primitive shape at the current thread count, for the shapes prepared so
     * far (plans and batch sizes often share shapes). Guarded by prepareLock; cleared when the thread count changes.
     */
    private final Map<WeightShape, memory.desc> layoutOf = new HashMap<>();
    private volatile int threads;
    private volatile boolean closed;

    private OneDnnBackend(engine eng, String runtime, int threads) {
        this.eng = eng;
        this.runtime = runtime;
        this.threads = threads;
    }

    /**
     * Creates a backend on the CPU engine with the default threads per executor ({@link OneDnn#defaultThreads(int)
     * OneDnn.defaultThreads(1)}), loading the natives on first use.
     *
     * @return the backend (the caller closes it)
     * @throws IllegalStateException if the natives cannot be loaded here (the message says why)
     * @throws IllegalArgumentException if {@value OneDnn#THREADS_PROPERTY} is set but not a positive integer
     */
    public static OneDnnBackend create() {
        return create(OneDnn.defaultThreads(1));
    }

    /**
     * Creates a backend on the CPU engine whose executors each run on {@code threads} threads.
     *
     * @param threads threads per executor, at least 1
     * @return the backend (the caller closes it)
     * @throws IllegalArgumentException if {@code threads < 1}
     * @throws IllegalStateException if the natives cannot be loaded here (the message says why)
     */
    public static OneDnnBackend create(int threads) {
        requireThreads(threads);
        OneDnn.Status s = OneDnn.status();
        if (!s.available()) {
            throw new IllegalStateException("the oneDNN backend cannot run here: " + s.reason());
        }
        return new OneDnnBackend(OneDnn.engine(), s.reason(), threads);
    }

    /** Returns {@value #ID}. */
    @Override
    public String id() {
        return ID;
    }

    /** Returns "CPU, oneDNN version, ISA, OpenMP, N threads per executor". */
    @Override
    public String description() {
        return "CPU, " + runtime + ", " + threads() + " threads per executor"
                + (ownsThreads() ? "" : " (" + OneDnn.THREADS_ENV + " or the cores: the thread count cannot be set)");
    }

    /** Returns {@link #threads()}. */
    @Override
    public int intraOpThreads() {
        return threads();
    }

    /**
     * Returns the OpenMP threads each executor's primitives run on: the backend's setting, or where it cannot be
     * applied ({@link #ownsThreads()} false) {@code OMP_NUM_THREADS} or the core count.
     *
     * @return the thread count
     */
    public int threads() {
        if (ownsThreads()) {
            return threads;
        }
        String env = System.getenv(OneDnn.THREADS_ENV);
        int n = 0;
        if (env != null) {
            try {
                n = Integer.parseInt(env.trim().split(",")[0]);
            } catch (NumberFormatException e) {
                n = 0;
            }
        }
        return n > 0 ? n : Runtime.getRuntime().availableProcessors();
    }

    /**
     * Returns whether the backend sets oneDNN's thread count itself (the OpenMP runtime's {@code omp_set_num_threads}
     * could be bound).
     *
     * @return true where {@link #setIntraOpThreads} and {@link #create(int)} take effect
     */
    public boolean ownsThreads() {
        return OpenMpThreads.available();
    }

    /**
     * Sets the threads of each executor. Executors apply it at their next primitive (re-creating their primitives,
     * whose work split oneDNN fixes at creation); the loaded plans' layouts are prepared for it at once.
     *
     * @param n threads per executor, at least 1
     * @return whether the setting takes effect ({@link #ownsThreads()})
     * @throws IllegalArgumentException if {@code n < 1}
     * @throws IllegalStateException if the backend is closed
     */
    @Override
    public boolean setIntraOpThreads(int n) {
        requireThreads(n);
        ensureOpen();
        if (!ownsThreads()) {
            return false;
        }
        synchronized (prepareLock) {
            if (n == threads) {
                return true;
            }
            threads = n;
            generation++;
            layoutOf.clear();
            for (int i = 0; i < requests.size(); i++) {
                prepare(i);
            }
            int dropped = 0;
            for (OneDnnWeights w : uploadedWeights()) {
                dropped += w.dropUnused(generation);
            }
            LOG.debug("onednn threads per executor set to {}; {} unused layouts of the previous count freed", n,
                    dropped);
        }
        return true;
    }

    /** Returns {@code {HALO, WINDOWS, ROWS}}. */
    @Override
    public Set<SpatialSchedule> spatialSchedules() {
        return SCHEDULES;
    }

    /**
     * Makes a folded convolution the backend's weights once (its bias in native memory, its weights reordered into
     * native layouts as primitives ask for them); the weights stay until the backend is closed. Thread-safe.
     *
     * @param conv the convolution
     * @return its {@link OneDnnWeights} (the same object for the same {@code conv})
     * @throws IllegalArgumentException if {@code conv} is null
     * @throws IllegalStateException if the backend is closed
     */
    @Override
    public ConvWeights upload(FoldedConv conv) {
        return weights(conv);
    }

    private OneDnnWeights weights(FoldedConv conv) {
        ensureOpen();
        return cache.get(conv, c -> {
            OneDnnWeights w = newWeights(c);
            synchronized (uploaded) {
                uploaded.add(w);
            }
            return w;
        });
    }

    /**
     * Reorders the weights of a plan into the layouts its primitives will ask for at this batch size and the current
     * thread count: the dense convolutions ({@link PlanLayouts}) and the sparse paths its blocks may take
     * ({@link SparseLayouts}), uploading any convolution (and ROWS conv2 matrix, {@link Conv2Matrices}) not uploaded
     * yet. Runs on the
     * calling thread, whose OpenMP thread count becomes {@link #threads()}. A plan and batch size already prepared at
     * this thread count are skipped. Thread-safe.
     *
     * @param plan the plan
     * @param batchSize at least 1
     * @throws IllegalArgumentException if {@code plan} is null or {@code batchSize < 1}
     * @throws IllegalStateException if the backend is closed
     */
    @Override
    public void prepare(InferencePlan plan, int batchSize) {
        if (plan == null || batchSize < 1) {
            throw new IllegalArgumentException("plan must not be null and batchSize at least 1, got " + plan + " and "
                    + batchSize);
        }
        ensureOpen();
        synchronized (prepareLock) {
            int i = 0;
            while (i < requests.size()
                    && (requests.get(i).plan() != plan || requests.get(i).batch() != batchSize)) {
                i++;
            }
            if (i == requests.size()) {
                requests.add(new Request(plan, batchSize));
                preparedAt.add(0);
            }
            prepare(i);
        }
    }

    /** Prepares request {@code i} at the current thread count unless done. Holds prepareLock. */
    private void prepare(int i) {
        int n = threads;
        if (preparedAt.get(i) == n) {
            return;
        }
        Request r = requests.get(i);
        long t0 = System.nanoTime();
        long before = reorders.get();
        applyThreads();
        List<PlanLayouts.Use> dense = PlanLayouts.of(r.plan(), r.batch());
        List<SparseLayouts.Use> sparse = SparseLayouts.of(r.plan(), r.batch(), SCHEDULES);
        try (stream s = new stream(eng)) {
            for (PlanLayouts.Use u : dense) {
                prepare(weights(u.conv()), u.shape(), s);
            }
            for (SparseLayouts.Use u : sparse) {
                OneDnnWeights w = weights(u.conv());
                prepare(u.conv2Matrix() ? Conv2Matrices.shared(w, this) : w, u.shape(), s);
            }
        }
        preparedAt.set(i, n);
        LOG.debug("prepared {} dense and {} sparse-path primitives of a {} plan at batch size {}, {} threads: {}"
                + " reorders in {} ms", dense.size(), sparse.size(), r.plan().architecture(), r.batch(), n,
                reorders.get() - before, (System.nanoTime() - t0) / 1_000_000);
    }

    /** Reorders {@code w} into the layout of a primitive shape (asked of oneDNN once per shape). Holds prepareLock. */
    private void prepare(OneDnnWeights w, WeightShape shape, stream s) {
        memory.desc want = layoutOf.get(shape);
        if (want == null) {
            want = shape.weightsLayout(eng);
            layoutOf.put(shape, want);
        }
        w.prepare(shape.plainWeights(w), want, s, generation);
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
        cache.drain();
        synchronized (uploaded) {
            for (OneDnnWeights w : uploaded) {
                w.close();
            }
            uploaded.clear();
        }
        synchronized (prepareLock) {
            layoutOf.clear();
        }
    }

    /** Creates weights (an upload, or a kernels object's temporary) counted in this backend's reorders. */
    OneDnnWeights newWeights(FoldedConv conv) {
        return new OneDnnWeights(conv, eng, reorders);
    }

    /** Sets the backend's thread count on the calling thread (nothing where it cannot be set). */
    void applyThreads() {
        OpenMpThreads.apply(threads);
    }

    /** Returns the thread count the kernels apply ({@link #threads()} where the backend owns its threads). */
    int threadSetting() {
        return threads;
    }

    /** Returns how many reorders of weights this backend has run (uploads and temporaries), for tests. */
    long reorders() {
        return reorders.get();
    }

    /** Returns every weight uploaded so far (the plan's, channel slices, conv2 matrices), for tests. */
    List<OneDnnWeights> uploadedWeights() {
        synchronized (uploaded) {
            return List.copyOf(uploaded);
        }
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the onednn backend is closed");
        }
    }

    private static void requireThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + n);
        }
    }

    @Override
    public String toString() {
        return "OneDnnBackend[" + (closed ? "closed" : description()) + "]";
    }
}
