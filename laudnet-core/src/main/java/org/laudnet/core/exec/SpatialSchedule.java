package org.laudnet.core.exec;

/**
 * How a backend computes conv1 for the windows of the active patches of a spatially gated bottleneck (method
 * section 4): every schedule yields the same windows {@code ReLU(conv1(x))} at the {@code T x T} input positions of
 * each active patch (zero outside the image); they differ in what they compute and move.
 *
 * <ul>
 *   <li>{@link #HALO}: conv1 per window position, halo pixels recomputed by neighbouring patches (one fused
 *       gather + GEMM; the CUDA kernels' schedule).
 *   <li>{@link #WINDOWS}: conv1 densely over the whole map, then the windows gathered from its output.
 *   <li>{@link #M1}: conv1 once on the pixels of the dilated mask {@code M1} (row gather, GEMM), then the windows
 *       gathered from those rows.
 *   <li>{@link #ROWS}: conv1 once on the pixels of {@code M1} read as channels-last rows, conv2 as one matrix product
 *       over an im2col of the active output positions only (nine rows per position, gathered with one index built
 *       once per mask), conv3 as one matrix product over the active rows; no window tensor is materialised.
 * </ul>
 */
public enum SpatialSchedule {
    /** conv1 per window position, halos recomputed. */
    HALO,
    /** Dense conv1, then window gather. */
    WINDOWS,
    /** conv1 on the dilated mask's pixels, then window gather. */
    M1,
    /** conv1 on the dilated mask's rows, conv2 as a GEMM over the im2col of the active positions. */
    ROWS
}
