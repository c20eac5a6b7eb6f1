package org.laudnet.core.plan;

import org.laudnet.core.util.Checks;

/**
 * The eval-mode spatial (or layer) masker of one block (method section 1, "Spatial gate"):
 *
 * <pre>
 *   logits = conv1x1(avgPool_k(x)) + bias : (B, 2 gs, m, m),  k = Hin / m  (no pooling when k = 1)
 *   cell (b, q, i, j) kept  &lt;=&gt;  logits[b, q, i, j] &gt;= logits[b, gs + q, i, j]
 * </pre>
 *
 * Channel {@code q} of the logits is group {@code q}'s keep logit, channel {@code gs + q} its skip logit. A LAYER gate
 * has {@code m = 1}. Since the 1x1 convolution commutes with the average pool, executors may apply it first.
 * Immutable and thread-safe.
 *
 * @param conv the 1x1 convolution {@code Cin -> 2 gs} with bias
 * @param maskSize {@code m}
 * @param groups {@code gs}, the mask channel groups
 */
public record SpatialMasker(FoldedConv conv, int maskSize, int groups) {

    /**
     * Validates that the convolution is pointwise (ungrouped 1x1, stride 1, no padding: the logits keep the pooled
     * input's {@code m x m} cells) and outputs {@code 2 gs} logits.
     *
     * @throws IllegalArgumentException naming the offending field and its value
     */
    public SpatialMasker {
        if (conv == null) {
            throw new IllegalArgumentException("conv must not be null");
        }
        Checks.positive("maskSize", maskSize);
        Checks.positive("groups", groups);
        FoldedConv.requirePointwise("the spatial masker", conv);
        if (conv.outChannels() != 2 * groups) {
            throw new IllegalArgumentException("the spatial masker must output 2 gs = " + 2 * groups
                    + " logits, got " + conv);
        }
    }

    /** Returns {@code Cin}. */
    public int inChannels() {
        return conv.inChannels();
    }

    /**
     * Applies the keep rule to the logits.
     *
     * @param logits {@code (B, 2 gs, m, m)} row-major
     * @param batch {@code B}
     * @return the 0/1 cells {@code (B, gs, m, m)}
     * @throws IllegalArgumentException if {@code logits} has the wrong length
     */
    public float[] keep(float[] logits, int batch) {
        int cells = maskSize * maskSize;
        if (logits.length != (long) batch * 2 * groups * cells) {
            throw new IllegalArgumentException("logits must hold B x 2gs x m x m = " + batch * 2 * groups * cells
                    + " values, got " + logits.length);
        }
        return KeepRule.keep(logits, batch, groups, cells);
    }

    /**
     * The layer gate's decisions from the pooled block input ({@code m = 1}): logits on the host, then the keep rule.
     *
     * @param pooled the global mean of the block input {@code (B, Cin)}
     * @param batch {@code B}
     * @return the 0/1 cells {@code (B, gs)}
     * @throws IllegalStateException if {@code m != 1}
     */
    public float[] keepFromPooled(float[] pooled, int batch) {
        if (maskSize != 1) {
            throw new IllegalStateException("pooled decisions need a 1x1 mask, m = " + maskSize);
        }
        return keep(conv.applyToRows(pooled, batch, false), batch);
    }
}
