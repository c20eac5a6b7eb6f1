package org.laudnet.core.exec.djl;

import java.util.Random;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialCells;
import org.laudnet.core.exec.SpatialGeometry;
import org.laudnet.core.plan.FoldedConv;

/** Naive float[] versions of the primitives, written from the {@code Kernels} contract, for the DJL kernels' tests. */
final class DjlNaive {

    private DjlNaive() {}

    static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    static FoldedConv conv(Random r, int out, int in, int k, int stride, int padding, int groups) {
        float[] w = random(r, out * (in / groups) * k * k);
        float scale = (float) (1.0 / Math.sqrt((double) (in / groups) * k * k));
        for (int i = 0; i < w.length; i++) {
            w[i] *= scale;
        }
        return new FoldedConv(out, in, k, stride, padding, groups, w, random(r, out));
    }

    /** {@code y = [ReLU](conv(x) + b [+ residual])}. */
    static float[] conv(float[] x, Nchw xs, FoldedConv c, float[] residual, boolean relu) {
        int ho = c.outSize(xs.height());
        int wo = c.outSize(xs.width());
        int o = c.outChannels();
        int ig = c.inChannels() / c.groups();
        int og = o / c.groups();
        int k = c.kernel();
        float[] w = c.weight();
        float[] y = new float[xs.batch() * o * ho * wo];
        for (int b = 0; b < xs.batch(); b++) {
            for (int oc = 0; oc < o; oc++) {
                int g0 = (oc / og) * ig;
                for (int oy = 0; oy < ho; oy++) {
                    for (int ox = 0; ox < wo; ox++) {
                        double v = c.bias()[oc];
                        for (int i = 0; i < ig; i++) {
                            for (int ky = 0; ky < k; ky++) {
                                int yy = oy * c.stride() - c.padding() + ky;
                                if (yy < 0 || yy >= xs.height()) {
                                    continue;
                                }
                                for (int kx = 0; kx < k; kx++) {
                                    int xx = ox * c.stride() - c.padding() + kx;
                                    if (xx < 0 || xx >= xs.width()) {
                                        continue;
                                    }
                                    v += w[((oc * ig + i) * k + ky) * k + kx] * x[xs.index(b, g0 + i, yy, xx)];
                                }
                            }
                        }
                        int q = ((b * o + oc) * ho + oy) * wo + ox;
                        if (residual != null) {
                            v += residual[q];
                        }
                        y[q] = relu ? (float) Math.max(v, 0) : (float) v;
                    }
                }
            }
        }
        return y;
    }

