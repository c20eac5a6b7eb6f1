package org.laudnet.core.gate;

import ai.djl.training.tracker.Tracker;
import org.laudnet.core.util.Checks;

/**
 * The Gumbel temperature schedule of method section 2 as a DJL {@link Tracker}: exponential decay over the whole run,
 *
 * <pre>
 *   tau(t) = tau0 * (tau1 / tau0) ^ (min(t, T) / T)
 * </pre>
 *
 * with {@code t} the update count and {@code T} the total number of updates; the paper uses {@code tau0 = 5},
 * {@code tau1 = 0.1}.
 */
public final class ExponentialTemperatureTracker implements Tracker {

    private final float tau0;
    private final float tau1;
    private final int totalUpdates;

    /**
     * Creates the schedule.
     *
     * @param tau0 temperature at update 0, positive
     * @param tau1 temperature at update {@code totalUpdates} and after, positive
     * @param totalUpdates number of updates of the whole run, positive
     */
    public ExponentialTemperatureTracker(float tau0, float tau1, int totalUpdates) {
        if (!(tau0 > 0) || !Float.isFinite(tau0)) {
            throw new IllegalArgumentException("tau0 must be positive and finite, got " + tau0);
        }
        if (!(tau1 > 0) || !Float.isFinite(tau1)) {
            throw new IllegalArgumentException("tau1 must be positive and finite, got " + tau1);
        }
        this.tau0 = tau0;
        this.tau1 = tau1;
        this.totalUpdates = Checks.positive("totalUpdates", totalUpdates);
    }

    /**
     * The paper's schedule: 5 to 0.1 over the run.
     *
     * @param totalUpdates number of updates of the whole run
     * @return the tracker
     */
    public static ExponentialTemperatureTracker paperDefault(int totalUpdates) {
        return new ExponentialTemperatureTracker(5f, 0.1f, totalUpdates);
    }

    /** {@inheritDoc} */
    @Override
    public float getNewValue(int numUpdate) {
        Checks.nonNegative("numUpdate", numUpdate);
        double progress = Math.min(numUpdate, totalUpdates) / (double) totalUpdates;
        return (float) (tau0 * Math.pow(tau1 / (double) tau0, progress));
    }
}
