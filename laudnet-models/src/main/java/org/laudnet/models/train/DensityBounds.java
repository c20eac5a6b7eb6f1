package org.laudnet.models.train;

/**
 * The per-block ratio bounds of the cost loss at one point of training (method section 3):
 * {@code p = clip(epoch / (0.33 * epochs), 0, 1)}, {@code progress = cos^2(p * pi / 2)},
 * {@code upper = 1 - progress * (1 - t)}, {@code lower = progress * t}. At epoch 0 both bounds equal {@code t}; from a
 * third of the run on they are 0 and 1.
 *
 * @param lower lower bound {@code lb}
 * @param upper upper bound {@code ub}
 * @param progress the schedule value {@code cos^2(p * pi / 2)}
 */
public record DensityBounds(double lower, double upper, double progress) {

    /** Fraction of the run over which the bounds open. */
    public static final double RELEASE_FRACTION = 0.33;

    /**
     * Computes the bounds.
     *
     * @param epoch the current (possibly fractional) epoch, non-negative
     * @param totalEpochs epochs of the run, positive
     * @param target the target ratio {@code t}
     * @return the bounds
     */
    public static DensityBounds at(double epoch, int totalEpochs, double target) {
        if (!(epoch >= 0) || Double.isInfinite(epoch)) {
            throw new IllegalArgumentException("epoch must be non-negative and finite, got " + epoch);
        }
        if (totalEpochs <= 0) {
            throw new IllegalArgumentException("totalEpochs must be positive, got " + totalEpochs);
        }
        double p = Math.min(1, Math.max(0, epoch / (RELEASE_FRACTION * totalEpochs)));
        double c = Math.cos(p * Math.PI / 2);
        double progress = c * c;
        return new DensityBounds(progress * target, 1 - progress * (1 - target), progress);
    }
}