    static float[] relu(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Math.max(x[i], 0f);
        }
        return y;
    }

    static float sigmoid(float v) {
        return (float) (1.0 / (1.0 + Math.exp(-v)));
    }

    static float[] maxPool(float[] x, Nchw xs, int k, int s, int p) {
        int ho = (xs.height() + 2 * p - k) / s + 1;
        int wo = (xs.width() + 2 * p - k) / s + 1;
        float[] y = new float[xs.batch() * xs.channels() * ho * wo];
        int q = 0;
        for (int bc = 0; bc < xs.batch() * xs.channels(); bc++) {
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    float v = Float.NEGATIVE_INFINITY;
                    for (int ky = 0; ky < k; ky++) {
                        for (int kx = 0; kx < k; kx++) {
                            int yy = oy * s - p + ky;
                            int xx = ox * s - p + kx;
                            if (yy >= 0 && yy < xs.height() && xx >= 0 && xx < xs.width()) {
                                v = Math.max(v, x[(bc * xs.height() + yy) * xs.width() + xx]);
                            }
                        }
                    }
                    y[q++] = v;
                }
            }
        }
        return y;
    }

    static float[] avgPool(float[] x, Nchw xs, int k) {
        int ho = xs.height() / k;
        int wo = xs.width() / k;
        float[] y = new float[xs.batch() * xs.channels() * ho * wo];
        int q = 0;
        for (int bc = 0; bc < xs.batch() * xs.channels(); bc++) {
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    double v = 0;
                    for (int ky = 0; ky < k; ky++) {
                        for (int kx = 0; kx < k; kx++) {
                            v += x[(bc * xs.height() + oy * k + ky) * xs.width() + ox * k + kx];
                        }
                    }
                    y[q++] = (float) (v / (k * k));
                }
            }
        }
        return y;
    }

    static float[] mean(float[] x, Nchw xs) {
        int hw = xs.height() * xs.width();
        float[] y = new float[xs.batch() * xs.channels()];
        for (int bc = 0; bc < y.length; bc++) {
            double v = 0;
            for (int i = 0; i < hw; i++) {
                v += x[bc * hw + i];
            }
            y[bc] = (float) (v / hw);
        }
        return y;
    }

    static float[] scaleChannels(float[] h, Nchw hs, float[] scale, boolean sigmoid) {
        int hw = hs.height() * hs.width();
        float[] y = new float[h.length];
        for (int i = 0; i < h.length; i++) {
            float f = scale[i / hw];
            y[i] = h[i] * (sigmoid ? sigmoid(f) : f);
        }
        return y;
    }

    static float[] maskedMean(float[] h, Nchw hs, SpatialCells cells) {
        float[] y = new float[hs.batch() * hs.channels()];
        for (int b = 0; b < hs.batch(); b++) {
            int n = 0;
            for (int yy = 0; yy < hs.height(); yy++) {
                for (int xx = 0; xx < hs.width(); xx++) {
                    n += cells.computed(b, yy, xx) ? 1 : 0;
                }
            }
            for (int c = 0; c < hs.channels(); c++) {
                double v = 0;
                for (int yy = 0; yy < hs.height(); yy++) {
                    for (int xx = 0; xx < hs.width(); xx++) {
                        if (cells.computed(b, yy, xx)) {
                            v += h[hs.index(b, c, yy, xx)];
                        }
                    }
                }
                y[b * hs.channels() + c] = (float) (v / Math.max(n, 1));
            }
        }
        return y;
    }

    static float[] fillInactive(float[] identity, Nchw s, SpatialCells cells, float[] out) {
        float[] y = out.clone();
        for (int b = 0; b < s.batch(); b++) {
            for (int c = 0; c < s.channels(); c++) {
                for (int yy = 0; yy < s.height(); yy++) {
                    for (int xx = 0; xx < s.width(); xx++) {
                        if (!cells.kept(b, c, s.channels(), yy, xx)) {
                            int q = s.index(b, c, yy, xx);
                            y[q] = Math.max(identity[q], 0f);
                        }
                    }
                }
            }
        }
        return y;
    }

    /** Windows {@code (P, C1, T, T)}: {@code ReLU(conv1(x))} at the window pixels, zero outside the image. */
    static float[] windows(float[] x, Nchw xs, PatchPlan plan, FoldedConv c1) {
        float[] h = conv(x, xs, c1, null, true);
        SpatialGeometry g = plan.geometry();
        int t = g.windowSize();
        int co = c1.outChannels();
        int[] list = plan.patches();
        float[] y = new float[plan.patchCount() * co * t * t];
        for (int p = 0; p < plan.patchCount(); p++) {
            int oy = g.windowOrigin(list[3 * p + 1]);
            int ox = g.windowOrigin(list[3 * p + 2]);
            for (int c = 0; c < co; c++) {
                for (int ty = 0; ty < t; ty++) {
                    for (int tx = 0; tx < t; tx++) {
                        int yy = oy + ty;
                        int xx = ox + tx;
                        boolean in = yy >= 0 && yy < xs.height() && xx >= 0 && xx < xs.width();
                        y[((p * co + c) * t + ty) * t + tx] = in
                                ? h[((list[3 * p] * co + c) * xs.height() + yy) * xs.width() + xx] : 0f;
                    }
                }
            }
        }
        return y;
    }

    /**
     * {@code ReLU(conv1(x))} at every distinct input pixel inside the image that some active patch's window covers, in
     * raster order (sample, row, column), as rows {@code (K, C1)}, followed by one zero row.
     */
    static float[] m1Rows(float[] x, Nchw xs, PatchPlan plan, FoldedConv c1) {
        float[] h = conv(x, xs, c1, null, true);
        SpatialGeometry g = plan.geometry();
        int t = g.windowSize();
        int hh = xs.height();
        int ww = xs.width();
        boolean[] covered = new boolean[xs.batch() * hh * ww];
        int[] list = plan.patches();
        for (int p = 0; p < plan.patchCount(); p++) {
            int oy = g.windowOrigin(list[3 * p + 1]);
            int ox = g.windowOrigin(list[3 * p + 2]);
            for (int yy = oy; yy < oy + t; yy++) {
                for (int xx = ox; xx < ox + t; xx++) {
                    if (yy >= 0 && yy < hh && xx >= 0 && xx < ww) {
                        covered[(list[3 * p] * hh + yy) * ww + xx] = true;
                    }
                }
            }
        }
        int co = c1.outChannels();
        int k = 0;
        for (boolean c : covered) {
            k += c ? 1 : 0;
        }
        float[] rows = new float[(k + 1) * co];
        int n = 0;
        for (int i = 0; i < covered.length; i++) {
            if (covered[i]) {
                int b = i / (hh * ww);
                int pix = i % (hh * ww);
                for (int c = 0; c < co; c++) {
                    rows[n * co + c] = h[(b * co + c) * hh * ww + pix];
                }
                n++;
            }
        }
        return rows;
    }

    /** {@code (P, C, T, T)} to rows {@code (P T T, C)}. */
    static float[] windowRows(float[] w, int patches, int channels, int t) {
        float[] r = new float[w.length];
        for (int p = 0; p < patches; p++) {
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < t * t; i++) {
                    r[(p * t * t + i) * channels + c] = w[(p * channels + c) * t * t + i];
                }
            }
        }
        return r;
    }

    /** conv2 without padding on the windows, ReLU: {@code (P, C2, S, S)}. */
    static float[] patchConv(float[] windows, PatchPlan plan, FoldedConv c2) {
        SpatialGeometry g = plan.geometry();
        int t = g.windowSize();
        if (plan.patchCount() == 0) {
            return new float[0];
        }
        FoldedConv valid = new FoldedConv(c2.outChannels(), c2.inChannels(), 3, c2.stride(), 0, c2.groups(),
                c2.weight(), c2.bias());
        return conv(windows, new Nchw(plan.patchCount(), c2.inChannels(), t, t), valid, null, true);
    }

    /** Per-sample means over the in-image patch positions {@code (B, C)}. */
    static float[] patchMeans(float[] patches, PatchPlan plan, int channels) {
        SpatialGeometry g = plan.geometry();
        int s = g.cellSize();
        int[] list = plan.patches();
        double[] sums = new double[plan.batch() * channels];
        int[] n = new int[plan.batch()];
        for (int p = 0; p < plan.patchCount(); p++) {
            int b = list[3 * p];
            for (int sy = 0; sy < s; sy++) {
                for (int sx = 0; sx < s; sx++) {
                    if (list[3 * p + 1] * s + sy >= g.outHeight() || list[3 * p + 2] * s + sx >= g.outWidth()) {
                        continue;
                    }
                    n[b]++;
                    for (int c = 0; c < channels; c++) {
                        sums[b * channels + c] += patches[((p * channels + c) * s + sy) * s + sx];
                    }
                }
            }
        }
        float[] y = new float[sums.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) (sums[i] / Math.max(n[i / channels], 1));
        }
        return y;
    }

    static float[] scalePatches(float[] patches, PatchPlan plan, int channels, float[] logits) {
        int s = plan.geometry().cellSize();
        int[] list = plan.patches();
        float[] y = patches.clone();
        for (int p = 0; p < plan.patchCount(); p++) {
            for (int c = 0; c < channels; c++) {
                float f = sigmoid(logits[list[3 * p] * channels + c]);
                for (int i = 0; i < s * s; i++) {
                    y[(p * channels + c) * s * s + i] *= f;
                }
            }
        }
        return y;
    }

    /** Adds {@code conv3(patch) + b3} into the NCHW sum at the in-image patch positions. */
    static void addConv3(float[] patches, PatchPlan plan, FoldedConv c3, float[] sum) {
        SpatialGeometry g = plan.geometry();
        int s = g.cellSize();
        int ci = c3.inChannels();
        int co = c3.outChannels();
        int ho = g.outHeight();
        int wo = g.outWidth();
        int[] list = plan.patches();
        for (int p = 0; p < plan.patchCount(); p++) {
            int b = list[3 * p];
            for (int sy = 0; sy < s; sy++) {
                for (int sx = 0; sx < s; sx++) {
                    int yy = list[3 * p + 1] * s + sy;
                    int xx = list[3 * p + 2] * s + sx;
                    if (yy >= ho || xx >= wo) {
                        continue;
                    }
                    for (int o = 0; o < co; o++) {
                        double v = c3.bias()[o];
                        for (int i = 0; i < ci; i++) {
                            v += c3.weight()[o * ci + i] * patches[((p * ci + i) * s + sy) * s + sx];
                        }
                        sum[((b * co + o) * ho + yy) * wo + xx] += (float) v;
                    }
                }
            }
        }
    }

    /** Asserts {@code max|e - a| <= tol max(1, max|e|)} and equal lengths. */
    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": length " + actual.length + ", expected " + expected.length);
        }
        double scale = 1;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (!(d <= tol * scale)) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]
                        + " (tolerance " + tol * scale + ")");
            }
        }
    }
}
