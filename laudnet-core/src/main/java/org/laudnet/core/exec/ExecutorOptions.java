package org.laudnet.core.exec;

import org.laudnet.core.util.Checks;

/**
 * Settings of an executor.
 *
 * @param policy which paths gated blocks may take (default {@link PathPolicy#AUTO})
 * @param calibrationRuns timed runs per calibration point, the fastest counts (default 5)
 * @param calibrationSeed seed of the synthetic calibration inputs and masks (default 7)
 */
public record ExecutorOptions(PathPolicy policy, int calibrationRuns, long calibrationSeed) {

    /** Validates the fields. */
    public ExecutorOptions {
        if (policy == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
        Checks.positive("calibrationRuns", calibrationRuns);
    }

    /** The defaults: AUTO, 5 calibration runs, seed 7. */
    public static ExecutorOptions defaults() {
        return new ExecutorOptions(PathPolicy.AUTO, 5, 7L);
    }

    /**
     * Returns these options with another policy.
     *
     * @param newPolicy the policy
     * @return the options
     */
    public ExecutorOptions withPolicy(PathPolicy newPolicy) {
        return new ExecutorOptions(newPolicy, calibrationRuns, calibrationSeed);
    }
}
