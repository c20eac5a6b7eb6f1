package org.laudnet.models.train;

/**
 * Optimisation settings of a fine-tuning run. The learning rate follows a cosine schedule from {@code learningRate} to
 * 0 over {@code epochs * updatesPerEpoch} updates, multiplied per parameter group by {@link GroupLearningRateTracker}.
 *
 * @param epochs epochs of the run, positive
 * @param updatesPerEpoch optimizer updates per epoch (batches per epoch), positive
 * @param optimizer the optimizer
 * @param learningRate base learning rate, positive
 * @param momentum SGD momentum in [0, 1) (ignored by AdamW)
 * @param weightDecay weight decay, non-negative
 * @param backboneLrMultiplier learning-rate multiplier of non-gate parameters, non-negative
 * @param gateLrMultiplier learning-rate multiplier of gate parameters, non-negative
 */
public record FineTuneConfig(
        int epochs,
        int updatesPerEpoch,
        OptimizerKind optimizer,
        float learningRate,
        float momentum,
        float weightDecay,
        float backboneLrMultiplier,
        float gateLrMultiplier) {

    /** Validates every field. */
    public FineTuneConfig {
        if (epochs <= 0) {
            throw new IllegalArgumentException("epochs must be positive, got " + epochs);
        }
        if (updatesPerEpoch <= 0) {
            throw new IllegalArgumentException("updatesPerEpoch must be positive, got " + updatesPerEpoch);
        }
        if (optimizer == null) {
            throw new IllegalArgumentException("optimizer must not be null");
        }
        if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be positive and finite, got " + learningRate);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) {
            throw new IllegalArgumentException("weightDecay must be non-negative, got " + weightDecay);
        }
        if (!(backboneLrMultiplier >= 0) || !Float.isFinite(backboneLrMultiplier)) {
            throw new IllegalArgumentException(
                    "backboneLrMultiplier must be non-negative, got " + backboneLrMultiplier);
        }
        if (!(gateLrMultiplier >= 0) || !Float.isFinite(gateLrMultiplier)) {
            throw new IllegalArgumentException("gateLrMultiplier must be non-negative, got " + gateLrMultiplier);
        }
    }

    /**
     * SGD with momentum 0.9, weight decay 1e-4, both multipliers 1.
     *
     * @param epochs epochs
     * @param updatesPerEpoch updates per epoch
     * @param learningRate base learning rate
     * @return the config
     */
    public static FineTuneConfig sgd(int epochs, int updatesPerEpoch, float learningRate) {
        return new FineTuneConfig(epochs, updatesPerEpoch, OptimizerKind.SGD, learningRate, 0.9f, 1e-4f, 1f, 1f);
    }

    /**
     * AdamW with weight decay 1e-2, both multipliers 1.
     *
     * @param epochs epochs
     * @param updatesPerEpoch updates per epoch
     * @param learningRate base learning rate
     * @return the config
     */
    public static FineTuneConfig adamW(int epochs, int updatesPerEpoch, float learningRate) {
        return new FineTuneConfig(epochs, updatesPerEpoch, OptimizerKind.ADAMW, learningRate, 0f, 1e-2f, 1f, 1f);
    }

    /**
     * Returns a copy with other group multipliers.
     *
     * @param backbone multiplier of non-gate parameters
     * @param gate multiplier of gate parameters
     * @return the copy
     */
    public FineTuneConfig withMultipliers(float backbone, float gate) {
        return new FineTuneConfig(
                epochs, updatesPerEpoch, optimizer, learningRate, momentum, weightDecay, backbone, gate);
    }

    /** Returns the length of the whole run in updates. */
    public int totalUpdates() {
        return Math.multiplyExact(epochs, updatesPerEpoch);
    }
}
