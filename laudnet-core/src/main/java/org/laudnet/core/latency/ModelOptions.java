package org.laudnet.core.latency;

/**
 * Switches of {@link TiledRooflineModel}. {@link #REFERENCE} reproduces the reference predictor's semantics
 * (compute and memory added, fp32 CUDA cores, 8 us per launch); the other settings are this project's extensions.
 *
 * @param combine how compute and memory time combine per kernel
 * @param precision the arithmetic of the compute term and the storage width of the traffic terms
 * @param launchCost where the per-kernel launch cost comes from
 */
public record ModelOptions(CombineMode combine, ComputePrecision precision, LaunchCostSource launchCost) {

    /** The reference semantics: {@code ADD}, {@code FP32}, {@code REFERENCE} launch cost. */
    public static final ModelOptions REFERENCE =
            new ModelOptions(CombineMode.ADD, ComputePrecision.FP32, LaunchCostSource.REFERENCE);

    /** Validates that no field is null. */
    public ModelOptions {
        if (combine == null) {
            throw new IllegalArgumentException("combine must not be null");
        }
        if (precision == null) {
            throw new IllegalArgumentException("precision must not be null");
        }
        if (launchCost == null) {
            throw new IllegalArgumentException("launchCost must not be null");
        }
    }

    /**
     * Returns these options with another precision.
     *
     * @param p the precision
     * @return the modified options
     */
    public ModelOptions withPrecision(ComputePrecision p) {
        return new ModelOptions(combine, p, launchCost);
    }

    /**
     * Returns these options with another launch-cost source.
     *
     * @param source the source
     * @return the modified options
     */
    public ModelOptions withLaunchCost(LaunchCostSource source) {
        return new ModelOptions(combine, precision, source);
    }

    /**
     * Returns these options with another combine mode.
     *
     * @param mode the mode
     * @return the modified options
     */
    public ModelOptions withCombine(CombineMode mode) {
        return new ModelOptions(mode, precision, launchCost);
    }
}
