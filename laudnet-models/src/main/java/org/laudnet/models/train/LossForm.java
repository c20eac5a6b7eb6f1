package org.laudnet.models.train;

import org.laudnet.core.cost.BlockRatioForm;
import org.laudnet.core.cost.MaskerMacsConvention;

/**
 * The variant choices of the {@link LaudLoss} where this project and the reference implementation differ (see the
 * fidelity notes of the documentation). {@link #REFERENCE} (the default) follows the reference training script;
 * {@link #PROJECT_ORIGINAL} reproduces this project's original loss, under which older results were trained.
 *
 * @param distillation how cross entropy and distillation are weighed
 * @param channelDensityTerm whether BOTH-mode blocks add {@code mean_b (dc_b - sqrt(t))^2} to the cost loss (the
 *     reference's {@code SparsityCriterion_bounds} has no such term)
 * @param boundAveraging over which blocks the bound term averages
 * @param blockRatio the denominator of the per-block ratio {@code r_b}
 * @param maskerMacs how the MACs cost model counts the maskers' MACs
 */
public record LossForm(
        DistillationWeighting distillation,
        boolean channelDensityTerm,
        BoundAveraging boundAveraging,
        BlockRatioForm blockRatio,
        MaskerMacsConvention maskerMacs) {

    /** The reference training script's loss: {@code CE + a T^2 KD}, no channel term, all blocks, maskers in both. */
    public static final LossForm REFERENCE = new LossForm(DistillationWeighting.CE_PLUS_KD, false,
            BoundAveraging.ALL_BLOCKS, BlockRatioForm.MASKERS_IN_BOTH, MaskerMacsConvention.PHYSICAL);

    /** This project's original loss: {@code (1 - a) CE}, the channel term, gated blocks, dense denominator. */
    public static final LossForm PROJECT_ORIGINAL = new LossForm(DistillationWeighting.CONVEX, true,
            BoundAveraging.GATED_BLOCKS, BlockRatioForm.DENSE_DENOMINATOR, MaskerMacsConvention.PHYSICAL);

    /** Validates that no field is null. */
    public LossForm {
        if (distillation == null || boundAveraging == null || blockRatio == null || maskerMacs == null) {
            throw new IllegalArgumentException("LossForm fields must not be null, got distillation " + distillation
                    + ", boundAveraging " + boundAveraging + ", blockRatio " + blockRatio + ", maskerMacs "
                    + maskerMacs);
        }
    }

    /**
     * Returns a copy with another distillation weighting.
     *
     * @param d the weighting
     * @return the copy
     */
    public LossForm withDistillation(DistillationWeighting d) {
        return new LossForm(d, channelDensityTerm, boundAveraging, blockRatio, maskerMacs);
    }

    /**
     * Returns a copy with or without the BOTH-mode channel-density term.
     *
     * @param term whether to add it
     * @return the copy
     */
    public LossForm withChannelDensityTerm(boolean term) {
        return new LossForm(distillation, term, boundAveraging, blockRatio, maskerMacs);
    }

    /**
     * Returns a copy with another bound averaging.
     *
     * @param a the averaging
     * @return the copy
     */
    public LossForm withBoundAveraging(BoundAveraging a) {
        return new LossForm(distillation, channelDensityTerm, a, blockRatio, maskerMacs);
    }

    /**
     * Returns a copy with another block-ratio denominator.
     *
     * @param r the form
     * @return the copy
     */
    public LossForm withBlockRatio(BlockRatioForm r) {
        return new LossForm(distillation, channelDensityTerm, boundAveraging, r, maskerMacs);
    }

    /**
     * Returns a copy with another masker-MACs convention.
     *
     * @param m the convention
     * @return the copy
     */
    public LossForm withMaskerMacs(MaskerMacsConvention m) {
        return new LossForm(distillation, channelDensityTerm, boundAveraging, blockRatio, m);
    }
}
