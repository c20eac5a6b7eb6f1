package org.laudnet.core.latency.cpu;

import java.util.List;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.SpatialSchedule;

/**
 * The fitted terms of a {@link CpuLatencyProfile}: one linear cost {@code t = a + sum_k b_k f_k} (ms) per operator or
 * execution path of the CPU inference engine, with the work features {@code f_k} it uses (see {@link BlockWork} for
 * the block features).
 *
 * <ul>
 *   <li>{@link #CONV}: one dense convolution of the backend's kernels (the ReLU fused, as the stem; a fully connected
 *       layer without); feature {@code macs} = {@code N * Cout * Cin/g * k^2 * Ho * Wo}.
 *   <li>{@link #POOL}: one pooling of the backend's kernels (max pooling, global mean); feature {@code elements} =
 *       {@code N * C * Hi * Wi} (input elements read).
 *   <li>{@link #SPATIAL_MASKER}: the spatial (or layer) gate of the executor (average pooling to the mask, a
 *       {@code 1x1} convolution to keep/skip logits, host read-back); feature {@code inputElements} = {@code N * Cin
 *       * Hin * Win}.
 *   <li>{@link #CHANNEL_MASKER}: the channel gate (global pooling and its MLP, host read-back); feature
 *       {@code inputElements}.
 *   <li>{@link #SKIP}: the branch skipped everywhere (identity or downsample, then ReLU).
 *   <li>{@link #MASKED_DENSE}: the folded dense block with the partly open masks applied by multiplication (the
 *       executor's fallback; measured separately because the masked dense path runs markedly slower than the static
 *       block on this executor).
 *   <li>{@link #DENSE}: the folded dense block without masks (the static block; every gate open).
 *   <li>{@link #LAYER}: the branch on the open samples only.
 *   <li>{@link #CHANNEL}: the branch with channel-sliced weights, once per channel pattern.
 *   <li>{@link #CHANNEL_UNION}: the branch once on the whole batch with the weight slices of the union of the
 *       samples' channel patterns, each sample's closed groups masked by a per-sample channel multiplication.
 *   <li>{@link #SPATIAL_HALO}: conv1 per window position of the active patches (halos recomputed), conv2/conv3 on
 *       the patches, scatter.
 *   <li>{@link #SPATIAL_WINDOWS}: dense conv1, gathered windows of the active patches, conv2/conv3 on them, scatter.
 *   <li>{@link #SPATIAL_M1}: conv1 on the dilated mask's pixels only, then as {@link #SPATIAL_WINDOWS}.
 *   <li>{@link #SPATIAL_ROWS}: conv1 on the dilated mask's channels-last rows, conv2 as one matrix product over the
 *       im2col of the active output positions, conv3 on the active rows, scatter.
 * </ul>
 *
 * <p>The four spatial terms are the backend's spatial schedules ({@link #isSpatialSchedule()}); a profile holds those
 * of the backend it was measured on (DJL: WINDOWS, M1, ROWS; oneDNN: HALO, WINDOWS, ROWS) and every other term.
 */
