package org.laudnet.core.block;

import org.laudnet.core.cost.BlockGeometry;

/**
 * The ResNet residual block (bottleneck or basic) with LAUDNet gates: an {@link AbstractGatedBlock} whose shape is a
 * {@link BlockGeometry} and which has no squeeze-excitation.
 *
 * <p>Bottleneck, input {@code x: (B, Cin, Hin, Win)}:
 *
 * <pre>
 *   identity = downsample ? BN(conv1x1_s(x)) : x
 *   h = ReLU(BN1(conv1(x)))        * channelMask
 *   h = ReLU(BN2(conv2_3x3(h)))    * channelMask
 *   h = BN3(conv3(h))              * M3            (M3 = nearest upsample of the spatial gate to Hout x Wout)
 *   y = ReLU(h + identity)                          : (B, Cout, Hout, Wout)
 * </pre>
 *
 * A basic block has {@code h = ReLU(BN1(conv1_3x3_s(x))) * channelMask; h = BN2(conv2_3x3(h)) * M3}. Where the stride
 * sits in a downsampling bottleneck is the geometry's {@link StridePlacement}. Thread safety: as every DJL block,
 * immutable after build; parameters are read concurrently, trained by one trainer at a time.
 */
public final class GatedResidualBlock extends AbstractGatedBlock {

    private GatedResidualBlock(Builder b) {
        super(b);
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder of a {@link GatedResidualBlock}: the geometry is required, everything else optional. */
    public static final class Builder extends BaseBuilder<Builder> {
        private BlockGeometry geometry;

        private Builder() {}

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /** {@inheritDoc} */
        @Override
        protected BlockGeometry geometry() {
            return geometry;
        }

        /**
         * Sets the block geometry (required).
         *
         * @param geometry the geometry
         * @return this builder
         */
        public Builder setGeometry(BlockGeometry geometry) {
            this.geometry = geometry;
            return this;
        }

        /**
         * Validates the configuration against the geometry and builds the block.
         *
         * @return the block
         * @throws IllegalArgumentException naming the first invalid field
         */
        public GatedResidualBlock build() {
            validate();
            return new GatedResidualBlock(this);
        }
    }
}
