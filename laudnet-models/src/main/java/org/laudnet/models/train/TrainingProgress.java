package org.laudnet.models.train;

import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import org.laudnet.core.gate.GumbelTemperature;

/**
 * Where a training run stands: completed epochs and optimizer updates. It is the only source of the epoch that the
 * {@link LaudLoss} bounds schedule reads and of the update count that drives the Gumbel temperature, so no global
 * state is involved.
 *
 * <p>As a DJL {@code TrainingListener} it advances itself: after each training batch the update count grows by one
 * and the shared {@link GumbelTemperature} (if any) is set to it, so the next forward pass samples at
 * {@code tau(update)}; after each epoch the epoch count grows by one.
 */
public final class TrainingProgress extends TrainingListenerAdapter {

    private final GumbelTemperature temperature;
    private int epoch;
    private int update;

    /**
     * Creates a progress at epoch 0, update 0.
     *
     * @param temperature the network's shared Gumbel temperature, or null when the network has none to drive
     */
    public TrainingProgress(GumbelTemperature temperature) {
        this.temperature = temperature;
        if (temperature != null) {
            temperature.setUpdate(0);
        }
    }

    /** Returns the number of completed epochs (the current epoch index, counted from 0). */
    public synchronized int epoch() {
        return epoch;
    }

    /** Returns the number of completed optimizer updates. */
    public synchronized int update() {
        return update;
    }

    /** Returns the driven temperature, or null. */
    public GumbelTemperature temperature() {
        return temperature;
    }

    /**
     * Sets both counters, for instance when resuming; the temperature follows the update count.
     *
     * @param epoch completed epochs, non-negative
     * @param update completed updates, non-negative
     */
    public synchronized void restore(int epoch, int update) {
        if (epoch < 0 || update < 0) {
            throw new IllegalArgumentException(
                    "epoch and update must be non-negative, got epoch=" + epoch + ", update=" + update);
        }
        this.epoch = epoch;
        this.update = update;
        if (temperature != null) {
            temperature.setUpdate(update);
        }
    }

    /** Records one completed optimizer update and moves the temperature to it. */
    public synchronized void stepCompleted() {
        update++;
        if (temperature != null) {
            temperature.setUpdate(update);
        }
    }

    /** Records one completed epoch. */
    public synchronized void epochCompleted() {
        epoch++;
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        stepCompleted();
    }

    /** {@inheritDoc} */
    @Override
    public void onEpoch(Trainer trainer) {
        epochCompleted();
    }
}
