package org.laudnet.core.latency;

/**
 * Where the fixed per-kernel launch cost of the analytical model comes from.
 *
 * <ul>
 *   <li>{@link #REFERENCE}: the constant 8 us of the reference predictor, for every part.
 *   <li>{@link #PRESET}: {@link HardwareSpec#launchCostSeconds()} of the part (an extension of this project).
 * </ul>
 */
public enum LaunchCostSource {
    /** Constant 8 us per kernel. */
    REFERENCE,
    /** The part's own launch cost. */
    PRESET;

    /** The reference launch cost in seconds (8 us). */
    public static final double REFERENCE_SECONDS = 8e-6;

    /**
     * Returns the launch cost for a part.
     *
     * @param hw the part
     * @return seconds per kernel launch
     */
    public double seconds(HardwareSpec hw) {
        return this == REFERENCE ? REFERENCE_SECONDS : hw.launchCostSeconds();
    }
}
