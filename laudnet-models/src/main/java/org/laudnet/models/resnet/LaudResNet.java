package org.laudnet.models.resnet;

import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.net.BlockFamily;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;

/**
 * The latency-aware ResNet (LAUD-ResNet) factory: a {@link GatedBackbone} of {@link ResNetFamily} blocks, one
 * {@link StageSpec} per stage.
 *
 * <pre>
 *   x (B, C, H, W) -> stem (conv k/s + BN + ReLU [+ maxPool 3x3/2])
 *                  -> stage 1 .. stage n of gated residual blocks (first block of a stage strides)
 *                  -> global average pool -> Linear(classes)       -> logits (B, classes)
 * </pre>
 *
 * Depths 18/34 use basic blocks, 50/101 bottlenecks with the stride on the 3x3 convolution (torchvision "v1.5") or on
 * the first 1x1 (original/Keras "v1"), see {@link StridePlacement}. With every stage {@code NONE} the network is the
 * static ResNet; with fresh (open) gates it computes the static network's function.
 *
 * <pre>{@code
 * GatedBackbone net = LaudResNet.builder()
 *         .setDepth(ResNetDepth.RESNET50)
 *         .optStageGates(GateSpec.spatial(4), GateSpec.spatial(4), GateSpec.spatial(2), GateSpec.layer())
 *         .build();
 * }</pre>
 */
public final class LaudResNet {

    private LaudResNet() {}

    /** Returns a builder (ImageNet stem, 224 x 224 input, 1000 classes, v1.5 bottlenecks, no convolution bias). */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder of a ResNet backbone. */
    public static final class Builder extends GatedBackbone.BaseBuilder<Builder> {
        private BlockType blockType = BlockType.BOTTLENECK;
        private StridePlacement stridePlacement = StridePlacement.CONV2;
        private boolean convBias;

        private Builder() {
            super(StemSpec.imagenet());
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /** {@inheritDoc} */
        @Override
        protected BlockFamily family() {
            return new ResNetFamily(blockType, stridePlacement, convBias);
        }

        /**
         * Uses the standard stage table of a ResNet depth (every stage static until gated with
         * {@link #optStageGates}).
         *
         * @param depth the depth
         * @return this builder
         */
        public Builder setDepth(ResNetDepth depth) {
            if (depth == null) {
                throw new IllegalArgumentException("depth must not be null");
            }
            List<StageSpec> list = new ArrayList<>();
            for (int s = 0; s < 4; s++) {
                int width = ResNetDepth.WIDTHS.get(s);
                list.add(new StageSpec(depth.blocksPerStage().get(s), width, width * depth.expansion(),
                        s == 0 ? 1 : 2, GateSpec.none()));
            }
            this.blockType = depth.blockType();
            return stages(list);
        }

        /**
         * Sets a custom stage table (for small networks) and block family.
         *
         * @param blockType bottleneck or basic
         * @param stages one spec per stage
         * @return this builder
         */
        public Builder setStages(BlockType blockType, List<StageSpec> stages) {
            if (blockType == null) {
                throw new IllegalArgumentException("blockType must not be null");
            }
            this.blockType = blockType;
            return stages(stages);
        }

        /**
         * Validates the configuration and builds the network.
         *
         * @return the network
         * @throws IllegalArgumentException if neither a depth nor a stage table is set, or naming the stage, block and
         *     field that do not fit
         */
        @Override
        public GatedBackbone build() {
            if (stages() == null) {
                throw new IllegalArgumentException("set a depth (setDepth) or a stage table (setStages) first");
            }
            return super.build();
        }

        /**
         * Sets where downsampling bottlenecks put their stride (default v1.5, on the 3x3 convolution).
         *
         * @param placement the stride placement
         * @return this builder
         */
        public Builder optStridePlacement(StridePlacement placement) {
            if (placement == null) {
                throw new IllegalArgumentException("placement must not be null");
            }
            this.stridePlacement = placement;
            return this;
        }

        /**
         * Gives every convolution a bias (Keras weights have them; default false).
         *
         * @param convBias whether convolutions have a bias
         * @return this builder
         */
        public Builder optConvBias(boolean convBias) {
            this.convBias = convBias;
            return this;
        }
    }
}
