package org.laudnet.core.block;

import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.util.Checks;

/**
 * How one block (or every block of a stage) is gated.
 *
 * @param mode the paradigm
 * @param spatialGranularity {@code S}: output pixels per mask cell side for SPATIAL and BOTH (at most the block's
 *     output size; when it does not divide it, the mask has {@code floor(Hout / S)} uneven cells, see
 *     {@link #maskSize}); ignored otherwise (LAYER uses the whole map)
 * @param spatialGroups {@code gs}: mask channel groups of the spatial gate (1 in the paper's ResNets)
 * @param channelGroups {@code G}: channel groups of CHANNEL and BOTH (must divide the block width); ignored otherwise
 * @param maskerKind the channel masker architecture
 * @param channelMaskPlacement where the channel mask acts (CHANNEL and BOTH); {@link
 *     ChannelMaskPlacement#AFTER_ACTIVATION} for the other modes
 */
public record GateSpec(
        GateMode mode, int spatialGranularity, int spatialGroups, int channelGroups, ChannelMaskerKind maskerKind,
        ChannelMaskPlacement channelMaskPlacement) {

    /**
     * Creates a spec with the channel mask after the activation ({@link ChannelMaskPlacement#AFTER_ACTIVATION}).
     *
     * @param mode the paradigm
     * @param spatialGranularity {@code S}
     * @param spatialGroups {@code gs}
     * @param channelGroups {@code G}
     * @param maskerKind the channel masker architecture
     */
    public GateSpec(
            GateMode mode, int spatialGranularity, int spatialGroups, int channelGroups, ChannelMaskerKind maskerKind) {
        this(mode, spatialGranularity, spatialGroups, channelGroups, maskerKind, ChannelMaskPlacement.AFTER_ACTIVATION);
    }

    /** Validates the fields that the mode uses. */
    public GateSpec {
        if (mode == null) {
            throw new IllegalArgumentException("mode must not be null");
        }
        if (channelMaskPlacement == null) {
            throw new IllegalArgumentException("channelMaskPlacement must not be null");
        }
        if (!mode.hasChannelGate()) {
            channelMaskPlacement = ChannelMaskPlacement.AFTER_ACTIVATION;
        }
        if (maskerKind == null) {
            throw new IllegalArgumentException("maskerKind must not be null");
        }
        if (mode == GateMode.SPATIAL || mode == GateMode.BOTH) {
            Checks.positive("spatialGranularity", spatialGranularity);
        }
        if (mode.hasSpatialGate()) {
            Checks.positive("spatialGroups", spatialGroups);
        }
        if (mode.hasChannelGate()) {
            Checks.positive("channelGroups", channelGroups);
        }
    }

    /** A static block. */
    public static GateSpec none() {
        return new GateSpec(GateMode.NONE, 1, 1, 1, ChannelMaskerKind.MLP_2);
    }

    /**
     * Spatial gating with granularity {@code S}.
     *
     * @param granularity output pixels per mask cell side
     * @return the spec
     */
    public static GateSpec spatial(int granularity) {
        return new GateSpec(GateMode.SPATIAL, granularity, 1, 1, ChannelMaskerKind.MLP_2);
    }

    /**
     * Channel gating with {@code G} groups and the MLP-2 masker.
     *
     * @param groups channel groups
     * @return the spec
     */
    public static GateSpec channel(int groups) {
        return new GateSpec(GateMode.CHANNEL, 1, 1, groups, ChannelMaskerKind.MLP_2);
    }

    /**
     * Spatial and channel gating.
     *
     * @param granularity output pixels per mask cell side
     * @param groups channel groups
     * @return the spec
     */
    public static GateSpec both(int granularity, int groups) {
        return new GateSpec(GateMode.BOTH, granularity, 1, groups, ChannelMaskerKind.MLP_2);
    }

    /** Whole-branch skipping per sample. */
    public static GateSpec layer() {
        return new GateSpec(GateMode.LAYER, 1, 1, 1, ChannelMaskerKind.MLP_2);
    }

    /**
     * Returns this spec with another masker kind.
     *
     * @param kind the channel masker kind
     * @return the new spec
     */
    public GateSpec withMaskerKind(ChannelMaskerKind kind) {
        return new GateSpec(mode, spatialGranularity, spatialGroups, channelGroups, kind, channelMaskPlacement);
    }

    /**
     * Returns this spec with another number of spatial mask groups.
     *
     * @param groups spatial mask channel groups
     * @return the new spec
     */
    public GateSpec withSpatialGroups(int groups) {
        return new GateSpec(mode, spatialGranularity, groups, channelGroups, maskerKind, channelMaskPlacement);
    }

    /**
     * Returns this spec with another channel mask placement (no effect for modes without a channel gate).
     *
     * @param placement where the channel mask acts
     * @return the new spec
     */
    public GateSpec withChannelMaskPlacement(ChannelMaskPlacement placement) {
        return new GateSpec(mode, spatialGranularity, spatialGroups, channelGroups, maskerKind, placement);
    }

    /**
     * Returns the side {@code m} of the spatial gate's mask for a block with the given output size:
     * {@code floor(Hout / S)} for SPATIAL and BOTH (as the reference implementation), 1 for LAYER. When {@code S} does
     * not divide {@code Hout} the cells are uneven: the masker pools adaptively and cell {@code i} covers the output
     * rows that nearest interpolation maps to it ({@link org.laudnet.core.mask.MaskOps#nearestIndex}).
     *
     * @param outSize the block's output size {@code Hout} (square maps)
     * @return the mask side
     * @throws IllegalArgumentException if {@code S} exceeds {@code Hout}, or the mode has no spatial gate
     */
    public int maskSize(int outSize) {
        if (!mode.hasSpatialGate()) {
            throw new IllegalArgumentException("mode " + mode + " has no spatial gate");
        }
        if (mode == GateMode.LAYER) {
            return 1;
        }
        Checks.positive("block output size", outSize);
        if (spatialGranularity > outSize) {
            throw new IllegalArgumentException("spatialGranularity (" + spatialGranularity
                    + ") must not exceed the block output size (" + outSize + ")");
        }
        return outSize / spatialGranularity;
    }
}
