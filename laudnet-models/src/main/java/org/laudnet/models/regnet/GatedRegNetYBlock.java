package org.laudnet.models.regnet;

import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.util.Checks;

/**
 * The RegNetY residual block (Radosavovic et al., "Designing Network Design Spaces", 2020) with LAUDNet gates: an
 * {@link AbstractGatedBlock} bottleneck with a grouped 3x3 convolution that carries the stride, and a
 * squeeze-excitation whose width refers to the block <em>input</em>.
 *
 * <p>Input {@code x: (B, Cin, Hin, Win)}, inner width {@code w}, group width {@code gw} ({@code g = w / gw} groups),
 * squeeze width {@code q = round(seRatio * Cin)}:
 *
 * <pre>
 *   identity = downsample ? BN(conv1x1_s(x)) : x
 *   h = ReLU(BN1(conv1_1x1(x)))                  * channelMask
 *   h = ReLU(BN2(conv2_3x3_s_groups(g)(h)))      * channelMask
 *   h = h * sigmoid(fc2(ReLU(fc1(pool_M2(h)))))   (fc1: w -> q, fc2: q -> w, 1x1 convolutions with bias)
 *   h = BN3(conv3_1x1(h))                        * M3
 *   y = ReLU(h + identity)                        : (B, Cout, Hout, Wout)
 * </pre>
 *
 * <p>Squeeze-excitation under a spatial mask (a choice of this project, not of the RegNet or LAUDNet papers): the
 * squeeze averages conv2's output over the positions the block computes ({@code M2}, see {@link AbstractGatedBlock}),
 * which is what a sparse executor can reproduce exactly. Without a spatial gate the squeeze is the plain global
 * average; with every gate open the block computes the static RegNetY block (up to the float rounding of the mean).
 * Thread safety: as every DJL block, immutable after build.
 */
public final class GatedRegNetYBlock extends AbstractGatedBlock {

    private GatedRegNetYBlock(Builder b) {
        super(b);
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder of a {@link GatedRegNetYBlock}. */
    public static final class Builder extends BaseBuilder<Builder> {
        private int inChannels;
        private int width;
        private int outChannels;
        private int inSize;
        private int stride = 1;
        private int groupWidth;
        private double seRatio = 0.25;

        private Builder() {}

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the channels: input {@code Cin}, inner width {@code w} and output {@code Cout} (required; RegNetY uses
         * {@code w = Cout}, bottleneck ratio 1).
         *
         * @param inChannels {@code Cin}
         * @param width {@code w}
         * @param outChannels {@code Cout}
         * @return this builder
         */
        public Builder setChannels(int inChannels, int width, int outChannels) {
            this.inChannels = inChannels;
            this.width = width;
            this.outChannels = outChannels;
            return this;
        }

        /**
         * Sets the (square) input size and the stride of the block (required size; stride default 1).
         *
         * @param inSize {@code Hin = Win}
         * @param stride 1 or 2, applied on the 3x3 convolution and the projection
         * @return this builder
         */
        public Builder setInput(int inSize, int stride) {
            this.inSize = inSize;
            this.stride = stride;
            return this;
        }

        /**
         * Sets the group width {@code gw} of the 3x3 convolution (required; must divide the width).
         *
         * @param groupWidth channels per group
         * @return this builder
         */
        public Builder setGroupWidth(int groupWidth) {
            this.groupWidth = groupWidth;
            return this;
        }

        /**
         * Sets the squeeze-excitation ratio relative to the block input channels (default 0.25).
         *
         * @param seRatio ratio in {@code (0, 1]}
         * @return this builder
         */
        public Builder optSeRatio(double seRatio) {
            this.seRatio = seRatio;
            return this;
        }

        /** {@inheritDoc} */
        @Override
        protected BlockGeometry geometry() {
            Checks.positive("inChannels", inChannels);
            Checks.positive("width", width);
            Checks.positive("outChannels", outChannels);
            Checks.positive("inSize", inSize);
            Checks.positive("groupWidth", groupWidth);
            Checks.divides("groupWidth", groupWidth, "width", width);
            return new BlockGeometry(BlockType.BOTTLENECK, inChannels, width, outChannels, inSize, inSize, stride,
                    width / groupWidth, StridePlacement.CONV2);
        }

        /** {@inheritDoc} */
        @Override
        protected int seChannels(BlockGeometry geometry) {
            if (!(seRatio > 0 && seRatio <= 1)) {
                throw new IllegalArgumentException("seRatio must be in (0, 1], got " + seRatio);
            }
            return Math.max(1, (int) Math.round(seRatio * geometry.inChannels()));
        }

        /**
         * Validates the configuration and builds the block.
         *
         * @return the block
         * @throws IllegalArgumentException naming the first invalid field
         */
        public GatedRegNetYBlock build() {
            validate();
            return new GatedRegNetYBlock(this);
        }
    }
}
