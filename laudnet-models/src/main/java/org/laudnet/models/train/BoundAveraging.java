package org.laudnet.models.train;

/**
 * Over which blocks the {@link LaudLoss} averages its per-block bound term
 * {@code max(0, r_b - ub)^2 + max(0, lb - r_b)^2} (method section 3).
 *
 * <ul>
 *   <li>{@link #ALL_BLOCKS}: the mean over every residual block, as the reference's criterion averages over its
 *       block list (the default). Static blocks (mode NONE) enter with their ratio 1, a constant without gradient, so
 *       the gated blocks' terms are divided by the total block count.
 *   <li>{@link #GATED_BLOCKS}: the mean over the gated blocks only, this project's original form.
 * </ul>
 *
 * With every block gated both are the same. Immutable; thread-safe.
 */
public enum BoundAveraging {
    /** Mean over every block, static ones at ratio 1. */
    ALL_BLOCKS,
    /** Mean over the gated blocks. */
    GATED_BLOCKS
}
