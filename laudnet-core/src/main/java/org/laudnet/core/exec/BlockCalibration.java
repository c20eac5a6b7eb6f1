package org.laudnet.core.exec;

import java.util.EnumMap;
import java.util.Map;

/**
 * The measured path costs of one block at one batch size on one backend: the dense path's time and a fitted
 * {@link LinearCostModel} per sparse path ({@code t = c0 + sum_k c_k f_k} over the path's work features). Immutable.
 *
 * @param denseMillis the dense path's time in milliseconds (fastest of the timed runs); NaN for a static block
 * @param models the sparse paths' cost models
 */
public record BlockCalibration(double denseMillis, Map<ExecutionPath, LinearCostModel> models) {

    /** Copies the map. */
    public BlockCalibration {
        if (models == null) {
            throw new IllegalArgumentException("models must not be null");
        }
        models = models.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(models));
    }

    /** The calibration of a block that has no sparse path. */
    public static BlockCalibration none() {
        return new BlockCalibration(Double.NaN, Map.of());
    }

    /**
     * Predicts a sparse path's time.
     *
     * @param path the path
     * @param features its features ({@link PathFeatures})
     * @return milliseconds, or {@code +inf} when the path was not calibrated
     */
    public double predict(ExecutionPath path, double[] features) {
        LinearCostModel m = models.get(path);
        return m == null ? Double.POSITIVE_INFINITY : m.predict(features);
    }
}
