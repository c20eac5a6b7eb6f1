package org.laudnet.core.gate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * What a gate computes for one batch.
 *
 * <p>As an {@link NDList} (the form a DJL block returns) the arrays are named {@value #MASK} and {@value #LOGITS};
 * use {@link #fromNDList(NDList)} rather than positional indices.
 *
 * @param mask the hard keep mask: {@code (B, gs, m, m)} for a spatial or layer gate, {@code (B, G)} for a channel
 *     gate; values in {0, 1}, carrying the straight-through gradient in training
 * @param logits the keep/skip logits: {@code (B, 2, gs, m, m)} or {@code (B, 2, G)}
 */
public record GateResult(NDArray mask, NDArray logits) {

    /** Name of the mask array in the NDList form. */
    public static final String MASK = "mask";

    /** Name of the logits array in the NDList form. */
    public static final String LOGITS = "logits";

    /** Validates that both arrays are present. */
    public GateResult {
        if (mask == null || logits == null) {
            throw new IllegalArgumentException("mask and logits must not be null");
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
     * @return {@code [mask, logits]}, named
     */
    public NDList toNDList() {
        mask.setName(MASK);
        logits.setName(LOGITS);
        return new NDList(mask, logits);
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
        if (mask == null || logits == null) {
            throw new IllegalArgumentException("gate output must contain arrays named '" + MASK + "' and '"
                    + LOGITS + "', got " + list.getShapes().length + " array(s)");
        }
        return new GateResult(mask, logits);
    }
}
