package org.laudnet.models.train;

/**
 * How the {@link LaudLoss} weighs cross entropy against distillation (method section 3).
 *
 * <ul>
 *   <li>{@link #CE_PLUS_KD}: {@code CE + a T^2 KD}, the reference training script's form (the default).
 *   <li>{@link #CONVEX}: {@code (1 - a) CE + a T^2 KD}, this project's original form.
 * </ul>
 *
 * Without teacher logits both reduce to {@code CE}. Immutable; thread-safe.
 */
public enum DistillationWeighting {
    /** Cross entropy at weight 1 plus {@code a T^2 KD}. */
    CE_PLUS_KD,
    /** {@code (1 - a)} cross entropy plus {@code a T^2 KD}. */
    CONVEX;

    /**
     * Returns the weight of the cross-entropy term when a teacher is present.
     *
     * @param alpha the distillation weight {@code a}
     * @return 1 or {@code 1 - a}
     */
    public float crossEntropyWeight(float alpha) {
        return this == CE_PLUS_KD ? 1f : 1f - alpha;
    }
}
