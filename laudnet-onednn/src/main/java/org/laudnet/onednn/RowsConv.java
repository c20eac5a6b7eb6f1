package org.laudnet.onednn;

import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.plan.FoldedConv;

/**
 * conv1 and conv2 of the {@link org.laudnet.core.exec.SpatialSchedule#ROWS ROWS} schedule on the oneDNN backend, for
 * {@link OneDnnKernels#windowsConv1} and {@link OneDnnKernels#patchConv3x3Relu}. Both products run as oneDNN 1x1
 * convolution primitives over a {@code (1, I, rows, 1)} map of contiguous rows ({@link OneDnnKernels#convRows}), with
 * bias and ReLU fused: on these shapes that measured faster than the matmul primitive (and much faster than a
 * convolution with the rows as its batch).
 *
 * <ul>
 *   <li>conv1 once on the pixels of the dilated mask {@code M1}: their {@code nhwc} input rows gathered into one
 *       contiguous buffer (bulk copies of raster runs; the input rows themselves when {@code M1} is every pixel), one
 *       product, then a zero row appended. The result,
 *       {@code (1, C1, rows, 1)} with {@code rows = }{@link RowsIndex#m1Capacity()}, is marked as M1 rows by its width
 *       1 (a window tensor is {@code T x T}, {@code T >= 3}).
 *   <li>conv2, ungrouped: the im2col of the active output positions, {@code (P S S, 9 C1)} with rows
 *       {@code (p, sy, sx)} and taps {@code (dy, dx)}, built by bulk row copies from the M1 rows (the zero row outside
 *       the image, conv2's stride in the index), then one product with conv2's {@code (9 C1, C2)} matrix
 *       ({@link Conv2Matrices}). Its rows are the patch outputs {@code (Pb, C2, S, S)} that
 *       {@link OneDnnKernels#patchMeans}, {@link OneDnnKernels#scalePatchesSigmoid} and
 *       {@link OneDnnKernels#patchConv1x1Add} read.
 *   <li>conv2, grouped (RegNetY): the {@code T x T} windows gathered from the M1 rows, then the window convolution of
 *       the other schedules.
 * </ul>
 *
 * <p>Row counts are bucketed ({@link RowsIndex#rowBucket}, {@link OneDnnKernels#bucket}) so that the kernels' primitive
 * cache stays small; the extra rows are computed on whatever the buffers hold and never read. Stateless; each call
 * runs on the calling executor's kernels (not thread-safe, like them).
 */
final class RowsConv {

    private RowsConv() {}

    /**
     * conv1 on the M1 pixels.
     *
     * @param k the kernels
     * @param x the block input, {@code nhwc}
     * @param idx the plan's index
     * @param w conv1, an ungrouped 1x1 convolution (checked by the caller)
     * @return the M1 rows and the zero row, {@code (1, C1, m1Capacity, 1)}
     */
    static DnnlTensor conv1(OneDnnKernels k, DnnlTensor x, RowsIndex idx, OneDnnWeights w) {
        int count = idx.m1Count();
        int cap = idx.m1Capacity();
        int cin = w.spec().inChannels();
        int c1 = w.spec().outChannels();
        Nchw ms = new Nchw(1, c1, cap, 1);
        int rows = conv1Rows(count, idx.pixels());
        DnnlTensor m1;
        if (idx.full()) {
            m1 = k.convRows(x, rows, w, true, ms); // M1 is every pixel: the input rows in place
        } else {
            Nchw gs = new Nchw(1, cin, cap, 1);
            DnnlTensor gathered = k.alloc(gs, gs.size());
            idx.gatherM1(x.buf, gathered.buf, cin);
            m1 = k.convRows(gathered, rows, w, true, ms);
            k.release(gathered);
        }
        m1.buf.put(count * c1, new float[c1], 0, c1);
        return m1;
    }

    /**
     * Returns the rows conv1's product runs on for {@code m1Count} M1 pixels out of {@code pixels} input pixels: the
     * pixels themselves when M1 is every pixel, else the M1 rows and the zero row rounded up to a
     * {@link RowsIndex#rowBucket row bucket} ({@link RowsIndex#m1Capacity()}).
     *
     * @param m1Count {@code K}, at least 1
     * @param pixels the input pixels of the batch
     * @return the row count
     */
    static int conv1Rows(int m1Count, int pixels) {
        return m1Count == pixels ? pixels : RowsIndex.rowBucket(m1Count + 1);
    }

    /**
     * Returns the rows conv2's product (an ungrouped conv2) runs on for {@code patches} active patches of
     * {@code s x s} positions: the positions rounded up to a {@link RowsIndex#rowBucket row bucket}, at most those of
     * the {@link OneDnnKernels#bucket patch bucket} (the output's rows).
     *
     * @param patches {@code P}, at least 1
     * @param s the patch side {@code S}
     * @return the row count
     */
    static int conv2Rows(int patches, int s) {
        return Math.min(OneDnnKernels.bucket(patches) * s * s, RowsIndex.rowBucket(patches * s * s));
    }

    /**
     * conv2 on the M1 rows.
     *
     * @param k the kernels
     * @param m1 from {@link #conv1}
     * @param plan the active patches
     * @param idx the plan's index
     * @param w conv2, a 3x3 convolution of the plan's stride (checked by the caller)
     * @return the patch outputs {@code (Pb, C2, S, S)}
     * @throws IllegalArgumentException if {@code m1} is not the M1 rows of this plan and conv2's input channels
     */
    static DnnlTensor conv2(OneDnnKernels k, DnnlTensor m1, PatchPlan plan, RowsIndex idx, OneDnnWeights w) {
        FoldedConv c = w.spec();
        int c1 = c.inChannels();
        OneDnnKernels.requireTensor("windows (M1 rows)", m1, new Nchw(1, c1, idx.m1Capacity(), 1));
        int pb = OneDnnKernels.bucket(plan.patchCount());
        int s = plan.geometry().cellSize();
        Nchw os = new Nchw(pb, c.outChannels(), s, s);
        if (c.groups() == 1) {
            // the product's rows: the active positions, bucketed (at most the patch bucket's positions)
            int rows = conv2Rows(plan.patchCount(), s);
            Nchw cs = new Nchw(1, 9 * c1, rows, 1);
            DnnlTensor cols = k.alloc(cs, cs.size());
            idx.gatherIm2col(m1.buf, cols.buf, c1);
            OneDnnWeights matrix = k.isTemporary(w) ? (OneDnnWeights) k.temporary(Conv2Matrices.matrixOf(c))
                    : Conv2Matrices.shared(w, k.backend);
            DnnlTensor y = k.convRows(cols, rows, matrix, true, os);
            k.release(cols);
            return y;
        }
        int t = plan.windowSize();
        Nchw ws = new Nchw(pb, c1, t, t);
        DnnlTensor windows = k.alloc(ws, ws.size());
        idx.gatherWindows(m1.buf, windows.buf, c1);
        DnnlTensor y = k.convolve(windows, w, SparseLayouts.windowsConv2(c, pb, t), null, os, os.size());
        k.release(windows);
        return y;
    }
}
