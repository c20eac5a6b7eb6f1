package org.laudnet.core.block;

import org.laudnet.core.gate.NoiseBuilder;

/**
 * The settings shared by builders of gated parts that contain BatchNorms (gated blocks and backbones): the gates'
 * noise settings of {@link NoiseBuilder} and the BatchNorm epsilon.
 *
 * @param <T> the concrete builder
 */
public abstract class BatchNormBuilder<T extends BatchNormBuilder<T>> extends NoiseBuilder<T> {

    private float epsilon = 1e-5f;

    /**
     * Creates the settings with a default seed, the constant temperature 1 and epsilon 1e-5.
     *
     * @param defaultSeed the seed used unless {@link #optSeed} sets another
     */
    protected BatchNormBuilder(long defaultSeed) {
        super(defaultSeed);
    }

    /**
     * Sets the BatchNorm epsilon (default 1e-5; Keras uses 1e-3).
     *
     * @param epsilon positive epsilon
     * @return this builder
     */
    public T optBatchNormEpsilon(float epsilon) {
        this.epsilon = epsilon;
        return self();
    }

    /** Returns the epsilon set so far. */
    public float epsilon() {
        return epsilon;
    }

    /**
     * Checks the epsilon.
     *
     * @throws IllegalArgumentException if it is not positive
     */
    protected void validateEpsilon() {
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
        }
    }
}
