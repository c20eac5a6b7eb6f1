package org.laudnet.models.train;

/**
 * The training state stored in a checkpoint next to the parameters.
 *
 * @param epoch completed epochs
 * @param update completed optimizer updates (drives the Gumbel temperature and the learning-rate schedule)
 * @param temperature the Gumbel temperature at {@code update}, for verification on resume
 */
public record CheckpointState(int epoch, int update, float temperature) {

    /** Validates the counters. */
    public CheckpointState {
        if (epoch < 0 || update < 0) {
            throw new IllegalArgumentException(
                    "epoch and update must be non-negative, got epoch=" + epoch + ", update=" + update);
        }
    }
}
