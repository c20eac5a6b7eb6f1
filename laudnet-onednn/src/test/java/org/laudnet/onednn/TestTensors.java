package org.laudnet.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.laudnet.core.plan.FoldedConv;

/** Seeded test data of the oneDNN tests (Gaussian values, He-scaled convolutions) and their tolerance check. */
final class TestTensors {

    private TestTensors() {}

    /** Returns {@code n} standard Gaussian values from {@code seed}. */
    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** Returns a batch of {@code (batch, 3, size, size)} standard Gaussian images from {@code seed}, row-major. */
    static float[] images(int batch, int size, long seed) {
        return random(batch * 3 * size * size, seed);
    }

    /** Returns a folded convolution with He-scaled Gaussian weights and a Gaussian bias from {@code seed}. */
    static FoldedConv conv(int out, int in, int k, int stride, int pad, int groups, long seed) {
        float[] w = random(out * in / groups * k * k, seed);
        float scale = (float) Math.sqrt(2.0 / (in / groups * k * k));
        for (int i = 0; i < w.length; i++) {
            w[i] *= scale;
        }
        return new FoldedConv(out, in, k, stride, pad, groups, w, random(out, seed + 1));
    }

    /**
     * Asserts equal lengths, finite values in {@code got} and a maximum difference within {@code tol} of the largest
     * magnitude of {@code want}.
     */
    static void assertClose(float[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what + " length");
        double diff = 0;
        double scale = 1e-12;
        for (int i = 0; i < want.length; i++) {
            assertTrue(Float.isFinite(got[i]), what + ": non-finite value at " + i);
            diff = Math.max(diff, Math.abs(want[i] - got[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        assertTrue(diff / scale <= tol, what + ": relative error " + diff / scale);
    }
}
