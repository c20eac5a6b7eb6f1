package org.laudnet.core.exec;

/**
 * Which path a {@link BlockExecutor} may take.
 *
 * <ul>
 *   <li>{@link #AUTO}: pick per call the cheaper of the dense path and the best sparse schedule, by the executor's
 *       measured cost model at the call's actual densities.
 *   <li>{@link #DENSE}: always the (masked) dense path.
 *   <li>{@link #SPARSE}: always the sparse path of the block's mode (spatial schedule by the cost model when it has
 *       been calibrated for the batch size, otherwise {@link ExecutionPath#SPATIAL_WINDOWS}).
 *   <li>{@link #SPATIAL_WINDOWS} and {@link #SPATIAL_M1}: a spatial schedule, forced (SPATIAL and BOTH modes).
 * </ul>
 *
 * A block without gates always runs dense; a call whose gates are all closed always skips the branch, whatever the
 * policy (both give the identical result with the least work).
 */
public enum PathPolicy {
    /** Choose by the cost model. */
    AUTO,
    /** Force the dense path. */
    DENSE,
    /** Force the sparse path of the mode. */
    SPARSE,
    /** Force the dense-conv1 window schedule. */
    SPATIAL_WINDOWS,
    /** Force the conv1-on-M1 schedule. */
    SPATIAL_M1
}
