package org.laudnet.models.latency;

import org.laudnet.core.latency.cpu.CpuCalibrator;
import org.laudnet.core.util.Checks;

/**
 * Interleaved wall-clock measurement of two computations in the same process: after {@code warmup} untimed rounds
 * (each runs {@code a} then {@code b}), each of {@code runs} timed rounds times both, {@code a} first on even rounds
 * and {@code b} first on odd ones, so that neither always runs on a warm cache; the result holds the medians
 * ({@link CpuCalibrator#median}).
 *
 * <p>Stateless; the computations run on the calling thread, so measurements on different threads disturb each other
 * only through the machine.
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
     * @return the medians in milliseconds
     * @throws IllegalArgumentException if a computation is null, {@code warmup} is negative or {@code runs} is not
     *     positive
     */
    public static Pair interleaved(Runnable a, Runnable b, int warmup, int runs) {
        if (a == null || b == null) {
            throw new IllegalArgumentException("a and b must not be null");
        }
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
        return new Pair(CpuCalibrator.median(ta), CpuCalibrator.median(tb), runs);
    }

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e6;
    }
}
