package org.laudnet.bench.experiment;

import java.util.Arrays;
import org.laudnet.core.util.Checks;

/**
 * Interleaved wall-clock measurement of two computations in the same process: after {@code warmup} rounds, each of
 * {@code runs} rounds times {@code a} then {@code b} (the order alternates every round so that neither always runs on
 * a warm cache); the result holds the medians.
 */
public final class LatencyMeter {

    /**
     * Medians of an interleaved measurement.
     *
     * @param medianA median milliseconds of {@code a}
     * @param medianB median milliseconds of {@code b}
     * @param runs timed rounds
     */
    public record Pair(double medianA, double medianB, int runs) {

        /** Returns {@code medianB / medianA}. */
        public double ratio() {
            return medianB / medianA;
        }
    }

    private LatencyMeter() {}

    /**
     * Measures two computations interleaved.
     *
     * @param a the reference (e.g. the static network)
     * @param b the candidate (e.g. the dynamic network)
     * @param warmup untimed rounds, non-negative
     * @param runs timed rounds, positive
     * @return the medians
     */
    public static Pair interleaved(Runnable a, Runnable b, int warmup, int runs) {
        Checks.nonNegative("warmup", warmup);
        Checks.positive("runs", runs);
        for (int i = 0; i < warmup; i++) {
            a.run();
            b.run();
        }
        double[] ta = new double[runs];
        double[] tb = new double[runs];
        for (int i = 0; i < runs; i++) {
            if (i % 2 == 0) {
                ta[i] = time(a);
                tb[i] = time(b);
            } else {
                tb[i] = time(b);
                ta[i] = time(a);
            }
        }
        return new Pair(median(ta), median(tb), runs);
    }

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * Returns the median of the values (mean of the two middle ones for an even count).
     *
     * @param values at least one value
     * @return the median
     */
    public static double median(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("values must not be empty");
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
