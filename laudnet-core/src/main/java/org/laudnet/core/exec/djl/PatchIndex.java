package org.laudnet.core.exec.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialGeometry;

/**
 * The index arrays of one {@link PatchPlan} that the DJL patch primitives gather and scatter with, built on the host
 * (plain loops) and uploaded once, each when first needed. Rows are counted in the channels-last layouts of
 * {@link DjlPatchOps}:
 *
 * <ul>
 *   <li>dense conv1 rows {@code (B Hin Win, C1)}, row {@code (b Hin + y) Win + x}, plus a zero row at {@code B Hin Win};
 *   <li>window rows {@code (P T T, C1)}, row {@code (p T + ty) T + tx} = input pixel
 *       {@code (origin(i) + ty, origin(j) + tx)} of patch {@code p = (b, i, j)};
 *   <li>patch output rows {@code (P S S, C2)}, row {@code (p S + sy) S + sx} = output pixel {@code (i S + sy, j S + sx)};
 *   <li>accumulator rows {@code (B Hout Wout, Cout)}, row {@code (b Hout + y) Wout + x};
 *   <li>M1 rows {@code (K, C1)} (ROWS schedule): the conv1 output at the {@code K} distinct input pixels the active
 *       patches read, in raster order (sample, then pixel), plus a zero row at {@code K};
 *   <li>im2col rows {@code (P S S 9, C1)} (ROWS schedule): row {@code ((p S + sy) S + sx) 9 + 3 dy + dx} is the M1 row
 *       of input pixel {@code (origin(i) + s sy + dy, origin(j) + s sx + dx)}, or the zero row outside the image.
 * </ul>
 *
 * <p>Not thread-safe: owned by one {@link DjlKernels}; the arrays live in its root manager until {@link #close()}.
 */
final class PatchIndex implements AutoCloseable {

    private final NDManager manager;
    private final PatchPlan plan;
    private final int batch;
    private final SpatialGeometry geometry;
    private final int[] patches;
    private final int count;
    private final boolean needsZeroRow;
    private final boolean partial;
    private NDArray windows;
    private NDArray m1Samples;
    private NDArray m1Pixels;
    private NDArray m1Windows;
    private NDArray m1Rows;
    private NDArray im2col;
    private int[] m1RowOf;
    private int m1Count;
    private NDArray outRows;
    private NDArray validRows;
    private NDArray samples;
    private NDArray meanMatrix;
    private NDArray validity;

    /**
     * Creates the (still empty) index of a plan; arrays are built and uploaded when first asked for.
     *
     * @param manager owner of the uploaded arrays
     * @param plan the plan
     */
    PatchIndex(NDManager manager, PatchPlan plan) {
        this.manager = manager;
        this.plan = plan;
        this.batch = plan.batch();
        this.geometry = plan.geometry();
        this.patches = plan.patches();
        this.count = patches.length / 3;
        boolean outside = false;
        boolean cut = false;
        int t = geometry.windowSize();
        int s = geometry.cellSize();
        for (int p = 0; p < count; p++) {
            int oy = geometry.windowOrigin(patches[3 * p + 1]);
            int ox = geometry.windowOrigin(patches[3 * p + 2]);
            outside |= oy < 0 || ox < 0 || oy + t > geometry.inHeight() || ox + t > geometry.inWidth();
            cut |= (patches[3 * p + 1] + 1) * s > geometry.outHeight() || (patches[3 * p + 2] + 1) * s > geometry.outWidth();
        }
        this.needsZeroRow = outside;
        this.partial = cut;
    }

    /** Returns whether some window reaches outside the input image (its rows then read the zero row). */
    boolean needsZeroRow() {
        return needsZeroRow;
    }

    /**
     * WINDOWS: for each window row, its dense conv1 row, or {@code B Hin Win} (the appended zero row) outside the
     * image; {@code (P T T)} int64.
     */
    NDArray windows() {
        if (windows == null) {
            int h = geometry.inHeight();
            int w = geometry.inWidth();
            int t = geometry.windowSize();
            long zero = (long) batch * h * w;
            long[] idx = new long[count * t * t];
            int q = 0;
            for (int p = 0; p < count; p++) {
                int b = patches[3 * p];
                int oy = geometry.windowOrigin(patches[3 * p + 1]);
                int ox = geometry.windowOrigin(patches[3 * p + 2]);
                for (int ty = 0; ty < t; ty++) {
                    int y = oy + ty;
                    for (int tx = 0; tx < t; tx++) {
                        int x = ox + tx;
                        idx[q++] = y < 0 || y >= h || x < 0 || x >= w ? zero : ((long) b * h + y) * w + x;
                    }
                }
            }
            windows = manager.create(idx);
        }
        return windows;
    }

