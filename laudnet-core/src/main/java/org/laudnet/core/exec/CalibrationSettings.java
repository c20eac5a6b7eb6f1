package org.laudnet.core.exec;

import org.laudnet.core.util.Checks;

/**
 * How a {@link PlanRuntime} measures the path costs of its blocks ({@link PlanRuntime#calibrate}, and the first
 * {@link PathPolicy#AUTO} call of a batch size): a setting of the runtime, since its calibrations are shared by every
 * executor. Immutable and thread-safe.
 *
 * @param runs timed runs per calibration point, the fastest counts (default 5), positive
 * @param seed seed of the synthetic calibration inputs and masks (default 7)
 */
public record CalibrationSettings(int runs, long seed) {

    /** Validates the fields. */
    public CalibrationSettings {
        Checks.positive("runs", runs);
    }

    /** Returns the defaults: 5 runs, seed 7. */
    public static CalibrationSettings defaults() {
        return new CalibrationSettings(5, 7L);
    }
}
