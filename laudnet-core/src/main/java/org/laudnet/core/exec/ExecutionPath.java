package org.laudnet.core.exec;

import java.util.List;
import java.util.Set;
import org.laudnet.core.plan.BlockPlan;

/**
 * How an executor computed one block for one call (method section 4).
 *
 * <ul>
 *   <li>{@link #DENSE}: the whole branch, gate masks (if not all ones) applied by multiplication, so the result equals
 *       the masked-dense block; the static block and the fallback when sparse execution is predicted slower.
 *   <li>{@link #SKIP}: every gate closed; the output is {@code ReLU(identity)} (the branch is not run).
 *   <li>{@link #LAYER}: the branch ran only for the samples whose layer gate is open.
 *   <li>{@link #CHANNEL}: the branch ran with weight slices of the active channel groups, per group pattern.
 *   <li>{@link #CHANNEL_UNION}: the branch ran on few sub-batches, each with the weight slices of the union of its
 *       samples' active groups, every sample's closed groups then masked by a per-sample channel multiplication.
 *   <li>{@link #SPATIAL_HALO}, {@link #SPATIAL_WINDOWS}, {@link #SPATIAL_M1}, {@link #SPATIAL_ROWS}: conv2 and conv3
 *       ran on the active
 *       patches only, conv1's windows by the {@link SpatialSchedule} of the same name (channel-sliced in BOTH mode).
 * </ul>
 */
public enum ExecutionPath {
    /** Whole branch (masked when gates are partly closed). */
    DENSE,
    /** Branch skipped everywhere. */
    SKIP,
    /** Branch on the open samples only. */
    LAYER,
    /** Branch with channel-group weight slices. */
    CHANNEL,
    /** Branch with the weight slices of unions of channel patterns, masked per sample. */
    CHANNEL_UNION,
    /** Patches, conv1 per window position (halos recomputed). */
    SPATIAL_HALO,
    /** Patches, dense conv1 then window gather. */
    SPATIAL_WINDOWS,
    /** Patches, conv1 on the dilated mask's pixels then window gather. */
    SPATIAL_M1,
    /** Patches, conv1 on the dilated mask's rows, conv2 as a GEMM over the im2col of the active positions. */
    SPATIAL_ROWS;

    /** Returns whether this path is one of the spatial gather-conv-scatter schedules. */
    public boolean isSpatial() {
        return this == SPATIAL_HALO || this == SPATIAL_WINDOWS || this == SPATIAL_M1 || this == SPATIAL_ROWS;
    }

    /**
     * Returns the spatial schedule of a spatial path.
     *
     * @return the schedule
     * @throws IllegalStateException for a path that is not spatial
     */
    public SpatialSchedule schedule() {
        return switch (this) {
            case SPATIAL_HALO -> SpatialSchedule.HALO;
            case SPATIAL_WINDOWS -> SpatialSchedule.WINDOWS;
            case SPATIAL_M1 -> SpatialSchedule.M1;
            case SPATIAL_ROWS -> SpatialSchedule.ROWS;
            default -> throw new IllegalStateException(this + " is not a spatial path");
        };
    }

    /**
     * Returns the sparse paths a block may take on a backend, in preference order: the engine's rule (a SPATIAL or
     * BOTH block with gather-conv-scatter paths: the backend's spatial schedules; a LAYER block with one mask group:
     * {@link #LAYER}; a CHANNEL block whose patterns run with weight slices: {@link #CHANNEL} and
     * {@link #CHANNEL_UNION}). A block may further run {@link #DENSE} or {@link #SKIP} on any call. For backends that
     * prepare a plan's weights ahead of use.
     *
     * @param plan the block
     * @param schedules the backend's spatial schedules
     * @return the block's sparse paths (empty: the block always runs dense)
     */
    public static List<ExecutionPath> candidates(BlockPlan plan, Set<SpatialSchedule> schedules) {
        if (plan == null || schedules == null) {
            throw new IllegalArgumentException("plan and schedules must not be null");
        }
        return List.copyOf(PathSelector.candidates(plan, schedules));
    }

    /**
     * Returns the spatial path of a schedule.
     *
     * @param schedule the schedule
     * @return the path
     */
    public static ExecutionPath spatial(SpatialSchedule schedule) {
        return switch (schedule) {
            case HALO -> SPATIAL_HALO;
            case WINDOWS -> SPATIAL_WINDOWS;
            case M1 -> SPATIAL_M1;
            case ROWS -> SPATIAL_ROWS;
        };
    }
}
