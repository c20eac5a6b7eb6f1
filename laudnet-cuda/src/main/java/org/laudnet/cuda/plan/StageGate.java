package org.laudnet.cuda.plan;

/**
 * How every block of one stage of a generated plan is gated.
 *
 * @param mode the paradigm
 * @param granularity {@code S} for SPATIAL and BOTH (must divide the stage's output side); ignored otherwise
 * @param channelGroups {@code G} for CHANNEL and BOTH (must divide the stage width); ignored otherwise
 */
public record StageGate(PlanMode mode, int granularity, int channelGroups) {

    /** Validates the fields the mode uses. */
    public StageGate {
        if (mode == null) {
            throw new IllegalArgumentException("mode must not be null");
        }
        if ((mode == PlanMode.SPATIAL || mode == PlanMode.BOTH) && granularity <= 0) {
            throw new IllegalArgumentException("granularity must be positive for " + mode + ", got " + granularity);
        }
        if (mode.hasChannelMasker() && channelGroups <= 0) {
            throw new IllegalArgumentException("channelGroups must be positive for " + mode + ", got "
                    + channelGroups);
        }
    }

    /** A static stage. */
    public static StageGate dense() {
        return new StageGate(PlanMode.DENSE, 0, 0);
    }

    /**
     * Spatial gating.
     *
     * @param granularity {@code S}
     * @return the stage gate
     */
    public static StageGate spatial(int granularity) {
        return new StageGate(PlanMode.SPATIAL, granularity, 0);
    }

    /**
     * Channel gating.
     *
     * @param groups {@code G}
     * @return the stage gate
     */
    public static StageGate channel(int groups) {
        return new StageGate(PlanMode.CHANNEL, 0, groups);
    }

    /**
     * Spatial and channel gating.
     *
     * @param granularity {@code S}
     * @param groups {@code G}
     * @return the stage gate
     */
    public static StageGate both(int granularity, int groups) {
        return new StageGate(PlanMode.BOTH, granularity, groups);
    }

    /** Layer skipping. */
    public static StageGate layer() {
        return new StageGate(PlanMode.LAYER, 0, 0);
    }
}
