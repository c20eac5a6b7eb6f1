package org.laudnet.bench.network;

/**
 * A pause before each timed call of an interleaved benchmark round. The engines of one round keep their own worker
 * pools (oneDNN's OpenMP runtime, PyTorch's OpenMP runtime, ONNX Runtime's pool); a pool that has just finished keeps
 * its workers spinning for a while, and on a machine with few cores they take the cores the next engine's call needs.
 * Waiting {@value #MILLIS} ms before each call lets them go idle, so each call starts on a quiet machine whatever ran
 * before it. Stateless.
 */
final class Settle {

    /** The pause before each timed call. */
    static final long MILLIS = 20;

    private Settle() {}

    /** Sleeps {@value #MILLIS} ms; an interrupt ends the pause early and stays set. */
    static void pause() {
        try {
            Thread.sleep(MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
