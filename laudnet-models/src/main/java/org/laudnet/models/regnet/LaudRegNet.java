package org.laudnet.models.regnet;

import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.BlockFamily;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.util.Checks;

/**
 * The latency-aware RegNetY (LAUD-RegNetY) factory: a {@link GatedBackbone} of {@link RegNetYFamily} blocks, one
 * {@link StageSpec} per stage.
 *
 * <pre>
 *   x (B, 3, H, W) -> stem (conv 3x3/2, 32 channels + BN + ReLU)
 *                  -> stage 1 .. 4 of GatedRegNetYBlock (first block of a stage strides on its grouped 3x3 conv)
 *                  -> global average pool -> Linear(classes)         -> logits (B, classes)
 * </pre>
 *
 * The standard models are {@link RegNetVariant#Y_400MF} and {@link RegNetVariant#Y_800MF}. With every stage
 * {@code NONE} the network is the static RegNetY; with fresh (open) gates it computes the static network's function.
 * Its static MACs include the squeeze-excitations' fully connected layers.
 */
public final class LaudRegNet {

    private LaudRegNet() {}

    /** Returns a builder (RegNet stem, 224 x 224 input, 1000 classes, squeeze-excitation ratio 0.25). */
    public static Builder builder() {
        return new Builder();
    }

    /** Builder of a RegNetY backbone. */
    public static final class Builder extends GatedBackbone.BaseBuilder<Builder> {
        private int groupWidth;
        private double seRatio = RegNetVariant.SE_RATIO;

        private Builder() {
            super(new StemSpec(3, RegNetVariant.STEM_WIDTH, 3, 2, false, 0));
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /** {@inheritDoc} */
        @Override
        protected BlockFamily family() {
            return new RegNetYFamily(groupWidth, seRatio);
        }

        /**
         * Uses the stage table of a standard variant (every stage static until gated with {@link #optStageGates}).
         *
         * @param variant the variant
         * @return this builder
         */
        public Builder setVariant(RegNetVariant variant) {
            if (variant == null) {
                throw new IllegalArgumentException("variant must not be null");
            }
            List<StageSpec> list = new ArrayList<>();
            for (int s = 0; s < 4; s++) {
                int w = variant.widths().get(s);
                list.add(new StageSpec(variant.depths().get(s), w, w, 2, GateSpec.none()));
            }
            this.groupWidth = variant.groupWidth();
            return stages(list);
        }

        /**
         * Sets a custom stage table (for small networks) and its group width.
         *
         * @param groupWidth channels per group of the 3x3 convolutions (capped at a stage's width)
         * @param stages one spec per stage; RegNetY stages have {@code width == outChannels}
         * @return this builder
         */
        public Builder setStages(int groupWidth, List<StageSpec> stages) {
            Checks.positive("groupWidth", groupWidth);
            this.groupWidth = groupWidth;
            return stages(stages);
        }

        /**
         * Validates the configuration and builds the network.
         *
         * @return the network
         * @throws IllegalArgumentException if neither a variant nor a stage table is set, or naming the stage, block
         *     and field that do not fit
         */
        @Override
        public GatedBackbone build() {
            if (stages() == null) {
                throw new IllegalArgumentException("set a variant (setVariant) or a stage table (setStages) first");
            }
            return super.build();
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
    }
}
