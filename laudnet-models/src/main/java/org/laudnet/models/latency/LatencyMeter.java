package org.laudnet.models.latency;

import java.time.Duration;
import org.laudnet.core.latency.cpu.CpuCalibrator;
import org.laudnet.core.util.Checks;

/**
 * Interleaved wall-clock measurement of two computations in the same process: after {@code warmup} untimed rounds
 * (each runs {@code a} then {@code b}), each of {@code runs} timed rounds times both, {@code a} first on even rounds
 * and {@code b} first on odd ones, so that neither always runs on a warm cache; the result holds the medians
 * ({@link CpuCalibrator#median}).
 *
 * <p>Warm-up by time: a JVM compiles the engine's host code (mask bookkeeping, index tables, primitive lookups) while
 * the first few thousand calls run, and on a machine with few cores the compiler threads take cores from the
 * computation's own threads. A network of about a millisecond then measures several times slower in its first seconds
 * than later, so a warm-up of a fixed handful of rounds times the compilation, not the network. {@link
 * #interleaved(Runnable, Runnable, int, int, Duration)} keeps warming up until a minimum time has passed as well.
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
     * @param warmupRounds untimed rounds run before them
     */
    public record Pair(double medianA, double medianB, int runs, int warmupRounds) {

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
        return interleaved(a, b, warmup, runs, Duration.ZERO);
    }

    /**
     * Measures two computations interleaved after a warm-up of at least {@code warmup} rounds that also lasts at least
     * {@code minWarmup}.
     *
     * @param a the reference (e.g. the static network)
     * @param b the candidate (e.g. the dynamic network)
     * @param warmup least untimed rounds, non-negative
     * @param runs timed rounds, positive
     * @param minWarmup least wall time of the untimed rounds, non-negative
     * @return the medians in milliseconds and the untimed rounds run
     * @throws IllegalArgumentException if a computation or {@code minWarmup} is null, {@code warmup} or
     *     {@code minWarmup} is negative or {@code runs} is not positive
     */
    public static Pair interleaved(Runnable a, Runnable b, int warmup, int runs, Duration minWarmup) {
        if (a == null || b == null) {
            throw new IllegalArgumentException("a and b must not be null");
        }
        Checks.nonNegative("warmup", warmup);
        Checks.positive("runs", runs);
        if (minWarmup == null || minWarmup.isNegative()) {
            throw new IllegalArgumentException("minWarmup must be a non-negative duration, got " + minWarmup);
        }
        long until = System.nanoTime() + minWarmup.toNanos();
        int rounds = 0;
        while (rounds < warmup || System.nanoTime() - until < 0) {
            a.run();
            b.run();
            rounds++;
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
        return new Pair(CpuCalibrator.median(ta), CpuCalibrator.median(tb), runs, rounds);
    }

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e6;
    }
}
