package org.laudnet.onednn;

import java.util.Arrays;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialCells;
import org.laudnet.core.exec.SpatialGeometry;

/**
 * The primitives of the oneDNN backend that are row copies and per-row arithmetic on {@code nhwc} tensors, done in
 * Java on the native buffers: each position's channels are one contiguous row, so gathers and scatters are bulk row
 * copies. Arguments are checked by the caller. Stateless and thread-safe.
 */
final class HostOps {

    private HostOps() {}

    /**
     * Gathers the input rows of every window position of the active patches into {@code out}: rows
     * {@code (p, ty, tx)}, {@code C} values each. Rows outside the image are zeroed and reported.
     *
     * @return per window row of the real patches, whether it lies outside the image
     */
    static boolean[] gatherWindows(DnnlTensor x, Nchw xs, PatchPlan plan, DnnlTensor out) {
        SpatialGeometry g = plan.geometry();
        int t = g.windowSize();
        int c = xs.channels();
        int h = xs.height();
        int w = xs.width();
        int[] list = plan.patches();
        boolean[] outside = new boolean[plan.patchCount() * t * t];
        float[] zeros = new float[t * c];
        for (int p = 0; p < plan.patchCount(); p++) {
            int b = list[3 * p];
            int y0 = g.windowOrigin(list[3 * p + 1]);
            int x0 = g.windowOrigin(list[3 * p + 2]);
            int lo = Math.max(0, -x0);
            int hi = Math.min(t, w - x0);
            for (int ty = 0; ty < t; ty++) {
                int row = (p * t + ty) * t;
                int iy = y0 + ty;
                if (iy < 0 || iy >= h || hi <= lo) {
                    out.buf.put(row * c, zeros, 0, t * c);
                    Arrays.fill(outside, row, row + t, true);
                    continue;
                }
                if (lo > 0) {
                    out.buf.put(row * c, zeros, 0, lo * c);
                    Arrays.fill(outside, row, row + lo, true);
                }
                out.buf.put((row + lo) * c, x.buf, ((b * h + iy) * w + x0 + lo) * c, (hi - lo) * c);
                if (hi < t) {
                    out.buf.put((row + hi) * c, zeros, 0, (t - hi) * c);
                    Arrays.fill(outside, row + hi, row + t, true);
                }
            }
        }
        return outside;
    }

