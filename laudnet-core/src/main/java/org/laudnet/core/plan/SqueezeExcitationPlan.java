package org.laudnet.core.plan;

/**
 * The squeeze-excitation of a block between conv2 and conv3 (RegNetY), as two fully connected layers:
 * {@code scale = sigmoid(fc2(ReLU(fc1(pooled))))}, {@code h = h * scale}, where {@code pooled} is the mean of conv2's
 * output over the positions the block computes. Immutable and thread-safe.
 *
 * @param fc1 the squeeze layer {@code w -> q} with bias
 * @param fc2 the excitation layer {@code q -> w} with bias
 */
public record SqueezeExcitationPlan(FoldedConv fc1, FoldedConv fc2) {

    /**
     * Validates that both layers are pointwise (ungrouped 1x1, stride 1, no padding) and that they chain.
     *
     * @throws IllegalArgumentException naming the offending layer and its fields
     */
    public SqueezeExcitationPlan {
        if (fc1 == null || fc2 == null) {
            throw new IllegalArgumentException("fc1 and fc2 must not be null, got " + fc1 + " and " + fc2);
        }
        FoldedConv.requirePointwise("squeeze-excitation fc1", fc1);
        FoldedConv.requirePointwise("squeeze-excitation fc2", fc2);
        if (fc2.inChannels() != fc1.outChannels() || fc2.outChannels() != fc1.inChannels()) {
            throw new IllegalArgumentException("squeeze-excitation layers must be w -> q -> w linear layers, got "
                    + fc1 + " and " + fc2);
        }
    }

    /** Returns the channels {@code w} it rescales. */
    public int channels() {
        return fc1.inChannels();
    }

    /** Returns the squeeze width {@code q}. */
    public int squeezeChannels() {
        return fc1.outChannels();
    }

    /**
     * Restricts the layers to some of the {@code w} channels (a channel pattern): fc1's input columns and fc2's
     * output rows.
     *
     * @param channels the kept channels, ascending
     * @return the sliced layers
     */
    public SqueezeExcitationPlan slice(int[] channels) {
        return new SqueezeExcitationPlan(fc1.slice(null, channels), fc2.slice(channels, null));
    }
}
