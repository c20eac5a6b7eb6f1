package org.laudnet.models.serving;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * What a {@link LaudService} has done: requests received, answered and failed (by {@link ErrorKind}), the latency of
 * answered requests (arrival to answer, {@link LatencyHistogram}), the sizes of the batches run, the queue depth, and
 * the mean gate density and MACs ratio of the answered requests. Counters only grow; {@link #snapshot()} reads them
 * all. Thread-safe and lock-free.
 */
public final class ServiceMetrics {

    private final LongAdder requests = new LongAdder();
    private final LongAdder served = new LongAdder();
    private final Map<ErrorKind, LongAdder> errors = new EnumMap<>(ErrorKind.class);
    private final LatencyHistogram latency = new LatencyHistogram();
    private final AtomicLongArray batchSizes;
    private final DoubleAdder densitySum = new DoubleAdder();
    private final DoubleAdder macsRatioSum = new DoubleAdder();
    private final IntSupplier queueDepth;

    /**
     * Creates the metrics of a service.
     *
     * @param maxBatchSize the largest batch the service runs
     * @param queueDepth the current number of queued requests
     */
    ServiceMetrics(int maxBatchSize, IntSupplier queueDepth) {
        this.batchSizes = new AtomicLongArray(maxBatchSize + 1);
        this.queueDepth = queueDepth;
        for (ErrorKind k : ErrorKind.values()) {
            errors.put(k, new LongAdder());
        }
    }

    void received() {
        requests.increment();
    }

    void failed(ErrorKind kind) {
        errors.get(kind).increment();
    }

    void batch(int size) {
        batchSizes.incrementAndGet(size);
    }

    void answered(long latencyNanos, double density, double macsRatio) {
        served.increment();
        latency.record(latencyNanos);
        densitySum.add(density);
        macsRatioSum.add(macsRatio);
    }

    /** Returns the latency histogram of answered requests (live). */
    public LatencyHistogram latency() {
        return latency;
    }

    /** Reads every counter. */
    public Snapshot snapshot() {
        Map<ErrorKind, Long> e = new EnumMap<>(ErrorKind.class);
        errors.forEach((k, v) -> e.put(k, v.sum()));
        long[] b = new long[batchSizes.length()];
        for (int i = 0; i < b.length; i++) {
            b[i] = batchSizes.get(i);
        }
        long n = served.sum();
        return new Snapshot(requests.sum(), n, Map.copyOf(e), latency.quantileNanos(0.5) / 1e6,
                latency.quantileNanos(0.95) / 1e6, latency.quantileNanos(0.99) / 1e6,
                n == 0 ? 0 : latency.sumNanos() / 1e6 / n, b, queueDepth.getAsInt(),
                n == 0 ? Double.NaN : densitySum.sum() / n, n == 0 ? Double.NaN : macsRatioSum.sum() / n);
    }

    /**
     * The metrics at one moment. Immutable (do not modify the array).
     *
     * @param requests requests received (accepted or refused)
     * @param served requests answered with a prediction
     * @param errors failed requests by kind
     * @param p50Ms median latency of answered requests, ms (bucket upper edge; 0 before the first)
     * @param p95Ms 95th percentile, ms
     * @param p99Ms 99th percentile, ms
     * @param meanMs mean latency, ms
     * @param batchSizeCounts at index {@code b} the number of batches of {@code b} requests run
     * @param queueDepth requests queued now
     * @param meanGateDensity mean over answered requests of the fraction of gate units open (1 for a static network;
     *     NaN before the first)
     * @param meanMacsRatio mean over answered requests of {@code F_dyn / F_static} (NaN before the first)
     */
    public record Snapshot(long requests, long served, Map<ErrorKind, Long> errors, double p50Ms, double p95Ms,
            double p99Ms, double meanMs, long[] batchSizeCounts, int queueDepth, double meanGateDensity,
            double meanMacsRatio) {

        /** Returns the number of failed requests of all kinds. */
        public long failed() {
            return errors.values().stream().mapToLong(Long::longValue).sum();
        }

        /** Returns the number of batches run. */
        public long batches() {
            long n = 0;
            for (long c : batchSizeCounts) {
                n += c;
            }
            return n;
        }
    }
}
