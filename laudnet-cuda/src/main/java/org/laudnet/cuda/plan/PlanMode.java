package org.laudnet.cuda.plan;

/**
 * How a block of a {@link LaudPlan} is gated (method sections 1 and 4).
 *
 * <ul>
 *   <li>{@link #DENSE}: static block, no gate.
 *   <li>{@link #SPATIAL}: one keep decision per {@code S x S} cell of the output map.
 *   <li>{@link #CHANNEL}: one keep decision per group of {@code width / G} inner channels.
 *   <li>{@link #BOTH}: spatial and channel decisions together.
 *   <li>{@link #LAYER}: one keep decision per sample for the whole residual branch.
 * </ul>
 */
public enum PlanMode {
    /** Static block. */
    DENSE,
    /** Spatial gating of output cells. */
    SPATIAL,
    /** Channel-group gating of the inner width. */
    CHANNEL,
    /** Spatial and channel gating. */
    BOTH,
    /** Whole-branch skipping per sample. */
    LAYER;

    /** Returns whether the block has a spatial (or layer) masker: SPATIAL, BOTH and LAYER. */
    public boolean hasSpatialMasker() {
        return this == SPATIAL || this == BOTH || this == LAYER;
    }

    /** Returns whether the block has a channel masker: CHANNEL and BOTH. */
    public boolean hasChannelMasker() {
        return this == CHANNEL || this == BOTH;
    }
}
