package org.laudnet.bench.network;

import java.util.List;
import org.laudnet.core.util.Checks;

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
 * <p>Stateless; the contenders' calls run on the calling thread.
 */
final class InterleavedRounds {

    /** Timed calls of each contender per round, after its primer. */
    static final int TIMED_PER_ROUND = 2;

    /**
     * One engine of a round.
     *
     * @param before untimed, right before each call (e.g. attaching the input to a scratch manager)
     * @param call the timed call
     * @param after untimed, right after each call (e.g. reading and closing its result)
     */
    record Contender(Runnable before, Runnable call, Runnable after) {

        /**
         * A contender without untimed steps.
         *
         * @param call the timed call
         * @return the contender
         */
        static Contender of(Runnable call) {
            return new Contender(() -> { }, call, () -> { });
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
     * Runs the rounds.
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