    /** Zeroes the flagged rows of {@code y} ({@code c} values each). */
    static void zeroRows(DnnlTensor y, boolean[] rows, int c) {
        float[] zeros = new float[c];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r]) {
                y.buf.put(r * c, zeros, 0, c);
            }
        }
    }

    /**
     * Gathers the rows of {@code src} ({@code cout} channels) at the output positions of the patches into {@code out}:
     * rows {@code (p, oy, ox)} of the patch layout {@code (Pb, S, S)}; rows outside the output are zeroed (the rows of
     * the bucket's padding patches are left as they are).
     */
    static void gatherPatchRows(DnnlTensor src, PatchPlan plan, int cout, DnnlTensor out) {
        SpatialGeometry g = plan.geometry();
        int s = g.cellSize();
        int oh = g.outHeight();
        int ow = g.outWidth();
        int[] list = plan.patches();
        float[] zeros = new float[s * cout];
        for (int p = 0; p < plan.patchCount(); p++) {
            int b = list[3 * p];
            int py0 = list[3 * p + 1] * s;
            int px0 = list[3 * p + 2] * s;
            int cols = Math.min(s, ow - px0);
            for (int oy = 0; oy < s; oy++) {
                int row = (p * s + oy) * s * cout;
                if (py0 + oy >= oh) {
                    out.buf.put(row, zeros, 0, s * cout);
                    continue;
                }
                out.buf.put(row, src.buf, ((b * oh + py0 + oy) * ow + px0) * cout, cols * cout);
                if (cols < s) {
                    out.buf.put(row + cols * cout, zeros, 0, (s - cols) * cout);
                }
            }
        }
    }

    /**
     * Copies the rows of the patches {@code y} ({@code (Pb, S, S)} rows of {@code cout}) to their output positions
     * inside the image in {@code out}, overwriting what is there.
     */
    static void scatterPatchRows(DnnlTensor y, PatchPlan plan, int cout, DnnlTensor out) {
        SpatialGeometry g = plan.geometry();
        int s = g.cellSize();
        int oh = g.outHeight();
        int ow = g.outWidth();
        int[] list = plan.patches();
        for (int p = 0; p < plan.patchCount(); p++) {
            int b = list[3 * p];
            int py0 = list[3 * p + 1] * s;
            int px0 = list[3 * p + 2] * s;
            int n = Math.min(s, ow - px0) * cout;
            for (int oy = 0; oy < s && py0 + oy < oh; oy++) {
                out.buf.put(((b * oh + py0 + oy) * ow + px0) * cout, y.buf, (p * s + oy) * s * cout, n);
            }
        }
    }

    /** Per sample, the mean of the patch rows inside the output, into {@code y (B, C, 1, 1)}. */
    static void patchMeans(DnnlTensor patches, PatchPlan plan, int channels, DnnlTensor y) {
        SpatialGeometry g = plan.geometry();
        int s = g.cellSize();
        double[] sums = new double[plan.batch() * channels];
        long[] counts = new long[plan.batch()];
        int[] list = plan.patches();
        float[] row = new float[s * channels];
        for (int p = 0; p < plan.patchCount(); p++) {
            int b = list[3 * p];
            int rows = Math.min(s, g.outHeight() - list[3 * p + 1] * s);
            int cols = Math.min(s, g.outWidth() - list[3 * p + 2] * s);
            counts[b] += (long) rows * cols;
            for (int oy = 0; oy < rows; oy++) {
                patches.buf.get((p * s + oy) * s * channels, row, 0, cols * channels);
                for (int ox = 0; ox < cols; ox++) {
                    for (int c = 0; c < channels; c++) {
                        sums[b * channels + c] += row[ox * channels + c];
                    }
                }
            }
        }
        float[] out = new float[sums.length];
        for (int b = 0; b < plan.batch(); b++) {
            for (int c = 0; c < channels; c++) {
                out[b * channels + c] = (float) (sums[b * channels + c] / Math.max(counts[b], 1));
            }
        }
        y.buf.put(0, out, 0, out.length);
    }

    /** Multiplies each real patch's rows by its sample's {@code sigmoid(scale[b, :])}, in place. */
    static void scalePatchesSigmoid(DnnlTensor patches, PatchPlan plan, int channels, DnnlTensor scale) {
        float[] logits = scale.values();
        double[] f = new double[logits.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = 1.0 / (1.0 + Math.exp(-logits[i]));
        }
        int area = plan.geometry().cellSize() * plan.geometry().cellSize();
        int[] list = plan.patches();
        float[] v = new float[area * channels];
        for (int p = 0; p < plan.patchCount(); p++) {
            int fb = list[3 * p] * channels;
            patches.buf.get(p * area * channels, v, 0, v.length);
            for (int r = 0; r < area; r++) {
                for (int c = 0; c < channels; c++) {
                    v[r * channels + c] = (float) (v[r * channels + c] * f[fb + c]);
                }
            }
            patches.buf.put(p * area * channels, v, 0, v.length);
        }
    }

    /** The mean of each sample's channels over its computed positions ({@code M2}), into {@code y (B, C, 1, 1)}. */
    static void maskedMean(DnnlTensor h, Nchw hs, SpatialCells cells, DnnlTensor y) {
        int c = hs.channels();
        float[] row = new float[c];
        float[] out = new float[hs.batch() * c];
        for (int b = 0; b < hs.batch(); b++) {
            double[] sum = new double[c];
            long count = 0;
            for (int yy = 0; yy < hs.height(); yy++) {
                for (int xx = 0; xx < hs.width(); xx++) {
                    if (!cells.computed(b, yy, xx)) {
                        continue;
                    }
                    count++;
                    h.buf.get(((b * hs.height() + yy) * hs.width() + xx) * c, row, 0, c);
                    for (int k = 0; k < c; k++) {
                        sum[k] += row[k];
                    }
                }
            }
            for (int k = 0; k < c; k++) {
                out[b * c + k] = (float) (sum[k] / Math.max(count, 1));
            }
        }
        y.buf.put(0, out, 0, out.length);
    }

    /**
     * {@code out = identity} at every element whose cell is closed, for a non-negative identity (where that equals
     * {@code ReLU(identity)}): one buffer-to-buffer copy per run of closed cells of a row with one mask group (a
     * contiguous span of the {@code nhwc} buffer), per run of positions whose group is closed with several.
     */
    static void copyInactive(DnnlTensor identity, Nchw shape, SpatialCells cells, DnnlTensor out) {
        int c = shape.channels();
        int h = shape.height();
        int w = shape.width();
        int groups = cells.groups();
        int groupWidth = c / groups;
        int[] runs = new int[2 * cells.maskSize()];
        for (int b = 0; b < shape.batch(); b++) {
            for (int y = 0; y < h; y++) {
                int row = (b * h + y) * w * c;
                for (int q = 0; q < groups; q++) {
                    int n = closedRuns(cells, b, q, y, w, runs);
                    for (int r = 0; r < n; r++) {
                        int from = runs[2 * r];
                        int to = runs[2 * r + 1];
                        if (groups == 1) {
                            out.buf.put(row + from * c, identity.buf, row + from * c, (to - from) * c);
                            continue;
                        }
                        for (int x = from; x < to; x++) {
                            int at = row + x * c + q * groupWidth;
                            out.buf.put(at, identity.buf, at, groupWidth);
                        }
                    }
                }
            }
        }
    }

    /**
     * Finds each maximal run of closed cells of mask group {@code q} along output row {@code y} of sample {@code b}:
     * writes the output columns it covers, {@code [from, to)} clipped to the width {@code w}, as {@code runs[2 r]} and
     * {@code runs[2 r + 1]}.
     *
     * @param runs at least {@code 2 m} ints
     * @return the number of runs
     */
    static int closedRuns(SpatialCells cells, int b, int q, int y, int w, int[] runs) {
        int s = cells.cellSize();
        int m = cells.maskSize();
        float[] v = cells.cells();
        int base = ((b * cells.groups() + q) * m + y / s) * m;
        int n = 0;
        int j = 0;
        while (j < m && j * s < w) {
            if (v[base + j] != 0f) {
                j++;
                continue;
            }
            int end = j + 1;
            while (end < m && end * s < w && v[base + end] == 0f) {
                end++;
            }
            runs[2 * n] = j * s;
            runs[2 * n + 1] = Math.min(end * s, w);
            n++;
            j = end;
        }
        return n;
    }

    /**
     * {@code out = ReLU(identity)} at every element whose cell is closed: with one mask group, one bulk read, ReLU and
     * bulk write per run of closed cells of a row (a contiguous span of the {@code nhwc} buffer); with several, the
     * rows that hold a closed cell are read, patched per group and written back whole.
     */
    static void fillInactiveRelu(DnnlTensor identity, Nchw shape, SpatialCells cells, DnnlTensor out) {
        int c = shape.channels();
        int h = shape.height();
        int w = shape.width();
        int groups = cells.groups();
        int groupWidth = c / groups;
        float[] in = new float[w * c];
        float[] o = groups == 1 ? null : new float[w * c];
        int[] runs = new int[2 * cells.maskSize()];
        for (int b = 0; b < shape.batch(); b++) {
            for (int y = 0; y < h; y++) {
                int row = (b * h + y) * w * c;
                if (groups == 1) {
                    // each run of closed cells of the row is one contiguous span of the nhwc buffer
                    int count = closedRuns(cells, b, 0, y, w, runs);
                    for (int r = 0; r < count; r++) {
                        int from = runs[2 * r] * c;
                        int n = runs[2 * r + 1] * c - from;
                        identity.buf.get(row + from, in, 0, n);
                        for (int k = 0; k < n; k++) {
                            in[k] = Math.max(in[k], 0f);
                        }
                        out.buf.put(row + from, in, 0, n);
                    }
                    continue;
                }
                boolean any = false;
                for (int x = 0; x < w && !any; x++) {
                    for (int q = 0; q < groups && !any; q++) {
                        any = !cells.kept(b, q * groupWidth, c, y, x);
                    }
                }
                if (!any) {
                    continue;
                }
                identity.buf.get(row, in, 0, w * c);
                out.buf.get(row, o, 0, w * c);
                for (int x = 0; x < w; x++) {
                    for (int q = 0; q < groups; q++) {
                        if (!cells.kept(b, q * groupWidth, c, y, x)) {
                            int from = x * c + q * groupWidth;
                            for (int k = from; k < from + groupWidth; k++) {
                                o[k] = Math.max(in[k], 0f);
                            }
                        }
                    }
                }
                out.buf.put(row, o, 0, w * c);
            }
        }
    }
}
