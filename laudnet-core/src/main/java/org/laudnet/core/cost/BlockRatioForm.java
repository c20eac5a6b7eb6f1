package org.laudnet.core.cost;

/**
 * Which denominator the per-block ratio {@code r_b} of the training loss uses (method section 3).
 *
 * <ul>
 *   <li>{@link #MASKERS_IN_BOTH}: {@code r_b = (sparse + masker) / (dense + masker)}, the reference implementation's
 *       form (the default). A block whose gates are all open has {@code r_b = 1} exactly.
 *   <li>{@link #DENSE_DENOMINATOR}: {@code r_b = (sparse + masker) / dense}, this project's original form: the ratio
 *       against the static block, so an all-open gated block has {@code r_b > 1}.
 * </ul>
 *
 * <p>Immutable; thread-safe.
 */
public enum BlockRatioForm {
    /** {@code (sparse + masker) / (dense + masker)}: the reference's form. */
    MASKERS_IN_BOTH,
    /** {@code (sparse + masker) / dense}: the ratio against the static block. */
    DENSE_DENOMINATOR;

    /**
     * Returns the ratio's denominator.
     *
     * @param denseMacs the static block's MACs (maskers excluded)
     * @param maskerMacs the maskers' MACs
     * @return {@code dense + masker} or {@code dense}
     */
    public double denominator(double denseMacs, double maskerMacs) {
        return this == MASKERS_IN_BOTH ? denseMacs + maskerMacs : denseMacs;
    }
}
