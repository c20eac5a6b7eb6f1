package org.laudnet.models.train;

/**
 * Options of the {@link LaudLoss} (method section 3).
 *
 * @param alpha {@code a}: weight of the distillation term, in [0, 1] (paper 0.5); unused without teacher logits
 * @param temperature {@code T}: distillation temperature, positive (paper 4)
 * @param lambda weight of the cost term, non-negative (paper 10)
 * @param target {@code t}: target ratio {@code F_dyn / F_static}, in (0, 1] (paper 0.5)
 * @param labelSmoothing {@code eps} of the cross entropy, in [0, 1)
 * @param totalEpochs epochs of the whole run, positive (sets the bounds schedule)
 * @param form the variant choices where this project and the reference differ ({@link LossForm#REFERENCE} by
 *     default)
 */
public record LossConfig(
        float alpha, float temperature, float lambda, float target, float labelSmoothing, int totalEpochs,
        LossForm form) {

    /**
     * Creates a config with the reference loss form ({@link LossForm#REFERENCE}).
     *
     * @param alpha {@code a}
     * @param temperature {@code T}
     * @param lambda the cost weight
     * @param target {@code t}
     * @param labelSmoothing {@code eps}
     * @param totalEpochs epochs of the run
     */
    public LossConfig(
            float alpha, float temperature, float lambda, float target, float labelSmoothing, int totalEpochs) {
        this(alpha, temperature, lambda, target, labelSmoothing, totalEpochs, LossForm.REFERENCE);
    }

    /** Validates every field. */
    public LossConfig {
        if (form == null) {
            throw new IllegalArgumentException("form must not be null");
        }
        if (!(alpha >= 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must be in [0, 1], got " + alpha);
        }
        if (!(temperature > 0) || !Float.isFinite(temperature)) {
            throw new IllegalArgumentException("temperature must be positive and finite, got " + temperature);
        }
        if (!(lambda >= 0) || !Float.isFinite(lambda)) {
            throw new IllegalArgumentException("lambda must be non-negative and finite, got " + lambda);
        }
        if (!(target > 0 && target <= 1)) {
            throw new IllegalArgumentException("target must be in (0, 1], got " + target);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("labelSmoothing must be in [0, 1), got " + labelSmoothing);
        }
        if (totalEpochs <= 0) {
            throw new IllegalArgumentException("totalEpochs must be positive, got " + totalEpochs);
        }
    }

    /**
     * The paper's recipe: {@code a = 0.5, T = 4, lambda = 10}, no label smoothing, the reference loss form.
     *
     * @param target target ratio {@code t}
     * @param totalEpochs epochs of the run
     * @return the config
     */
    public static LossConfig paper(float target, int totalEpochs) {
        return new LossConfig(0.5f, 4f, 10f, target, 0f, totalEpochs);
    }

    /**
     * Returns a copy with another {@code lambda}.
     *
     * @param lambda the cost weight
     * @return the copy
     */
    public LossConfig withLambda(float lambda) {
        return new LossConfig(alpha, temperature, lambda, target, labelSmoothing, totalEpochs, form);
    }

    /**
     * Returns a copy with another label smoothing.
     *
     * @param labelSmoothing the smoothing
     * @return the copy
     */
    public LossConfig withLabelSmoothing(float labelSmoothing) {
        return new LossConfig(alpha, temperature, lambda, target, labelSmoothing, totalEpochs, form);
    }

    /**
     * Returns a copy with another loss form.
     *
     * @param form the variant choices
     * @return the copy
     */
    public LossConfig withForm(LossForm form) {
        return new LossConfig(alpha, temperature, lambda, target, labelSmoothing, totalEpochs, form);
    }
}
