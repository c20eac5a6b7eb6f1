package org.laudnet.core.exec.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.plan.FoldedConv;

/**
 * Independent naive computations for the reference tests: the input is copied into an explicitly padded buffer and
 * every output reads its whole window from it, instead of clipping windows at the border.
 */
final class Naive {

    private Naive() {}

    /** A seeded uniform array in {@code [-scale, scale)}. */
    static float[] uniform(Random r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((2 * r.nextDouble() - 1) * scale);
        }
        return v;
    }

    /** A seeded convolution with weights scaled by {@code 1 / sqrt(fan-in)}. */
    static FoldedConv conv(Random r, int out, int in, int k, int stride, int padding, int groups) {
        double scale = 1.0 / Math.sqrt((double) in / groups * k * k);
        return new FoldedConv(out, in, k, stride, padding, groups, uniform(r, out * (in / groups) * k * k, scale),
                uniform(r, out, 0.5));
    }

    /** Returns {@code x} copied into a buffer padded by {@code p} on every side with {@code fill}. */
    static float[] pad(float[] x, Nchw xs, int p, float fill) {
        int hp = xs.height() + 2 * p;
        int wp = xs.width() + 2 * p;
        float[] out = new float[xs.batch() * xs.channels() * hp * wp];
        Arrays.fill(out, fill);
        for (int bc = 0; bc < xs.batch() * xs.channels(); bc++) {
            for (int r = 0; r < xs.height(); r++) {
                for (int q = 0; q < xs.width(); q++) {
                    out[(bc * hp + r + p) * wp + q + p] = x[(bc * xs.height() + r) * xs.width() + q];
                }
            }
        }
        return out;
    }

    /** Convolution by direct loops over a zero-padded copy: {@code act(b + residual + sum w x)}. */
    static float[] conv(float[] x, Nchw xs, FoldedConv c, float[] residual, boolean relu) {
        int p = c.padding();
        int k = c.kernel();
        int hp = xs.height() + 2 * p;
        int wp = xs.width() + 2 * p;
        float[] xp = pad(x, xs, p, 0f);
        int ho = (hp - k) / c.stride() + 1;
        int wo = (wp - k) / c.stride() + 1;
        int ig = c.inChannels() / c.groups();
        int og = c.outChannels() / c.groups();
        float[] y = new float[xs.batch() * c.outChannels() * ho * wo];
        for (int b = 0; b < xs.batch(); b++) {
            for (int o = 0; o < c.outChannels(); o++) {
                int group = o / og;
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        double acc = c.bias()[o];
                        for (int i = 0; i < ig; i++) {
                            int ci = group * ig + i;
                            for (int ky = 0; ky < k; ky++) {
                                for (int kx = 0; kx < k; kx++) {
                                    double wv = c.weight()[((o * ig + i) * k + ky) * k + kx];
                                    int iy = oy * c.stride() + ky;
                                    int ix = ox * c.stride() + kx;
                                    acc += wv * xp[((b * xs.channels() + ci) * hp + iy) * wp + ix];
                                }
                            }
                        }
                        int idx = ((b * c.outChannels() + o) * ho + oy) * wo + ox;
                        if (residual != null) {
                            acc += residual[idx];
                        }
                        y[idx] = (float) (relu ? Math.max(0, acc) : acc);
                    }
                }
            }
        }
        return y;
    }

    /** Asserts equal lengths and {@code |e - a| <= tol max(1, max|e|)} element-wise. */
    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double scale = 1;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            assertTrue(d <= tol * scale, what + ": element " + i + " expected " + expected[i] + ", got " + actual[i]);
        }
    }

    /** A seeded 0/1 int mask. */
    static int[] mask(Random r, int n, double density) {
        int[] m = new int[n];
        for (int i = 0; i < n; i++) {
            m[i] = r.nextDouble() < density ? 1 : 0;
        }
        return m;
    }
}
