package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.laudnet.core.mask.MaskOps;

/**
 * {@link HostPooling} against a plain adaptive average pool in {@code double}: even bins, uneven (overlapping) bins,
 * the global mean, one pixel per cell, non-square maps, batch 3; the channels-last form and its row source equal the
 * NCHW form; bad cell counts and short inputs are refused.
 */
class HostPoolingTest {

    /** The adaptive average pool of PyTorch, written out: bin {@code i} over {@code [floor(i n / m), ceil((i+1) n / m))}. */
    static float[] naive(float[] maps, int planes, int h, int w, int m) {
        float[] out = new float[planes * m * m];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < m; i++) {
                int r0 = (int) Math.floor(i * (double) h / m);
                int r1 = (int) Math.ceil((i + 1) * (double) h / m);
                for (int j = 0; j < m; j++) {
                    int c0 = (int) Math.floor(j * (double) w / m);
                    int c1 = (int) Math.ceil((j + 1) * (double) w / m);
                    double sum = 0;
                    for (int r = r0; r < r1; r++) {
                        for (int c = c0; c < c1; c++) {
                            sum += maps[(p * h + r) * w + c];
                        }
                    }
                    out[(p * m + i) * m + j] = (float) (sum / ((r1 - r0) * (c1 - c0)));
                }
            }
        }
        return out;
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** NCHW values in channels-last order. */
    static float[] toNhwc(float[] nchw, int batch, int channels, int h, int w) {
        float[] out = new float[nchw.length];
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < channels; c++) {
                for (int p = 0; p < h * w; p++) {
                    out[(b * h * w + p) * channels + c] = nchw[(b * channels + c) * h * w + p];
                }
            }
        }
        return out;
    }

    @ParameterizedTest(name = "B {0}, C {1}, {2} x {3} to {4} x {4}")
    @CsvSource({
        "1, 16, 28, 28, 7", // even bins of 4
        "3, 5, 28, 28, 7",
        "3, 4, 30, 30, 7", // uneven, overlapping bins
        "2, 3, 15, 15, 7",
        "3, 6, 9, 9, 1", // the global mean
        "3, 8, 7, 7, 7", // one pixel per cell
        "2, 3, 10, 6, 4", // non-square, uneven
        "1, 1, 1, 1, 1"})
    void bothLayoutsEqualThePlainAdaptivePool(int batch, int channels, int h, int w, int m) {
        float[] x = random(batch * channels * h * w, 31L * h + m);
        float[] want = naive(x, batch * channels, h, w, m);
        float[] nchw = HostPooling.adaptive(x, batch * channels, h, w, m);
        assertClose(want, nchw, "NCHW");
        float[] nhwc = toNhwc(x, batch, channels, h, w);
        assertClose(want, HostPooling.adaptiveChannelsLast(nhwc, batch, channels, h, w, m), "channels-last");
        int span = w * channels;
        float[] rows = HostPooling.adaptiveChannelsLast((row, dst) -> System.arraycopy(nhwc, row * span, dst, 0,
                span), batch, channels, h, w, m);
        assertArrayEquals(HostPooling.adaptiveChannelsLast(nhwc, batch, channels, h, w, m), rows, "row source");
    }

    @Test
    void binsFollowMaskOps() {
        // 5 pixels to 3 cells: [0, 2), [1, 4), [3, 5); every row 1..5
        float[] got = HostPooling.adaptive(new float[] {1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1,
            2, 3, 4, 5}, 1, 5, 5, 3);
        assertEquals(0, MaskOps.adaptiveStart(0, 5, 3));
        assertEquals(4, MaskOps.adaptiveEnd(1, 5, 3));
        assertArrayEquals(new float[] {1.5f, 3f, 4.5f, 1.5f, 3f, 4.5f, 1.5f, 3f, 4.5f}, got, 1e-6f);
    }

    @Test
    void badArgumentsAreRefused() {
        float[] x = new float[2 * 4 * 4];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HostPooling.adaptive(x, 2, 4, 4, 5));
        assertTrue(e.getMessage().contains("m must be in [1, min(h, w)]") && e.getMessage().contains("got 5"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HostPooling.adaptive(x, 2, 4, 4, 0));
        e = assertThrows(IllegalArgumentException.class, () -> HostPooling.adaptive(x, 3, 4, 4, 2));
        assertTrue(e.getMessage().contains("at least 48 values, got 32"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HostPooling.adaptiveChannelsLast(x, 1, 2, 4, 5, 2));
        e = assertThrows(IllegalArgumentException.class,
                () -> HostPooling.adaptiveChannelsLast((HostPooling.RowSource) null, 1, 2, 4, 4, 2));
        assertTrue(e.getMessage().contains("rows must be given"), e.getMessage());
    }

    static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-6 * Math.max(1, Math.abs(want[i])), what + " at " + i);
        }
    }
}
