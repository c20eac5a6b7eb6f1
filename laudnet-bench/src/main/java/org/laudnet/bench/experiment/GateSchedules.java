package org.laudnet.bench.experiment;

import ai.djl.training.tracker.Tracker;
import org.laudnet.core.gate.ExponentialTemperatureTracker;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.util.Checks;

/**
 * The gate schedules of a fine-tuning run: the Gumbel temperature decays exponentially from 5 to 0.5, and the noise
 * scale of the hard decisions follows {@code s(u) = (1 + cos(pi * u / (f * U))) / 2} for {@code u < f * U} and 0 after
 * ({@code U} total updates, {@code f} the annealed fraction). With {@code s = 0} the training decisions are the
 * evaluation rule {@code keep >= skip}, so the density reached in training is the density evaluated.
 */
public final class GateSchedules {

    /** Default fraction of the run over which the noise is annealed to 0. */
    public static final double DEFAULT_NOISE_FRACTION = 0.7;

    private GateSchedules() {}

    /**
     * The cosine noise schedule.
     *
     * @param totalUpdates {@code U}, positive
     * @param fraction {@code f} in (0, 1]
     * @return a tracker with values in [0, 1]
     * @throws IllegalArgumentException if an argument is out of range
     */
    public static Tracker noise(int totalUpdates, double fraction) {
        Checks.positive("totalUpdates", totalUpdates);
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
        }
        double end = fraction * totalUpdates;
        return u -> u >= end ? 0f : (float) (0.5 * (1 + Math.cos(Math.PI * u / end)));
    }

    /**
     * The temperature of a fine-tuning run: {@code tau} 5 -> 0.5 exponentially, noise annealed over
     * {@link #DEFAULT_NOISE_FRACTION} of the run.
     *
     * @param totalUpdates updates of the run, positive
     * @return the shared temperature for the network's gates
     */
    public static GumbelTemperature annealed(int totalUpdates) {
        return new GumbelTemperature(new ExponentialTemperatureTracker(5f, 0.5f, totalUpdates))
                .withNoiseSchedule(noise(totalUpdates, DEFAULT_NOISE_FRACTION));
    }
}
