package org.laudnet.models.serving;

import java.time.Duration;
import org.laudnet.core.exec.DeviceKind;

/**
 * How a {@link LaudService} runs. Build with {@link #builder()}; every setting has a default that does not
 * oversubscribe the machine. Immutable and thread-safe.
 *
 * <p>Threads: each of the {@code workers} runs whole batches on its own thread with {@code intraOpThreads} threads of
 * the engine's intra-op pool (PyTorch's or oneDNN's OpenMP team on the CPU). {@code workers x intraOpThreads} should
 * not exceed the cores ({@link #cores()}): the defaults take {@code intraOpThreads} from
 * {@code ai.djl.pytorch.num_threads} (else all cores) and {@code workers = max(1, cores / intraOpThreads)}, DJL
 * Serving's rule. Explicit settings beyond the cores are allowed (a warning is logged), since the cores of a container
 * may be counted differently.
 *
 * @param workers batch-running threads, each with its own executor over the model's shared weights, at least 1
 * @param intraOpThreads engine threads per worker, at least 1
 * @param maxBatchSize the most requests in one batch, in [1, {@value #MAX_BATCH}] (1: no batching)
 * @param maxBatchDelay how long a worker holding a request waits for more to fill its batch (zero: takes only what is
 *     already queued)
 * @param queueCapacity requests waiting at most; one more is refused with {@link QueueFullException}, at least 1
 * @param requestTimeout arrival to answer at most, else {@link RequestTimeoutException}, positive
 * @param device AUTO (a usable GPU backend, else the CPU; the reason is logged once), CPU or CUDA
 * @param topK classes in a prediction unless the call asks for another number, at least 1
 * @param calibrate measure the engine's path costs of every batch size from 1 to {@code maxBatchSize} at start, so
 *     that no live request pays for it (under the model's AUTO path policy)
 */
public record ServiceOptions(int workers, int intraOpThreads, int maxBatchSize, Duration maxBatchDelay,
        int queueCapacity, Duration requestTimeout, DeviceKind device, int topK, boolean calibrate) {

    /** The largest {@code maxBatchSize}: the engine keeps calibrations of 16 batch sizes. */
    public static final int MAX_BATCH = 16;

    /** The longest {@code maxBatchDelay}. */
    public static final Duration MAX_BATCH_DELAY = Duration.ofSeconds(10);

    /** Validates every field, naming the one at fault and its value. */
    public ServiceOptions {
        check("workers", workers, 1, 1024);
        check("intraOpThreads", intraOpThreads, 1, 1024);
        check("maxBatchSize", maxBatchSize, 1, MAX_BATCH);
        check("queueCapacity", queueCapacity, 1, 1_000_000);
        check("topK", topK, 1, 1_000_000);
        if (maxBatchDelay == null || maxBatchDelay.isNegative() || maxBatchDelay.compareTo(MAX_BATCH_DELAY) > 0) {
            throw new IllegalArgumentException("maxBatchDelay must be in [0, " + MAX_BATCH_DELAY.toMillis()
                    + " ms], got " + maxBatchDelay);
        }
        if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("requestTimeout must be positive, got " + requestTimeout);
        }
        if (device == null) {
            throw new IllegalArgumentException("device must not be null");
        }
    }

    private static void check(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], got " + value);
        }
    }

    /** Returns the cores the JVM sees ({@link Runtime#availableProcessors()}). */
    public static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Returns the default intra-op threads per worker: {@code ai.djl.pytorch.num_threads} when it is a positive
     * number, else {@link #cores()}.
     *
     * @return the thread count
     */
    public static int defaultIntraOpThreads() {
        String t = System.getProperty("ai.djl.pytorch.num_threads");
        if (t != null) {
            try {
                int n = Integer.parseInt(t.trim());
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // not a number: the engine ignores it as well
            }
        }
        return cores();
    }

    /** Returns the defaults: {@code builder().build()}. */
    public static ServiceOptions defaults() {
        return builder().build();
    }

    /** Returns a builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns whether {@code workers x intraOpThreads} exceeds the cores. */
    public boolean oversubscribed() {
        return (long) workers * intraOpThreads > cores();
    }

    /**
     * Builds {@link ServiceOptions}. Unset: {@code intraOpThreads} = {@link #defaultIntraOpThreads()} (or
     * {@code cores / workers} when only the workers are set), {@code workers = max(1, cores / intraOpThreads)},
     * {@code maxBatchSize} 8, {@code maxBatchDelay} 5 ms, {@code queueCapacity} 64, {@code requestTimeout} 30 s, AUTO
     * device, top 5, calibration at start. Not thread-safe.
     */
    public static final class Builder {
        private Integer workers;
        private Integer intraOpThreads;
        private int maxBatchSize = 8;
        private Duration maxBatchDelay = Duration.ofMillis(5);
        private int queueCapacity = 64;
        private Duration requestTimeout = Duration.ofSeconds(30);
        private DeviceKind device = DeviceKind.AUTO;
        private int topK = 5;
        private boolean calibrate = true;

        private Builder() {}

        /**
         * Sets the workers.
         *
         * @param n batch-running threads
         * @return this builder
         */
        public Builder optWorkers(int n) {
            this.workers = n;
            return this;
        }

        /**
         * Sets the engine's intra-op threads per worker.
         *
         * @param n threads
         * @return this builder
         */
        public Builder optIntraOpThreads(int n) {
            this.intraOpThreads = n;
            return this;
        }

        /**
         * Sets the largest batch.
         *
         * @param n requests per batch (1: no batching)
         * @return this builder
         */
        public Builder optMaxBatchSize(int n) {
            this.maxBatchSize = n;
            return this;
        }

        /**
         * Sets how long a batch waits to fill.
         *
         * @param d the delay
         * @return this builder
         */
        public Builder optMaxBatchDelay(Duration d) {
            this.maxBatchDelay = d;
            return this;
        }

        /**
         * Sets the queue capacity.
         *
         * @param n waiting requests at most
         * @return this builder
         */
        public Builder optQueueCapacity(int n) {
            this.queueCapacity = n;
            return this;
        }

        /**
         * Sets the request timeout.
         *
         * @param d arrival to answer at most
         * @return this builder
         */
        public Builder optRequestTimeout(Duration d) {
            this.requestTimeout = d;
            return this;
        }

        /**
         * Sets the device.
         *
         * @param d AUTO, CPU or CUDA
         * @return this builder
         */
        public Builder optDevice(DeviceKind d) {
            this.device = d;
            return this;
        }

        /**
         * Sets the default number of classes per prediction.
         *
         * @param k classes
         * @return this builder
         */
        public Builder optTopK(int k) {
            this.topK = k;
            return this;
        }

        /**
         * Sets whether every batch size is calibrated at start.
         *
         * @param c true to calibrate
         * @return this builder
         */
        public Builder optCalibrate(boolean c) {
            this.calibrate = c;
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the options
         * @throws IllegalArgumentException if a setting is out of range (the message names it and its value)
         */
        public ServiceOptions build() {
            int cores = cores();
            int threads;
            int w;
            if (intraOpThreads != null) {
                threads = intraOpThreads;
                w = workers != null ? workers : Math.max(1, cores / Math.max(1, threads));
            } else if (workers != null) {
                w = workers;
                threads = Math.max(1, cores / Math.max(1, w));
            } else {
                threads = defaultIntraOpThreads();
                w = Math.max(1, cores / threads);
            }
            return new ServiceOptions(w, threads, maxBatchSize, maxBatchDelay, queueCapacity, requestTimeout, device,
                    topK, calibrate);
        }
    }
}
