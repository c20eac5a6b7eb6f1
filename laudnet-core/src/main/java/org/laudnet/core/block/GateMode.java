package org.laudnet.core.block;

/**
 * Which dynamic paradigm a residual block (or a whole stage) uses.
 *
 * <ul>
 *   <li>{@link #NONE}: static block, nothing is gated.
 *   <li>{@link #SPATIAL}: a spatial gate decides per output patch of {@code S x S} pixels whether the residual branch
 *       is computed there.
 *   <li>{@link #CHANNEL}: a channel gate decides per group of {@code width / G} contiguous channels whether the
 *       block's inner channels are computed.
 *   <li>{@link #BOTH}: spatial and channel gates together.
 *   <li>{@link #LAYER}: one decision per sample for the whole residual branch (the spatial gate with a {@code 1 x 1}
 *       mask).
 * </ul>
 */
public enum GateMode {
    /** Static block. */
    NONE,
    /** Spatial gating of output patches. */
    SPATIAL,
    /** Channel-group gating of the block's inner width. */
    CHANNEL,
    /** Spatial and channel gating together. */
    BOTH,
    /** Whole-branch skipping per sample. */
    LAYER;

    /** Returns whether this mode has a spatial gate (true for SPATIAL, BOTH and LAYER). */
    public boolean hasSpatialGate() {
        return this == SPATIAL || this == BOTH || this == LAYER;
    }

    /** Returns whether this mode has a channel gate (true for CHANNEL and BOTH). */
    public boolean hasChannelGate() {
        return this == CHANNEL || this == BOTH;
    }
}
