package org.laudnet.core.gate;

import ai.djl.training.tracker.Tracker;
import java.util.concurrent.atomic.AtomicInteger;
import org.laudnet.core.util.Checks;

/**
 * The Gumbel temperature that gates read during training: a {@link Tracker} plus the current update count.
 *
 * <p>DJL's {@code Trainer.forward} passes no per-step arguments to blocks, so the temperature travels through this
 * object: one instance is shared by all gates of a network (given to their builders), and the training loop (or a
 * training listener) calls {@link #setUpdate(int)} once per step. It is not global state: each network holds its own.
 */
public final class GumbelTemperature {

    private final Tracker tracker;
    private final AtomicInteger update = new AtomicInteger();

    /**
     * Creates a temperature that follows a schedule.
     *
     * @param tracker the schedule; its value must be positive
     */
    public GumbelTemperature(Tracker tracker) {
        if (tracker == null) {
            throw new IllegalArgumentException("tracker must not be null");
        }
        this.tracker = tracker;
    }

    /**
     * A fixed temperature.
     *
     * @param tau the temperature, positive
     * @return the temperature holder
     */
    public static GumbelTemperature constant(float tau) {
        if (!(tau > 0) || !Float.isFinite(tau)) {
            throw new IllegalArgumentException("tau must be positive and finite, got " + tau);
        }
        return new GumbelTemperature(Tracker.fixed(tau));
    }

    /**
     * Sets the current update count (called by the training loop once per step).
     *
     * @param numUpdate the update count, non-negative
     */
    public void setUpdate(int numUpdate) {
        update.set(Checks.nonNegative("numUpdate", numUpdate));
    }

    /** Returns the current update count. */
    public int getUpdate() {
        return update.get();
    }

    /** Returns the temperature at the current update. */
    public float value() {
        float tau = tracker.getNewValue(update.get());
        if (!(tau > 0) || !Float.isFinite(tau)) {
            throw new IllegalStateException("temperature schedule returned a non-positive value " + tau);
        }
        return tau;
    }
}
