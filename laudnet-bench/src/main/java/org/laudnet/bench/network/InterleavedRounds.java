package org.laudnet.bench.network;

import java.util.List;
import java.util.function.LongSupplier;
import org.laudnet.core.util.Checks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Times several engines ("contenders") in one process so that they see the same machine state: every round runs each
 * contender in turn, first one untimed <em>primer</em> call, then {@link #TIMED_PER_ROUND} timed calls, each call
 * after a {@link Settle} pause.
 *
 * <p>Why the primer: on a machine with few cores, a call that directly follows another engine's call runs slower than
 * one that follows a call of its own engine, even after the pause (the other runtime's workers, its working set in the
 * caches). Measured on a 2-vCPU machine with ResNet-50 on the oneDNN backend: the network timed first after the ONNX
 * Runtime peer ran 15-20% slower than the same network timed after another oneDNN call, whichever of the two networks
 * (gated or static) took the first place. With a primer, no timed call follows another engine's work, so the order of
 * the contenders in a round does not favour any of them and every timed call sees the state of back-to-back calls of
 * one engine, as a service does.
 *
 * <p>Why the settling: a contender whose calls create backend primitives on first use (a sparse path meeting a new row
 * bucket) would time that creation in its first rounds. A contender that can count its primitives first runs untimed
 * calls, back to back, until {@link #STEADY_CALLS} calls in a row create none (at most {@link #MAX_SETTLING_CALLS}),
 * so that every timed call measures the steady state a long-running service sees.
 *
 * <p>Stateless; the contenders' calls run on the calling thread.
 */
final class InterleavedRounds {

    private static final Logger LOG = LoggerFactory.getLogger(InterleavedRounds.class);

    /** Consecutive calls without a new primitive that end a contender's settling. */
    static final int STEADY_CALLS = 8;

    /** The most settling calls of a contender. */
    static final int MAX_SETTLING_CALLS = 64;

    /** Timed calls of each contender per round, after its primer. */
    static final int TIMED_PER_ROUND = 2;

    /**
     * One engine of a round.
     *
     * @param before untimed, right before each call (e.g. attaching the input to a scratch manager)
     * @param call the timed call
     * @param after untimed, right after each call (e.g. reading and closing its result)
     * @param primitives the number of backend primitives the contender has created so far, or null when it cannot tell
     *     (then it does not settle)
     */
    record Contender(Runnable before, Runnable call, Runnable after, LongSupplier primitives) {

        /**
         * A contender that does not settle.
         *
         * @param before untimed, right before each call
         * @param call the timed call
         * @param after untimed, right after each call
         */
        Contender(Runnable before, Runnable call, Runnable after) {
            this(before, call, after, null);
        }

        /**
         * A contender without untimed steps.
         *
         * @param call the timed call
         * @return the contender
         */
        static Contender of(Runnable call) {
            return new Contender(() -> { }, call, () -> { });
        }

        /**
         * Runs untimed calls until {@link #STEADY_CALLS} in a row create no primitive, at most
         * {@link #MAX_SETTLING_CALLS}.
         *
         * @return the calls run (0 for a contender that cannot count its primitives)
         */
        int settle() {
            if (primitives == null) {
                return 0;
            }
            int calls = 0;
            int steady = 0;
            long count = primitives.getAsLong();
            while (steady < STEADY_CALLS && calls < MAX_SETTLING_CALLS) {
                run();
                calls++;
                long now = primitives.getAsLong();
                steady = now == count ? steady + 1 : 0;
                count = now;
            }
            return calls;
        }

        private double run() {
            before.run();
            long t0 = System.nanoTime();
            call.run();
            long t1 = System.nanoTime();
            after.run();
            return (t1 - t0) / 1e6;
        }
    }

    private InterleavedRounds() {}

    /**
     * The number of rounds that give at least {@code samples} timed calls per contender.
     *
     * @param samples timed calls wanted per contender, at least 1
     * @return {@code ceil(samples / TIMED_PER_ROUND)}
     */
    static int rounds(int samples) {
        Checks.positive("samples", samples);
        return (samples + TIMED_PER_ROUND - 1) / TIMED_PER_ROUND;
    }

    /**
     * Runs the rounds, after settling each contender that can count its primitives.
     *
     * @param contenders the engines, in their order within a round
     * @param warmupRounds untimed rounds first
     * @param samples timed calls per contender (the last round is cut short when {@code samples} is not a multiple of
     *     {@link #TIMED_PER_ROUND})
     * @return per contender, its {@code samples} timed calls in milliseconds, in order
     */
    static double[][] run(List<Contender> contenders, int warmupRounds, int samples) {
        Checks.nonNegative("warmupRounds", warmupRounds);
        int rounds = rounds(samples);
        double[][] ms = new double[contenders.size()][samples];
        for (int c = 0; c < contenders.size(); c++) {
            int calls = contenders.get(c).settle();
            if (calls > 0) {
                LOG.debug("contender {} settled after {} untimed calls", c, calls);
            }
        }
        int taken = 0;
        for (int r = -warmupRounds; r < rounds; r++) {
            int timed = r < 0 ? TIMED_PER_ROUND : Math.min(TIMED_PER_ROUND, samples - taken);
            for (int c = 0; c < contenders.size(); c++) {
                Contender contender = contenders.get(c);
                Settle.pause();
                contender.run();
                for (int t = 0; t < timed; t++) {
                    Settle.pause();
                    double v = contender.run();
                    if (r >= 0) {
                        ms[c][taken + t] = v;
                    }
                }
            }
            if (r >= 0) {
                taken += timed;
            }
        }
        return ms;
    }
}
