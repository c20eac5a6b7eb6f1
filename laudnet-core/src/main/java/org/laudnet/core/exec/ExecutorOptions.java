package org.laudnet.core.exec;

/**
 * Settings of an executor. (How path costs are calibrated is a setting of the runtime the executors share: see
 * {@link CalibrationSettings}.) Immutable and thread-safe.
 *
 * @param policy which paths gated blocks may take (default {@link PathPolicy#AUTO})
 */
public record ExecutorOptions(PathPolicy policy) {

    /** Validates the fields. */
    public ExecutorOptions {
        if (policy == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
    }

    /** The defaults: AUTO. */
    public static ExecutorOptions defaults() {
        return new ExecutorOptions(PathPolicy.AUTO);
    }

    /**
     * Returns these options with another policy.
     *
     * @param newPolicy the policy
     * @return the options
     */
    public ExecutorOptions withPolicy(PathPolicy newPolicy) {
        return new ExecutorOptions(newPolicy);
    }
}
