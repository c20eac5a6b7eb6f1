package org.laudnet.models.serving;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.laudnet.core.exec.ExecutionReport;
import org.laudnet.core.exec.ExecutorOptions;
import org.laudnet.core.exec.GateReport;
import org.laudnet.core.exec.HostExecution;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.inference.ImageInputException;
import org.laudnet.models.inference.ImageInputs;
import org.laudnet.models.inference.LaudModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thread-safe image classification service over a {@link LaudModel}: any number of caller threads submit images
 * ({@link #predict} blocks, {@link #predictAsync} returns a future), requests wait in one bounded queue, and
 * {@code workers} threads each take up to {@code maxBatchSize} of them (waiting at most {@code maxBatchDelay} for the
 * batch to fill), decode and preprocess each on its own, and run the batch through their own
 * {@link NetworkExecutor} of the model's shared runtime (weights and calibrations shared, workspaces per worker).
 *
 * <pre>{@code
 * try (LaudModel model = LaudModel.load(Path.of("r50-laud.laud"));
 *      LaudService<byte[]> service = LaudService.start(model, byte[].class, ServiceOptions.defaults())) {
 *     ServedPrediction p = service.predict(Files.readAllBytes(Path.of("eagle.jpg")));
 *     System.out.println(p.best().label() + " " + p.macsRatio());
 * }
 * }</pre>
 *
 * <p>Guarantees: a request's answer does not depend on which other requests shared its batch (the engine evaluates
 * every image's gates on its own; probabilities agree with a batch of one to float rounding, the classes are the
 * same); an input that cannot be decoded fails only its own request, with an {@link ImageInputException}; a full
 * queue refuses at once ({@link QueueFullException}); a request not answered within {@code requestTimeout} of its
 * arrival fails with {@link RequestTimeoutException} (and is not run if still queued); after {@link #close()} new
 * requests fail with {@link ServiceClosedException}, while queued ones are still answered.
 *
 * <p>Start-up does the slow work before the first request: worker 0 measures the engine's path costs of every batch
 * size up to {@code maxBatchSize} (under the model's AUTO path policy; kept by the model's runtime), and every worker
 * runs a warm-up batch on its own thread. Threads: each worker sets the engine's intra-op threads to
 * {@link ServiceOptions#intraOpThreads()} (on DJL/PyTorch: PyTorch's {@code set_num_threads} on its own thread, which
 * also sizes that thread's OpenMP team; on oneDNN: {@code Backend.setIntraOpThreads}, after which each executor sizes
 * the OpenMP team of the thread that runs it), and all inference of the service runs on the workers, never on callers'
 * threads; see {@link ServiceOptions} for choosing {@code workers x intraOpThreads}.
 *
 * <p>The service does not own the model: close the service, then the model.
 *
 * @param <I> the input type: {@code byte[]} (an encoded image), {@link java.nio.file.Path},
 *     {@link java.io.InputStream}, {@link java.awt.image.BufferedImage} or DJL's {@code Image}
 */
public final class LaudService<I> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LaudService.class);
    private static final long IDLE_POLL_MS = 50;

    private final String name;
    private final ServiceOptions options;
    private final ImageInputs.Decoder<I> decoder;
    private final ImagePreprocessing preprocessing;
    private final List<String> classNames;
    private final PlanRuntime<?> runtime;
    private final PathPolicy policy;
    private final int[] stageOfBlock;
    private final int stages;
    private final BlockingQueue<Request<I>> queue;
    private final ServiceMetrics metrics;
    private final ScheduledExecutorService timer;
    private final List<Thread> workers = new ArrayList<>();
    private final Object admission = new Object();
    private volatile boolean accepting = true;
    private volatile boolean draining;

    /** One queued request. */
    private static final class Request<I> {
        final I input;
        final int top;
        final long arrival;
        final CompletableFuture<ServedPrediction> future = new CompletableFuture<>();
        final java.util.concurrent.atomic.AtomicBoolean settled = new java.util.concurrent.atomic.AtomicBoolean();
        volatile ScheduledFuture<?> timeout;

        /** Claims the right to answer (once): metrics are recorded before the future completes. */
        boolean settle() {
            return settled.compareAndSet(false, true);
        }

        Request(I input, int top, long arrival) {
            this.input = input;
            this.top = top;
            this.arrival = arrival;
        }
    }

    private LaudService(LaudModel model, Class<I> inputType, ServiceOptions options) {
        this.name = model.name();
        this.options = options;
        this.decoder = ImageInputs.forType(inputType);
        this.preprocessing = model.metadata().preprocessing();
        if (preprocessing == null) {
            throw new IllegalStateException("model " + name + " records no image preprocessing: a service needs one"
                    + " (save the model with its preprocessing)");
        }
        this.classNames = model.classNames();
        this.runtime = model.runtime(options.device());
        this.policy = model.options().policy();
        this.stageOfBlock = runtime.stageOfBlock();
        this.stages = Arrays.stream(stageOfBlock).max().orElse(-1) + 1;
        this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
        this.metrics = new ServiceMetrics(options.maxBatchSize(), queue::size);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "laudnet-service-timeouts");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts a service: calibrates the batch sizes, starts and warms up the workers, and returns once all are ready.
     *
     * @param model the model (with image preprocessing), open for the service's lifetime
     * @param inputType {@code byte[]}, {@code Path}, {@code InputStream}, {@code BufferedImage} or DJL {@code Image}
     * @param options how the service runs
     * @param <I> the input type
     * @return the running service; the caller closes it (before the model)
     * @throws IllegalStateException if the model has no preprocessing, CUDA is requested but unusable, or a worker
     *     fails to start (the message says why; nothing is left running)
     * @throws IllegalArgumentException for an unsupported input type
     */
    public static <I> LaudService<I> start(LaudModel model, Class<I> inputType, ServiceOptions options) {
        if (model == null || inputType == null || options == null) {
            throw new IllegalArgumentException("model, inputType and options must not be null");
        }
        LaudService<I> s = new LaudService<>(model, inputType, options);
        if (options.oversubscribed()) {
            LOG.warn("{} workers x {} intra-op threads = {} threads on {} cores: inference threads will compete"
                    + " for the cores", options.workers(), options.intraOpThreads(),
                    options.workers() * options.intraOpThreads(), ServiceOptions.cores());
        }
        try {
            for (int w = 0; w < options.workers(); w++) {
                s.startWorker(w);
            }
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        LOG.info("service {} ready on {}: {} workers x {} intra-op threads, batches up to {} (delay {} ms),"
                + " queue {}, timeout {} ms", s.name, s.runtime.backend().description(), options.workers(),
                options.intraOpThreads(), options.maxBatchSize(), options.maxBatchDelay().toMillis(),
                options.queueCapacity(), options.requestTimeout().toMillis());
        return s;
    }

    /** Starts worker {@code index} and waits until it has warmed up (workers start one at a time). */
    private void startWorker(int index) {
        CountDownLatch ready = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> work(index, ready, failure), "laudnet-worker-" + index);
        t.setDaemon(true);
        synchronized (workers) {
            workers.add(t);
        }
        t.start();
        try {
            ready.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting worker " + index, e);
        }
        if (failure.get() != null) {
            throw new IllegalStateException("worker " + index + " failed to start: " + failure.get().getMessage(),
                    failure.get());
        }
    }

    private void work(int index, CountDownLatch ready, AtomicReference<Throwable> failure) {
        NetworkExecutor executor;
        try {
            EngineThreads.pin(runtime.backend(), options.intraOpThreads());
            if (index == 0 && options.calibrate() && policy == PathPolicy.AUTO) {
                int[] sizes = new int[options.maxBatchSize()];
                Arrays.setAll(sizes, i -> i + 1);
                long t0 = System.nanoTime();
                runtime.calibrate(sizes);
                LOG.info("calibrated batch sizes 1..{} in {} ms", options.maxBatchSize(),
                        (System.nanoTime() - t0) / 1_000_000);
            }
            executor = runtime.newExecutor(ExecutorOptions.defaults().withPolicy(policy));
            int per = preprocessing.channels() * preprocessing.cropSize() * preprocessing.cropSize();
            executor.run(new float[per], 1);
            if (options.maxBatchSize() > 1) {
                executor.run(new float[per * options.maxBatchSize()], options.maxBatchSize());
            }
        } catch (RuntimeException | Error e) {
            failure.set(e);
            ready.countDown();
            return;
        }
        ready.countDown();
        try (NetworkExecutor ex = executor) {
            loop(ex);
        }
        LOG.debug("worker {} stopped", index);
    }

    private void loop(NetworkExecutor executor) {
        List<Request<I>> batch = new ArrayList<>(options.maxBatchSize());
        long delay = options.maxBatchDelay().toNanos();
        while (true) {
            Request<I> first;
            try {
                first = queue.poll(IDLE_POLL_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                first = null;
                if (!draining) {
                    continue;
                }
            }
            if (first == null) {
                if (!accepting && queue.isEmpty()) {
                    return;
                }
                continue;
            }
            batch.clear();
            batch.add(first);
            long deadline = System.nanoTime() + delay;
            while (batch.size() < options.maxBatchSize()) {
                long left = deadline - System.nanoTime();
                Request<I> next;
                try {
                    next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                } catch (InterruptedException e) {
                    next = queue.poll();
                }
                if (next == null) {
                    break;
                }
                batch.add(next);
            }
            runBatch(executor, batch);
        }
    }

    private void runBatch(NetworkExecutor executor, List<Request<I>> batch) {
        int per = preprocessing.channels() * preprocessing.cropSize() * preprocessing.cropSize();
        List<Request<I>> live = new ArrayList<>(batch.size());
        List<float[]> inputs = new ArrayList<>(batch.size());
        for (Request<I> r : batch) {
            if (r.settled.get()) {
                continue; // timed out while queued: not run
            }
            try {
                float[] x = preprocessing.apply(ImageInputs.checkLimits(decoder.decode(r.input), "image"));
                if (r.settled.get()) {
                    continue; // timed out while it was decoded
                }
                live.add(r);
                inputs.add(x);
            } catch (LaudInputException e) {
                fail(r, e, ErrorKind.BAD_INPUT);
            } catch (IOException | IllegalArgumentException e) {
                fail(r, new ImageInputException("image", e.getMessage() == null ? e.toString() : e.getMessage(), e),
                        ErrorKind.BAD_INPUT);
            } catch (RuntimeException e) {
                LOG.error("decoding a request failed unexpectedly", e);
                fail(r, e, ErrorKind.INTERNAL);
            }
        }
        if (live.isEmpty()) {
            return;
        }
        int b = live.size();
        float[] images = new float[b * per];
        for (int i = 0; i < b; i++) {
            System.arraycopy(inputs.get(i), 0, images, i * per, per);
        }
        HostExecution out;
        try {
            out = executor.run(images, b);
        } catch (RuntimeException e) {
            LOG.error("a batch of {} failed in the engine", b, e);
            live.forEach(r -> fail(r, e, ErrorKind.INTERNAL));
            return;
        }
        metrics.batch(b);
        for (int i = 0; i < b; i++) {
            Request<I> r = live.get(i);
            GateReport report = out.report().sample(i);
            double[] density = new double[stages];
            double overall = densities(report, density);
            ServedPrediction p = new ServedPrediction(top(out.logits(), i * out.classes(), out.classes(), r.top),
                    report, density, b, System.nanoTime() - r.arrival);
            if (r.settle()) {
                cancelTimeout(r);
                metrics.answered(p.latencyNanos(), overall, report.macsRatio());
                r.future.complete(p);
            }
        }
    }

    /** Fills the per-stage open fraction of gate units of a one-image report; returns the network's. */
    private double densities(GateReport report, double[] stageDensity) {
        long[] active = new long[stages];
        long[] total = new long[stages];
        for (int i = 0; i < report.blocks().size(); i++) {
            ExecutionReport br = report.blocks().get(i);
            active[stageOfBlock[i]] += br.activeUnits();
            total[stageOfBlock[i]] += br.totalUnits();
        }
        long a = 0;
        long t = 0;
        for (int s = 0; s < stages; s++) {
            stageDensity[s] = total[s] == 0 ? 1.0 : (double) active[s] / total[s];
            a += active[s];
            t += total[s];
        }
        return t == 0 ? 1.0 : (double) a / t;
    }

    /** The {@code k} most probable classes of one row of logits, by a softmax in double precision. */
    private List<ServedClass> top(float[] logits, int offset, int classes, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            max = Math.max(max, logits[offset + c]);
        }
        double[] p = new double[classes];
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            p[c] = Math.exp(logits[offset + c] - max);
            sum += p[c];
        }
        int n = Math.min(k, classes);
        boolean[] taken = new boolean[classes];
        List<ServedClass> out = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
            int best = -1;
            for (int c = 0; c < classes; c++) {
                if (!taken[c] && (best < 0 || p[c] > p[best])) {
                    best = c;
                }
            }
            taken[best] = true;
            out.add(new ServedClass(best, classNames.get(best), p[best] / sum));
        }
        return out;
    }

    private void fail(Request<I> r, Throwable e, ErrorKind kind) {
        if (r.settle()) {
            cancelTimeout(r);
            metrics.failed(kind);
            r.future.completeExceptionally(e);
        }
    }

    private static void cancelTimeout(Request<?> r) {
        ScheduledFuture<?> t = r.timeout;
        if (t != null) {
            t.cancel(false);
        }
    }

    /**
     * Submits an image for the default number of classes ({@link ServiceOptions#topK()}).
     *
     * @param input the image
     * @return the prediction's future; it fails with an {@link ImageInputException} for a refused image, or a
     *     {@link ServiceException} ({@link QueueFullException} at once when the queue is full,
     *     {@link RequestTimeoutException}, {@link ServiceClosedException})
     */
    public CompletableFuture<ServedPrediction> predictAsync(I input) {
        return predictAsync(input, options.topK());
    }

    /**
     * Submits an image.
     *
     * @param input the image
     * @param top the number of classes to answer, at least 1
     * @return the prediction's future (see {@link #predictAsync(Object)})
     * @throws IllegalArgumentException if {@code input} is null or {@code top} is not positive
     */
    public CompletableFuture<ServedPrediction> predictAsync(I input, int top) {
        if (input == null) {
            throw new IllegalArgumentException("input must not be null");
        }
        if (top < 1) {
            throw new IllegalArgumentException("top must be positive, got " + top);
        }
        metrics.received();
        Request<I> r = new Request<>(input, top, System.nanoTime());
        ServiceException refused = null;
        synchronized (admission) {
            if (!accepting) {
                refused = new ServiceClosedException(name);
            } else if (!queue.offer(r)) {
                refused = new QueueFullException(options.queueCapacity());
            }
        }
        if (refused != null) {
            r.settle();
            metrics.failed(refused.kind());
            r.future.completeExceptionally(refused);
            return r.future;
        }
        long timeoutMs = options.requestTimeout().toMillis();
        try {
            r.timeout = timer.schedule(() -> {
                fail(r, new RequestTimeoutException(timeoutMs), ErrorKind.TIMEOUT);
                queue.remove(r); // a timed-out request frees its place in the queue at once
            }, options.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the timer stopped: the service is closing and the request is answered by the draining workers
        }
        if (r.settled.get()) {
            cancelTimeout(r);
        }
        return r.future;
    }

    /**
     * Predicts one image with the default number of classes, blocking the caller.
     *
     * @param input the image
     * @return the prediction
     * @throws LaudInputException if the image is refused (an {@link ImageInputException} naming the problem)
     * @throws ServiceException if the queue is full, the request timed out or the service is closed
     */
    public ServedPrediction predict(I input) throws LaudInputException {
        return predict(input, options.topK());
    }

    /**
     * Predicts one image, blocking the caller.
     *
     * @param input the image
     * @param top the number of classes, at least 1
     * @return the prediction
     * @throws LaudInputException if the image is refused
     * @throws ServiceException if the queue is full, the request timed out or the service is closed
     */
    public ServedPrediction predict(I input, int top) throws LaudInputException {
        CompletableFuture<ServedPrediction> f = predictAsync(input, top);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a prediction", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof LaudInputException l) {
                throw l;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(c);
        }
    }

    /** Returns the metrics (live). */
    public ServiceMetrics metrics() {
        return metrics;
    }

    /** Returns the options. */
    public ServiceOptions options() {
        return options;
    }

    /** Returns the description of the engine's backend (device, threads). */
    public String backendDescription() {
        return runtime.backend().description();
    }

    /** Returns the number of requests waiting now. */
    public int queueDepth() {
        return queue.size();
    }

    /** Returns whether the service accepts requests. */
    public boolean isOpen() {
        return accepting;
    }

    /**
     * Stops accepting requests, answers every queued one, stops the workers and releases their executors (native
     * workspaces). Blocks until the workers have finished (at most the queued requests' timeouts). Idempotent.
     */
    @Override
    public void close() {
        synchronized (admission) {
            accepting = false;
        }
        List<Thread> ts;
        synchronized (workers) {
            ts = List.copyOf(workers);
        }
        for (Thread t : ts) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                draining = true;
                break;
            }
        }
        timer.shutdownNow();
        // anything left (a worker failed to start) is refused rather than left waiting
        for (Request<I> r; (r = queue.poll()) != null;) {
            fail(r, new ServiceClosedException(name), ErrorKind.CLOSED);
        }
    }

    /**
     * Closes with a bound: like {@link #close()}, but waits at most {@code timeout} for the workers.
     *
     * @param timeout how long to wait
     * @return true if every worker finished in time
     */
    public boolean close(Duration timeout) {
        synchronized (admission) {
            accepting = false;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Thread> ts;
        synchronized (workers) {
            ts = List.copyOf(workers);
        }
        boolean all = true;
        for (Thread t : ts) {
            try {
                t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            all &= !t.isAlive();
        }
        if (all) {
            timer.shutdownNow();
        }
        return all;
    }
}
