package org.laudnet.core.latency.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.laudnet.core.util.Checks;

/**
 * The one timing protocol of the CPU latency model: {@link CpuCalibrator} times its forced paths and operators with
 * it, and the validation ({@code laudnet latency validate}) times the configurations it compares with the model's
 * predictions, so that a prediction and the measurement it is judged against come from the same conditions.
 *
 * <p>A measurement times several alternatives (the paths of one block and mask, or the configurations of one
 * executor), each a {@link Call} that runs once and reads its output back to the host:
 *
 * <ol>
 *   <li>{@code warmupRounds} untimed rounds of every alternative in turn (at least one), so that caches, weight
 *       layouts, index tables and primitives exist before any timing;
 *   <li>the number of timed runs: {@code runs}, raised for alternatives faster than {@code budgetMs / runs} (measured
 *       in the last warm-up round) so that the timed runs of the slowest alternative take about {@code budgetMs}, at
 *       most {@code 3 runs};
 *   <li>rounds of every alternative in turn; in each, the alternative runs once untimed (the primer) and then once
 *       timed. Every timed call thus follows a call of the same executor on the same input and masks: the engine's
 *       threads, caches and allocator are in the state that call leaves, the same for every alternative and every
 *       round, whichever alternative ran before. Without the primer a call's time depends on its predecessor (a call
 *       after another executor or engine runs measurably slower than after its own), and interleaving alone does not
 *       give every alternative the same predecessors;
 *   <li>the median of each alternative's timed runs.
 * </ol>
 *
 * <p>Each run of an alternative, timed or not, follows its untimed {@link Call#prepare}.
 *
 * <p>Immutable; {@link #measure} runs the calls on the calling thread. Thread-safe.
 *
 * @param runs timed runs per alternative (at least), positive
 * @param warmupRounds untimed rounds before the timing, non-negative (0 still runs one)
 * @param budgetMs target total of the slowest alternative's timed runs, in ms (fast alternatives get more runs),
 *     non-negative
 */
public record TimingProtocol(int runs, int warmupRounds, double budgetMs) {

    /** The most timed runs, as a multiple of {@link #runs()}. */
    public static final int MAX_RUN_FACTOR = 3;

    /** Validates the counts. */
    public TimingProtocol {
        Checks.positive("runs", runs);
        Checks.nonNegative("warmupRounds", warmupRounds);
        if (!(budgetMs >= 0) || !Double.isFinite(budgetMs)) {
            throw new IllegalArgumentException("budgetMs must be finite and non-negative, got " + budgetMs);
        }
    }

    /**
     * One alternative: runs once, including the read-back of its output to the host, and releases what it created.
     */
    @FunctionalInterface
    public interface Call {
        /**
         * Runs the alternative once.
         *
         * @return a label of what ran (the execution path an executor took), or null
         */
        String run();

        /**
         * Untimed work before each run of the alternative (restoring an input the previous run overwrote); nothing by
         * default.
         */
        default void prepare() {}

        /**
         * Returns an alternative with untimed preparation before each run.
         *
         * @param prepare run, untimed, before each run
         * @param run the timed run
         * @return the alternative
         */
        static Call of(Runnable prepare, Call run) {
            if (prepare == null || run == null) {
                throw new IllegalArgumentException("prepare and run must not be null");
            }
            return new Call() {
                @Override
                public String run() {
                    return run.run();
                }

                @Override
                public void prepare() {
                    prepare.run();
                }
            };
        }
    }

    /**
     * The timing of one alternative.
     *
     * @param medianMs the median of the timed runs
     * @param timesMs the timed runs in order
     * @param labels how often each label was returned by the timed runs, in order of first appearance
     */
    public record Result(double medianMs, double[] timesMs, Map<String, Integer> labels) {
        /** Copies the arrays and map. */
        public Result {
            timesMs = timesMs.clone();
            labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        }

        /** {@inheritDoc} */
        @Override
        public double[] timesMs() {
            return timesMs.clone();
        }

        /**
         * Returns the label the timed runs returned most often (the first such on ties).
         *
         * @return the label, or null when no run returned one
         */
        public String mostFrequentLabel() {
            String best = null;
            int count = 0;
            for (Map.Entry<String, Integer> e : labels.entrySet()) {
                if (e.getValue() > count) {
                    best = e.getKey();
                    count = e.getValue();
                }
            }
            return best;
        }
    }

    /**
     * Measures alternatives by the protocol of the class comment, on {@link System#nanoTime()}.
     *
     * @param calls the alternatives, non-empty
     * @return one result per alternative, in order
     */
    public List<Result> measure(List<? extends Call> calls) {
        return measure(calls, System::nanoTime);
    }

    /**
     * Measures alternatives on a given clock (for tests).
     *
     * @param calls the alternatives, non-empty
     * @param clock nanoseconds
     * @return one result per alternative, in order
     */
    List<Result> measure(List<? extends Call> calls, LongSupplier clock) {
        if (calls == null || calls.isEmpty()) {
            throw new IllegalArgumentException("calls must not be empty");
        }
        int n = calls.size();
        double slowest = 0;
        for (int round = 0; round < Math.max(1, warmupRounds); round++) {
            for (Call c : calls) {
                c.prepare();
                long a = clock.getAsLong();
                c.run();
                double ms = (clock.getAsLong() - a) / 1e6;
                if (round == Math.max(1, warmupRounds) - 1) {
                    slowest = Math.max(slowest, ms);
                }
            }
        }
        int count = timedRuns(slowest);
        double[][] t = new double[n][count];
        List<Map<String, Integer>> labels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            labels.add(new LinkedHashMap<>());
        }
        for (int rep = 0; rep < count; rep++) {
            for (int i = 0; i < n; i++) {
                Call c = calls.get(i);
                c.prepare();
                c.run();
                c.prepare();
                long a = clock.getAsLong();
                String label = c.run();
                t[i][rep] = (clock.getAsLong() - a) / 1e6;
                if (label != null) {
                    labels.get(i).merge(label, 1, Integer::sum);
                }
            }
        }
        List<Result> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Result(median(t[i]), t[i], labels.get(i)));
        }
        return out;
    }

    /**
     * Returns the number of timed runs after a warm-up round whose slowest alternative took {@code slowestMs}:
     * {@code runs}, raised to about {@code budgetMs / slowestMs}, at most {@link #MAX_RUN_FACTOR}{@code  runs}.
     *
     * @param slowestMs the slowest alternative's last warm-up time
     * @return the count
     */
    public int timedRuns(double slowestMs) {
        if (!(slowestMs > 0)) {
            return runs;
        }
        return (int) Math.max(runs, Math.min((long) MAX_RUN_FACTOR * runs, Math.round(budgetMs / slowestMs)));
    }

    /**
     * Returns the median (mean of the middle two for an even count).
     *
     * @param v the values, non-empty
     * @return the median
     */
    public static double median(double[] v) {
        if (v == null || v.length == 0) {
            throw new IllegalArgumentException("v must not be empty");
        }
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
