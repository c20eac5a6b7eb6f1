package org.laudnet.core.plan;

import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.util.Checks;

/**
 * The eval-mode channel masker of one block (method section 1, "Channel gate"), BatchNorm folded: logits
 * {@code (B, 2G)} with the keep logit of group {@code g} at {@code g} and the skip logit at {@code G + g}; a group is
 * kept when {@code keep >= skip}.
 *
 * <ul>
 *   <li>{@link ChannelMaskerKind#MLP_1}: {@code logits = L1(gap(x))}.
 *   <li>{@link ChannelMaskerKind#MLP_2}: {@code logits = L2(ReLU(L1(gap(x))))}.
 *   <li>{@link ChannelMaskerKind#CONV_LINEAR}: {@code logits = L2(gap(ReLU(conv1x1(x))))}, the convolution's
 *       BatchNorm folded.
 * </ul>
 *
 * The pooling (and the 1x1 convolution of CONV_LINEAR) runs on the executor's backend; the small linear layers run on
 * the host ({@link #keepFromPooled}). Immutable and thread-safe.
 *
 * @param kind the architecture
 * @param groups {@code G}
 * @param first {@code L1} (a linear layer as 1x1) or the 1x1 convolution of CONV_LINEAR
 * @param second {@code L2}, or {@code null} for MLP_1
 */
public record ChannelMasker(ChannelMaskerKind kind, int groups, FoldedConv first, FoldedConv second) {

    /**
     * Validates that the layers fit the kind, are pointwise (ungrouped 1x1, stride 1, no padding) and produce
     * {@code 2G} logits.
     *
     * @throws IllegalArgumentException naming the offending field and its value
     */
    public ChannelMasker {
        if (kind == null || first == null) {
            throw new IllegalArgumentException("kind and first must not be null, got " + kind + " and " + first);
        }
        Checks.positive("groups", groups);
        FoldedConv.requirePointwise("the channel masker's first layer", first);
        if (kind == ChannelMaskerKind.MLP_1 && second != null) {
            throw new IllegalArgumentException("MLP_1 has no second layer, got " + second);
        }
        if (kind != ChannelMaskerKind.MLP_1) {
            if (second == null || second.inChannels() != first.outChannels()) {
                throw new IllegalArgumentException("second must take the " + first.outChannels()
                        + " outputs of first, got " + second);
            }
            FoldedConv.requirePointwise("the channel masker's second layer", second);
        }
        FoldedConv last = kind == ChannelMaskerKind.MLP_1 ? first : second;
        if (last.outChannels() != 2 * groups) {
            throw new IllegalArgumentException("the last layer must output 2G = " + 2 * groups + " logits, got "
                    + last.outChannels());
        }
    }

    /** Returns {@code Cin}. */
    public int inChannels() {
        return first.inChannels();
    }

    /** Returns the 1x1 convolution (with ReLU) the backend runs before pooling: CONV_LINEAR's first layer, or null. */
    public FoldedConv engineConv() {
        return kind == ChannelMaskerKind.CONV_LINEAR ? first : null;
    }

    /**
     * The decisions from pooled features: the host layers, then the keep rule.
     *
     * @param pooled {@code (B, C)}: the global mean of the block input, or for CONV_LINEAR of
     *     {@code ReLU(engineConv(x))}
     * @param batch {@code B}
     * @return the 0/1 group mask {@code (B, G)}
     */
    public float[] keepFromPooled(float[] pooled, int batch) {
        float[] logits = switch (kind) {
            case MLP_1 -> first.applyToRows(pooled, batch, false);
            case MLP_2 -> second.applyToRows(first.applyToRows(pooled, batch, true), batch, false);
            case CONV_LINEAR -> second.applyToRows(pooled, batch, false);
        };
        return KeepRule.keep(logits, batch, groups, 1);
    }
}
