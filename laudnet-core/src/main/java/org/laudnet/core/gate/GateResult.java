package org.laudnet.core.gate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * What a gate computes for one batch.
 *
 * <p>As an {@link NDList} (the form a DJL block returns) the arrays are named {@value #MASK}, {@value #LOGITS} and
 * {@value #MASKER_MACS}; use {@link #fromNDList(NDList)} rather than positional indices.
 *
 * @param mask the hard keep mask: {@code (B, gs, m, m)} for a spatial or layer gate, {@code (B, G)} for a channel
 *     gate; values in {0, 1}, carrying the straight-through gradient in training
 * @param logits the keep/skip logits: {@code (B, 2, gs, m, m)} or {@code (B, 2, G)}
 * @param maskerMacs the MACs the masker spent per sample on this input (pooling reads included)
 */
public record GateResult(NDArray mask, NDArray logits, long maskerMacs) {

    /** Name of the mask array in the NDList form. */
    public static final String MASK = "mask";

    /** Name of the logits array in the NDList form. */
    public static final String LOGITS = "logits";

    /** Name of the scalar masker-MACs array in the NDList form. */
    public static final String MASKER_MACS = "masker_macs";

    /** Validates that both arrays are present. */
    public GateResult {
        if (mask == null || logits == null) {
            throw new IllegalArgumentException("mask and logits must not be null");
        }
        if (maskerMacs < 0) {
            throw new IllegalArgumentException("maskerMacs must be non-negative, got " + maskerMacs);
        }
    }

    /**
     * Returns the density: the mean of the mask over batch, groups and cells (a differentiable scalar).
     *
     * @return a scalar array
     */
    public NDArray density() {
        return mask.mean();
    }

    /**
     * Returns the result as an NDList with named arrays.
     *
     * @return {@code [mask, logits, masker_macs]}, named
     */
    public NDList toNDList() {
        mask.setName(MASK);
        logits.setName(LOGITS);
        NDArray macs = mask.getManager().create(maskerMacs);
        macs.setName(MASKER_MACS);
        return new NDList(mask, logits, macs);
    }

    /**
     * Reads a result from the named NDList a gate block returned.
     *
     * @param list the block output
     * @return the result
     * @throws IllegalArgumentException if a named array is missing
     */
    public static GateResult fromNDList(NDList list) {
        NDArray mask = list.get(MASK);
        NDArray logits = list.get(LOGITS);
        NDArray macs = list.get(MASKER_MACS);
        if (mask == null || logits == null || macs == null) {
            throw new IllegalArgumentException("gate output must contain arrays named '" + MASK + "', '" + LOGITS
                    + "' and '" + MASKER_MACS + "', got " + list.size() + " array(s)");
        }
        return new GateResult(mask, logits, macs.getLong());
    }
}