public enum CpuTerm {
    /** Dense convolution. */
    CONV(List.of("macs")),
    /** Pooling. */
    POOL(List.of("elements")),
    /** Spatial or layer masker. */
    SPATIAL_MASKER(List.of("inputElements")),
    /** Channel masker. */
    CHANNEL_MASKER(List.of("inputElements")),
    /** Branch skipped. */
    SKIP(List.of(BlockWork.MACS_1X1, BlockWork.WEIGHTS, BlockWork.MAP_ELEMENTS)),
    /** Folded dense block, masks applied by multiplication (the executor's fallback for a partly open gate). */
    MASKED_DENSE(List.of(BlockWork.MACS_1X1, BlockWork.MACS_3X3, BlockWork.WEIGHTS, BlockWork.MAP_ELEMENTS)),
    /** Folded dense block without masks. */
    DENSE(List.of(BlockWork.MACS_1X1, BlockWork.MACS_3X3, BlockWork.WEIGHTS, BlockWork.MAP_ELEMENTS)),
    /** Branch on the open samples. */
    LAYER(List.of(BlockWork.MACS_1X1, BlockWork.MACS_3X3, BlockWork.WEIGHTS, BlockWork.MOVED,
            BlockWork.MAP_ELEMENTS)),
    /** Channel-sliced branch per pattern. */
    CHANNEL(List.of(BlockWork.MACS_1X1, BlockWork.MACS_3X3, BlockWork.WEIGHTS, BlockWork.MOVED,
            BlockWork.MAP_ELEMENTS,
            BlockWork.PATTERNS)),
    /** Branch with the union's weight slices on the whole batch, masked per sample. */
    CHANNEL_UNION(List.of(BlockWork.MACS_1X1, BlockWork.MACS_3X3, BlockWork.WEIGHTS, BlockWork.MOVED,
            BlockWork.MAP_ELEMENTS)),
    /** conv1 per window position (halos recomputed), conv2/conv3 on the active patches. */
    SPATIAL_HALO(List.of(BlockWork.MACS_1X1, BlockWork.MACS_3X3, BlockWork.WEIGHTS, BlockWork.MOVED,
            BlockWork.MAP_ELEMENTS,
            BlockWork.PATCHES, BlockWork.PATTERNS)),
    /** Dense conv1, windows of the active patches. */
    SPATIAL_WINDOWS(List.of(BlockWork.MACS_1X1, BlockWork.MACS_3X3, BlockWork.WEIGHTS, BlockWork.MOVED,
            BlockWork.MAP_ELEMENTS,
            BlockWork.PATCHES, BlockWork.PATTERNS)),
    /** conv1 on the dilated mask, windows of the active patches. */
    SPATIAL_M1(List.of(BlockWork.MACS_1X1, BlockWork.MACS_3X3, BlockWork.WEIGHTS, BlockWork.MOVED,
            BlockWork.MAP_ELEMENTS,
            BlockWork.PATCHES, BlockWork.PATTERNS)),
    /** conv1 on the dilated mask's rows, conv2 on the im2col of the active positions. */
    SPATIAL_ROWS(List.of(BlockWork.MACS_1X1, BlockWork.MACS_3X3, BlockWork.WEIGHTS, BlockWork.MOVED,
            BlockWork.MAP_ELEMENTS,
            BlockWork.PATCHES, BlockWork.PATTERNS));

    private final List<String> features;

    CpuTerm(List<String> features) {
        this.features = features;
    }

    /** Returns the names of the term's features, in coefficient order (the intercept excluded). */
    public List<String> features() {
        return features;
    }

    /**
     * Returns whether this term times one of the backends' spatial schedules ({@link #SPATIAL_HALO},
     * {@link #SPATIAL_WINDOWS}, {@link #SPATIAL_M1}, {@link #SPATIAL_ROWS}): a profile holds only those of its backend.
     *
     * @return whether this is a spatial schedule term
     */
    public boolean isSpatialSchedule() {
        return isBlockPath() && ExecutionPath.valueOf(executionPath()).isSpatial();
    }

    /**
     * Returns the spatial schedule this term times.
     *
     * @return the schedule
     * @throws IllegalStateException for a term that is not a spatial schedule
     */
    public SpatialSchedule schedule() {
        if (!isSpatialSchedule()) {
            throw new IllegalStateException(this + " is not a spatial schedule term");
        }
        return ExecutionPath.valueOf(executionPath()).schedule();
    }

    /**
     * Returns the term of a spatial schedule.
     *
     * @param schedule the schedule
     * @return its term
     */
    public static CpuTerm spatial(SpatialSchedule schedule) {
        return switch (schedule) {
            case HALO -> SPATIAL_HALO;
            case WINDOWS -> SPATIAL_WINDOWS;
            case M1 -> SPATIAL_M1;
            case ROWS -> SPATIAL_ROWS;
        };
    }

    /** Returns whether this term is a whole-block execution path (its features come from {@link BlockWork}). */
    public boolean isBlockPath() {
        return ordinal() >= SKIP.ordinal();
    }

    /**
     * Returns the name of the executor's {@code ExecutionPath} this term times ({@code DENSE} for both dense terms;
     * the term's own name for the other block paths).
     *
     * @return the path name
     * @throws IllegalStateException for an operator term
     */
    public String executionPath() {
        if (!isBlockPath()) {
            throw new IllegalStateException(this + " is an operator, not an execution path");
        }
        return this == MASKED_DENSE ? DENSE.name() : name();
    }
}
