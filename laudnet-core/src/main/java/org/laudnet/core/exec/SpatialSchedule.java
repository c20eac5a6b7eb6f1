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
 * </ul>
 */
public enum SpatialSchedule {
    /** conv1 per window position, halos recomputed. */
    HALO,
    /** Dense conv1, then window gather. */
    WINDOWS,
    /** conv1 on the dilated mask's pixels, then window gather. */
    M1
}