    /** M1: the sample of each distinct input pixel the windows touch (the dilated mask), in raster order; int64. */
    NDArray m1Samples() {
        buildM1();
        return m1Samples;
    }

    /** M1: the pixel {@code y Win + x} of each distinct input pixel, aligned with {@link #m1Samples()}; int64. */
    NDArray m1Pixels() {
        buildM1();
        return m1Pixels;
    }

    /**
     * M1: for each window row, its row among the M1 pixels, or {@code K} (the appended zero row, {@code K} the number
     * of M1 pixels) outside the image; {@code (P T T)} int64.
     */
    NDArray m1Windows() {
        buildM1();
        return m1Windows;
    }

    /** ROWS: the channels-last input row {@code b Hin Win + y Win + x} of each M1 pixel, in raster order; int64. */
    NDArray m1Rows() {
        if (m1Rows == null) {
            int[] rowOf = m1RowOf();
            long[] r = new long[m1Count];
            for (int i = 0; i < rowOf.length; i++) {
                if (rowOf[i] >= 0) {
                    r[rowOf[i]] = i;
                }
            }
            m1Rows = manager.create(r);
        }
        return m1Rows;
    }

    /** ROWS: the number {@code K} of M1 pixels (the zero row's index). */
    int m1Count() {
        m1RowOf();
        return m1Count;
    }

    /**
     * ROWS: for each active output position and 3x3 tap, its M1 row or {@code K} (the zero row) outside the image;
     * {@code (P S S 9)} int64, position-major then tap {@code 3 dy + dx} (conv2's stride applied).
     */
    NDArray im2col() {
        if (im2col == null) {
            int[] rowOf = m1RowOf();
            int h = geometry.inHeight();
            int w = geometry.inWidth();
            int s = geometry.cellSize();
            int st = geometry.stride();
            long[] idx = new long[count * s * s * 9];
            int q = 0;
            for (int p = 0; p < count; p++) {
                int base = patches[3 * p] * h * w;
                int oy = geometry.windowOrigin(patches[3 * p + 1]);
                int ox = geometry.windowOrigin(patches[3 * p + 2]);
                for (int sy = 0; sy < s; sy++) {
                    for (int sx = 0; sx < s; sx++) {
                        for (int dy = 0; dy < 3; dy++) {
                            int y = oy + st * sy + dy;
                            for (int dx = 0; dx < 3; dx++) {
                                int x = ox + st * sx + dx;
                                idx[q++] = y < 0 || y >= h || x < 0 || x >= w ? m1Count : rowOf[base + y * w + x];
                            }
                        }
                    }
                }
            }
            im2col = manager.create(idx);
        }
        return im2col;
    }

    /** The M1 row of every input pixel ({@link PatchPlan#m1RowMap}); sets the count. */
    private int[] m1RowOf() {
        if (m1RowOf == null) {
            int[] rowOf = plan.m1RowMap();
            int n = 0;
            for (int r : rowOf) {
                n += r >= 0 ? 1 : 0;
            }
            m1Count = n;
            m1RowOf = rowOf;
        }
        return m1RowOf;
    }

    private void buildM1() {
        if (m1Windows != null) {
            return;
        }
        int h = geometry.inHeight();
        int w = geometry.inWidth();
        int t = geometry.windowSize();
        int hw = h * w;
        int[] rowOf = m1RowOf();
        int k = m1Count;
        long[] bs = new long[k];
        long[] px = new long[k];
        for (int r = 0; r < rowOf.length; r++) {
            if (rowOf[r] >= 0) {
                bs[rowOf[r]] = r / hw;
                px[rowOf[r]] = r % hw;
            }
        }
        long[] idx = new long[count * t * t];
        int q = 0;
        for (int p = 0; p < count; p++) {
            int base = patches[3 * p] * hw;
            int oy = geometry.windowOrigin(patches[3 * p + 1]);
            int ox = geometry.windowOrigin(patches[3 * p + 2]);
            for (int ty = 0; ty < t; ty++) {
                int y = oy + ty;
                for (int tx = 0; tx < t; tx++) {
                    int x = ox + tx;
                    idx[q++] = y < 0 || y >= h || x < 0 || x >= w ? k : rowOf[base + y * w + x];
                }
            }
        }
        m1Samples = manager.create(bs);
        m1Pixels = manager.create(px);
        m1Windows = manager.create(idx);
    }

