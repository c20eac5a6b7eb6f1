package org.laudnet.core.plan;

import java.util.Arrays;
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
     * The decisions from the pooled block input, on the host: the 1x1 convolution on the {@code m x m} cell means,
     * then the keep rule. Equals {@link #keep} of {@code avgPool_k(conv1x1(x))}: the convolution commutes with the
     * average pool, its bias included.
     *
     * @param pooled the block input pooled to {@code m x m} cells {@code (B, Cin, m, m)} row-major (for a layer gate,
     *     {@code m = 1}, the global mean {@code (B, Cin)})
     * @param batch {@code B}
     * @return the 0/1 cells {@code (B, gs, m, m)}
     * @throws IllegalArgumentException if {@code pooled} has the wrong length
     */
    public float[] keepFromPooled(float[] pooled, int batch) {
        return keep(logitsFromPooled(pooled, batch), batch);
    }

    /**
     * The logits {@code conv1x1(pooled) + bias} of the pooled block input, on the host: {@code logits[b, o, c] =
     * bias[o] + sum_i w[o, i] pooled[b, i, c]}, summed in {@code float} over ascending {@code i} (for {@code m = 1}
     * exactly {@link FoldedConv#applyToRows}).
     *
     * @param pooled {@code (B, Cin, m, m)} row-major
     * @param batch {@code B}
     * @return {@code (B, 2 gs, m, m)} row-major
     * @throws IllegalArgumentException if {@code pooled} has the wrong length
     */
    public float[] logitsFromPooled(float[] pooled, int batch) {
        Checks.positive("batch", batch);
        int cells = maskSize * maskSize;
        int in = conv.inChannels();
        int outs = 2 * groups;
        if (pooled == null || pooled.length != (long) batch * in * cells) {
            throw new IllegalArgumentException("pooled must hold B x Cin x m x m = " + (long) batch * in * cells
                    + " values, got " + (pooled == null ? "null" : pooled.length));
        }
        if (maskSize == 1) {
            return conv.applyToRows(pooled, batch, false);
        }
        float[] w = conv.weight();
        float[] bias = conv.bias();
        float[] logits = new float[batch * outs * cells];
        // each input plane (copied to index 0, where the JIT vectorises the loops) added to every output's cells
        float[][] acc = new float[outs][cells];
        float[] plane = new float[cells];
        for (int b = 0; b < batch; b++) {
            for (int o = 0; o < outs; o++) {
                Arrays.fill(acc[o], bias[o]);
            }
            for (int i = 0; i < in; i++) {
                System.arraycopy(pooled, (b * in + i) * cells, plane, 0, cells);
                for (int o = 0; o < outs; o++) {
                    float wi = w[o * in + i];
                    float[] a = acc[o];
                    for (int c = 0; c < cells; c++) {
                        a[c] += wi * plane[c];
                    }
                }
            }
            for (int o = 0; o < outs; o++) {
                System.arraycopy(acc[o], 0, logits, (b * outs + o) * cells, cells);
            }
        }
        return logits;
    }
}
