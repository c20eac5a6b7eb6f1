package org.laudnet.core.gate;

/**
 * The settings every builder of gated parts shares — the seed of the gates' Gumbel noise and the Gumbel temperature
 * they read in training — with a self-typed fluent interface (gates, gated blocks and backbones extend it).
 *
 * @param <T> the concrete builder
 */
public abstract class NoiseBuilder<T extends NoiseBuilder<T>> {

    private long seed;
    private GumbelTemperature temperature = GumbelTemperature.constant(1f);

    /**
     * Creates the settings with a default seed and the constant temperature 1.
     *
     * @param defaultSeed the seed used unless {@link #optSeed} sets another
     */
    protected NoiseBuilder(long defaultSeed) {
        this.seed = defaultSeed;
    }

    /** Returns this builder as its concrete type. */
    protected abstract T self();

    /**
     * Sets the seed of the Gumbel noise (a block derives its gates' seeds from it, a network its blocks' seeds).
     *
     * @param seed the seed
     * @return this builder
     */
    public T optSeed(long seed) {
        this.seed = seed;
        return self();
    }

    /**
     * Sets the Gumbel temperature the gates read in training (default constant 1), shared by every gate built.
     *
     * @param temperature the temperature
     * @return this builder
     */
    public T optTemperature(GumbelTemperature temperature) {
        if (temperature == null) {
            throw new IllegalArgumentException("temperature must not be null");
        }
        this.temperature = temperature;
        return self();
    }

    /** Returns the seed set so far. */
    public long seed() {
        return seed;
    }

    /** Returns the temperature set so far. */
    public GumbelTemperature temperature() {
        return temperature;
    }
}
