package org.laudnet.core.gate;

import ai.djl.ndarray.NDArray;
import ai.djl.training.tracker.Tracker;
import java.util.concurrent.atomic.AtomicInteger;
import org.laudnet.core.util.Checks;

/**
 * The Gumbel temperature that gates read during training: a {@link Tracker} plus the current update count.
 *
 * <p>DJL's {@code Trainer.forward} passes no per-step arguments to blocks, so the temperature travels through this
 * object: one instance is shared by all gates of a network (given to their builders), and the training loop (or a
 * training listener) calls {@link #setUpdate(int)} once per step. It is not global state: each network holds its own.
 *
 * <p>It also carries the <em>noise scale</em> {@code s} of the hard decisions, {@code argmax(logits + s * g)} (see
 * {@link GumbelSoftmax#hardKeep(NDArray, float, float, NDArray)}). The hard Gumbel decision does not depend on
 * {@code tau}, so with {@code s = 1} a gate can meet a density target with small logit margins by letting the noise
 * decide; the deterministic evaluation rule ({@code keep >= skip}) then computes a different density. Annealing
 * {@code s} to 0 by the end of training (see {@link #withNoiseSchedule(Tracker)}) makes the training decisions converge
 * to the evaluation rule, so that the density trained for is the density evaluated.
 */
public final class GumbelTemperature {

    private final Tracker tracker;
    private final Tracker noise;
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
        this.noise = Tracker.fixed(1f);
    }

    private GumbelTemperature(Tracker tracker, Tracker noise) {
        this.tracker = tracker;
        this.noise = noise;
    }

    /**
     * Returns a temperature with the same schedule whose noise scale follows {@code noise} (default: constant 1, plain
     * Gumbel-softmax). The update count starts at 0.
     *
     * @param noise the noise-scale schedule; its values must lie in [0, 1]
     * @return the new temperature
     */
    public GumbelTemperature withNoiseSchedule(Tracker noise) {
        if (noise == null) {
            throw new IllegalArgumentException("noise must not be null");
        }
        return new GumbelTemperature(tracker, noise);
    }

    /**
     * Returns the noise scale {@code s} at the current update.
     *
     * @return {@code s} in [0, 1]
     * @throws IllegalStateException if the schedule returns a value outside [0, 1]
     */
    public float noiseScale() {
        float s = noise.getNewValue(update.get());
        if (!(s >= 0 && s <= 1)) {
            throw new IllegalStateException("noise schedule returned " + s + ", outside [0, 1]");
        }
        return s;
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
