package org.laudnet.models.serving;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A lock-free histogram of durations: logarithmic buckets (eight per doubling, so a quantile is within 9 % of the
 * true value) from {@value #MIN_NANOS} ns to about 100 s, plus the count and the sum. Thread-safe.
 */
public final class LatencyHistogram {

    /** The lower edge of the first bucket, in nanoseconds (10 µs). */
    public static final long MIN_NANOS = 10_000L;

    private static final int PER_DOUBLING = 8;
    private static final int BUCKETS = PER_DOUBLING * 24;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final LongAdder count = new LongAdder();
    private final LongAdder sumNanos = new LongAdder();

    /**
     * Records one duration.
     *
     * @param nanos the duration in nanoseconds (negative counts as 0)
     */
    public void record(long nanos) {
        long n = Math.max(0, nanos);
        counts.incrementAndGet(bucket(n));
        count.increment();
        sumNanos.add(n);
    }

    private static int bucket(long nanos) {
        if (nanos <= MIN_NANOS) {
            return 0;
        }
        int b = (int) Math.ceil(Math.log((double) nanos / MIN_NANOS) / Math.log(2) * PER_DOUBLING);
        return Math.min(BUCKETS - 1, Math.max(0, b));
    }

    /**
     * Returns the upper edge of a bucket in nanoseconds.
     *
     * @param bucket the bucket index
     * @return its upper edge
     */
    static double upperNanos(int bucket) {
        return MIN_NANOS * Math.pow(2, (double) bucket / PER_DOUBLING);
    }

    /** Returns the number of durations recorded. */
    public long count() {
        return count.sum();
    }

    /** Returns the sum of the durations in nanoseconds. */
    public long sumNanos() {
        return sumNanos.sum();
    }

    /**
     * Returns a quantile: the upper edge of the bucket holding it (0 when nothing was recorded).
     *
     * @param q the quantile in (0, 1]
     * @return the duration in nanoseconds
     * @throws IllegalArgumentException if {@code q} is outside (0, 1]
     */
    public double quantileNanos(double q) {
        if (!(q > 0 && q <= 1)) {
            throw new IllegalArgumentException("q must be in (0, 1], got " + q);
        }
        long[] c = snapshot();
        long total = 0;
        for (long v : c) {
            total += v;
        }
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int i = 0; i < c.length; i++) {
            seen += c[i];
            if (seen >= rank) {
                return upperNanos(i);
            }
        }
        return upperNanos(c.length - 1);
    }

    /**
     * Returns how many durations were at most {@code nanos} (counted by whole buckets: those whose upper edge is at
     * most {@code nanos}), for cumulative exposition.
     *
     * @param nanos the bound
     * @return the count
     */
    public long countAtMost(double nanos) {
        long[] c = snapshot();
        long n = 0;
        for (int i = 0; i < c.length && upperNanos(i) <= nanos * (1 + 1e-9); i++) {
            n += c[i];
        }
        return n;
    }

    private long[] snapshot() {
        long[] c = new long[BUCKETS];
        for (int i = 0; i < BUCKETS; i++) {
            c[i] = counts.get(i);
        }
        return c;
    }
}
