package org.laudnet.models.data;

/**
 * A dataset whose sample order is a function of the epoch (a {@link SeededShuffleSampler} pass), so that a training
 * loop resumed at epoch {@code e} sees the same order as an uninterrupted run.
 */
public interface EpochOrdered {

    /**
     * Makes the next iteration over the dataset use the order of epoch {@code epoch} (a no-op without shuffling).
     *
     * @param epoch the epoch index, from 0
     * @throws IllegalArgumentException if {@code epoch} is negative
     */
    void setEpoch(int epoch);
}
