package org.laudnet.cuda.plan;

/**
 * The channel masker of a block (method section 1, "Channel gate"), BatchNorm folded: logits {@code (B, 2G)} with the
 * keep logit of group {@code g} at {@code g} and the skip logit at {@code G + g}; a group is kept when
 * {@code keep >= skip}.
 *
 * <ul>
 *   <li>{@link Kind#MLP_1}: {@code logits = L1(gap(x))}.
 *   <li>{@link Kind#MLP_2}: {@code logits = L2(ReLU(L1(gap(x))))}.
 *   <li>{@link Kind#CONV_LINEAR}: {@code logits = L2(gap(ReLU(conv1x1(x))))} with the conv's BatchNorm folded.
 * </ul>
 *
 * @param kind the architecture
 * @param groups {@code G}
 * @param first {@code L1} (a linear layer) or the 1x1 convolution of CONV_LINEAR
 * @param second {@code L2}, or {@code null} for MLP_1
 */
public record ChannelMasker(Kind kind, int groups, PlanConv first, PlanConv second) {

    /** Channel masker architectures. */
    public enum Kind {
        /** One linear layer on pooled features. */
        MLP_1,
        /** Two linear layers with a ReLU on pooled features. */
        MLP_2,
        /** 1x1 convolution + ReLU, pooling, linear layer. */
        CONV_LINEAR
    }

    /** Validates that the layers fit the kind and produce {@code 2G} logits. */
    public ChannelMasker {
        if (kind == null || first == null) {
            throw new IllegalArgumentException("kind and first must not be null");
        }
        if (groups <= 0) {
            throw new IllegalArgumentException("groups must be positive, got " + groups);
        }
        if (first.kernel() != 1) {
            throw new IllegalArgumentException("first must be a 1x1 layer, got kernel " + first.kernel());
        }
        PlanConv last = kind == Kind.MLP_1 ? first : second;
        if (kind != Kind.MLP_1 && (second == null || second.inChannels() != first.outChannels())) {
            throw new IllegalArgumentException("second must take the " + first.outChannels()
                    + " outputs of first, got " + (second == null ? "null" : second.inChannels()));
        }
        if (kind == Kind.MLP_1 && second != null) {
            throw new IllegalArgumentException("MLP_1 has no second layer");
        }
        if (last.outChannels() != 2 * groups) {
            throw new IllegalArgumentException("the last layer must output 2G = " + 2 * groups + " logits, got "
                    + last.outChannels());
        }
    }
}
