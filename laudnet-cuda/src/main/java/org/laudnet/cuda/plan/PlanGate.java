package org.laudnet.cuda.plan;

/**
 * The gate of one block of a {@link LaudPlan}.
 *
 * <p>Spatial (and layer) masker, method section 1: {@code logits = conv1x1(avgPool_k(x)) : (B, 2, m, m)} with
 * {@code k = Hin / m} (no pooling when {@code k = 1}); cell {@code (i, j)} is kept when {@code keep >= skip}. The
 * masker weight is {@code (2, Cin)}, row 0 the keep logit, row 1 the skip logit. A LAYER gate has {@code m = 1}.
 *
 * @param mode the paradigm
 * @param granularity {@code S}: output pixels per cell side (SPATIAL and BOTH; the output side for LAYER; 0 when
 *     there is no spatial masker)
 * @param maskSize {@code m = Hout / S} (1 for LAYER, 0 without spatial masker)
 * @param spatialMasker the 1x1 masker {@code (2, Cin)} + bias, or {@code null}
 * @param channelMasker the channel masker, or {@code null}
 */
public record PlanGate(
        PlanMode mode, int granularity, int maskSize, PlanConv spatialMasker, ChannelMasker channelMasker) {

    /** Validates that the maskers present match the mode. */
    public PlanGate {
        if (mode == null) {
            throw new IllegalArgumentException("mode must not be null");
        }
        if (mode.hasSpatialMasker()) {
            if (spatialMasker == null || spatialMasker.outChannels() != 2 || spatialMasker.kernel() != 1) {
                throw new IllegalArgumentException("mode " + mode + " needs a 1x1 spatial masker with 2 outputs, got "
                        + (spatialMasker == null ? "null" : spatialMasker.outChannels() + " outputs"));
            }
            if (granularity <= 0 || maskSize <= 0) {
                throw new IllegalArgumentException("granularity and maskSize must be positive for mode " + mode
                        + ", got " + granularity + " and " + maskSize);
            }
            if (mode == PlanMode.LAYER && maskSize != 1) {
                throw new IllegalArgumentException("maskSize must be 1 for LAYER, got " + maskSize);
            }
        } else if (spatialMasker != null) {
            throw new IllegalArgumentException("mode " + mode + " has no spatial masker");
        }
        if (mode.hasChannelMasker() != (channelMasker != null)) {
            throw new IllegalArgumentException("mode " + mode + (mode.hasChannelMasker() ? " needs" : " has no")
                    + " channel masker");
        }
    }

    /** A static block's gate. */
    public static PlanGate dense() {
        return new PlanGate(PlanMode.DENSE, 0, 0, null, null);
    }

    /** Returns {@code G}, the channel groups (1 without a channel masker). */
    public int channelGroups() {
        return channelMasker == null ? 1 : channelMasker.groups();
    }
}
