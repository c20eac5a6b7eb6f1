package org.laudnet.core.exec;

/**
 * Which path an executor may take for a gated block.
 *
 * <ul>
 *   <li>{@link #AUTO}: per call the cheaper of the dense path and the best sparse path, by the model's measured cost
 *       models at the call's actual densities (calibrated once per model and batch size, see
 *       {@code PlanRuntime.calibrate}).
 *   <li>{@link #DENSE}: always the (masked) dense path.
 *   <li>{@link #SPARSE}: always the sparse path of the block's mode (the spatial schedule by the cost models when
 *       calibrated for the batch size, otherwise the backend's first schedule).
 *   <li>{@link #SPATIAL_HALO}, {@link #SPATIAL_WINDOWS}, {@link #SPATIAL_M1}, {@link #SPATIAL_ROWS}: a spatial
 *       schedule, forced for SPATIAL
 *       and BOTH bottlenecks that can run sparse (the backend must support the schedule); other gated blocks behave as
 *       under {@link #SPARSE}.
 *   <li>{@link #CHANNEL}, {@link #CHANNEL_UNION}: a channel path, forced for CHANNEL blocks that can run with weight
 *       slices (one sub-batch per channel pattern; or the union clusters, by the cost models' merge rule when
 *       calibrated, else the whole batch as one union); other gated blocks behave as under {@link #SPARSE}.
 * </ul>
 *
 * A block without gates always runs dense; a call whose gates are all closed always skips the branch, whatever the
 * policy (both give the identical result with the least work). Blocks whose gates cannot run sparse (several spatial
 * mask groups, channel groups that split a convolution group, a spatial gate on a basic block or on a bottleneck that
 * strides its 1x1) run dense under every policy.
 */
public enum PathPolicy {
    /** Choose by the cost model. */
    AUTO,
    /** Force the dense path. */
    DENSE,
    /** Force the sparse path of the mode. */
    SPARSE,
    /** Force the halo schedule. */
    SPATIAL_HALO,
    /** Force the dense-conv1 window schedule. */
    SPATIAL_WINDOWS,
    /** Force the conv1-on-M1 schedule. */
    SPATIAL_M1,
    /** Force the row-GEMM schedule (conv1 on M1's rows, conv2 on the im2col of the active positions). */
    SPATIAL_ROWS,
    /** Force the per-pattern channel path. */
    CHANNEL,
    /** Force the channel path on unions of patterns. */
    CHANNEL_UNION;

    /** Returns the forced spatial or channel path, or null for AUTO, DENSE and SPARSE. */
    ExecutionPath forced() {
        return switch (this) {
            case CHANNEL -> ExecutionPath.CHANNEL;
            case CHANNEL_UNION -> ExecutionPath.CHANNEL_UNION;
            case SPATIAL_HALO -> ExecutionPath.SPATIAL_HALO;
            case SPATIAL_WINDOWS -> ExecutionPath.SPATIAL_WINDOWS;
            case SPATIAL_M1 -> ExecutionPath.SPATIAL_M1;
            case SPATIAL_ROWS -> ExecutionPath.SPATIAL_ROWS;
            default -> null;
        };
    }
}