    /** The accumulator row of every patch output position inside the image, in patch-row order; int64. */
    NDArray outRows() {
        buildRows();
        return outRows;
    }

    /**
     * The patch output rows that lie inside the image, aligned with {@link #outRows()}; null when every patch is whole
     * (then patch row {@code r} goes to {@code outRows[r]}).
     */
    NDArray validRows() {
        buildRows();
        return validRows;
    }

    private void buildRows() {
        if (outRows != null) {
            return;
        }
        int s = geometry.cellSize();
        int ho = geometry.outHeight();
        int wo = geometry.outWidth();
        long[] out = new long[count * s * s];
        long[] valid = new long[count * s * s];
        int n = 0;
        for (int p = 0; p < count; p++) {
            int b = patches[3 * p];
            int y0 = patches[3 * p + 1] * s;
            int x0 = patches[3 * p + 2] * s;
            for (int sy = 0; sy < s; sy++) {
                for (int sx = 0; sx < s; sx++) {
                    int y = y0 + sy;
                    int x = x0 + sx;
                    if (y < ho && x < wo) {
                        out[n] = ((long) b * ho + y) * wo + x;
                        valid[n] = ((long) p * s + sy) * s + sx;
                        n++;
                    }
                }
            }
        }
        outRows = manager.create(n == out.length ? out : Arrays.copyOf(out, n));
        validRows = n == out.length ? null : manager.create(Arrays.copyOf(valid, n));
    }

    /** The sample of each patch, {@code (P)} int64. */
    NDArray samples() {
        if (samples == null) {
            long[] s = new long[count];
            for (int p = 0; p < count; p++) {
                s[p] = patches[3 * p];
            }
            samples = manager.create(s);
        }
        return samples;
    }

    /**
     * The per-sample averaging matrix {@code (B, P)}: {@code 1 / max(n_b, 1)} where patch {@code p} belongs to sample
     * {@code b}, {@code n_b} the sample's patch output positions inside the image; 0 elsewhere.
     */
    NDArray meanMatrix() {
        if (meanMatrix == null) {
            int s = geometry.cellSize();
            long[] positions = new long[batch];
            for (int p = 0; p < count; p++) {
                positions[patches[3 * p]] += (long) inside(patches[3 * p + 1], s, geometry.outHeight())
                        * inside(patches[3 * p + 2], s, geometry.outWidth());
            }
            float[] a = new float[batch * count];
            for (int p = 0; p < count; p++) {
                int b = patches[3 * p];
                a[b * count + p] = (float) (1.0 / Math.max(positions[b], 1));
            }
            meanMatrix = manager.create(FloatBuffer.wrap(a), new Shape(batch, count));
        }
        return meanMatrix;
    }

    /** Output pixels of cell {@code i} inside an output side {@code out}. */
    private static int inside(int i, int s, int out) {
        return Math.min(s, out - i * s);
    }

    /** 1 at each patch output position inside the image, 0 outside, {@code (P, 1, S, S)}; null without cut patches. */
    NDArray validity() {
        if (!partial) {
            return null;
        }
        if (validity == null) {
            int s = geometry.cellSize();
            float[] v = new float[count * s * s];
            for (int p = 0; p < count; p++) {
                int rows = inside(patches[3 * p + 1], s, geometry.outHeight());
                int cols = inside(patches[3 * p + 2], s, geometry.outWidth());
                for (int sy = 0; sy < rows; sy++) {
                    for (int sx = 0; sx < cols; sx++) {
                        v[(p * s + sy) * s + sx] = 1f;
                    }
                }
            }
            validity = manager.create(FloatBuffer.wrap(v), new Shape(count, 1, s, s));
        }
        return validity;
    }

    /** Releases the uploaded arrays. */
    @Override
    public void close() {
        for (NDArray a : new NDArray[] {windows, m1Samples, m1Pixels, m1Windows, m1Rows, im2col, outRows, validRows,
            samples, meanMatrix, validity}) {
            if (a != null) {
                a.close();
            }
        }
        windows = null;
        m1Samples = null;
        m1Pixels = null;
        m1Windows = null;
        m1Rows = null;
        im2col = null;
        outRows = null;
        validRows = null;
        samples = null;
        meanMatrix = null;
        validity = null;
    }
}
