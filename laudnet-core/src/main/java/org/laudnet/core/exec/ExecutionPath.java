package org.laudnet.core.exec;

/**
 * How a {@link BlockExecutor} computed one call.
 *
 * <ul>
 *   <li>{@link #DENSE}: the folded dense block; gate masks (if not all ones) are applied by multiplication, so the
 *       result equals the masked-dense block. This is also the fallback when sparse execution is predicted slower.
 *   <li>{@link #SKIP}: every gate closed; the output is {@code ReLU(identity)} (the residual branch is not run).
 *   <li>{@link #LAYER}: the residual branch ran only for the samples whose layer gate is open.
 *   <li>{@link #CHANNEL}: the branch ran with weight slices of the active channel groups, per group pattern.
 *   <li>{@link #SPATIAL_WINDOWS}: conv1 ran densely; conv2 (and conv3) ran on the gathered receptive-field windows of
 *       the active patches (channel-sliced in BOTH mode).
 *   <li>{@link #SPATIAL_M1}: conv1 ran only on the pixels of the dilated mask {@code M1} (row gather, GEMM), then as
 *       {@link #SPATIAL_WINDOWS}.
 * </ul>
 */
public enum ExecutionPath {
    /** Folded dense block (masked when gates are partly closed). */
    DENSE,
    /** Residual branch skipped everywhere. */
    SKIP,
    /** Branch on the open samples only. */
    LAYER,
    /** Branch with channel-group weight slices. */
    CHANNEL,
    /** Dense conv1, then windows of the active patches. */
    SPATIAL_WINDOWS,
    /** conv1 on the dilated mask's pixels, then windows of the active patches. */
    SPATIAL_M1;

    /** Returns whether this path is one of the spatial gather-conv-scatter schedules. */
    public boolean isSpatial() {
        return this == SPATIAL_WINDOWS || this == SPATIAL_M1;
    }
}
