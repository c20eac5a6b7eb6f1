package org.laudnet.core.gate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.util.Random;
import org.laudnet.core.cost.MaskerMacsConvention;
import org.laudnet.core.mask.MaskOps;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.plan.SpatialMasker;
import org.laudnet.core.util.Checks;

/**
 * The spatial masker of LAUDNet (method section 1, "Spatial gate"), and with a {@code 1 x 1} mask the layer gate.
 *
 * <p>Input: the block input {@code x} of shape {@code (B, Cin, H, W)}. Computation:
 *
 * <pre>
 *   p      = adaptiveAvgPool(x) to (B, Cin, m, m)  (skipped when m == H)
 *   logits = conv1x1(p) + bias : Cin -> 2 gs, reshaped to (B, 2, gs, m, m)   (0 = keep, 1 = skip)
 *   mask   = hard Gumbel keep (training) or keep >= skip (eval)              -> (B, gs, m, m)
 * </pre>
 *
 * The keep-logit bias starts at +5 and the skip-logit bias at 0, and the 1x1 convolution's weights at 0, so a fresh
 * gate's logits equal its biases: every gate starts open whatever the scale of the features, and a network with fresh
 * gates computes its static function. Gradients still reach the weights from the first step. The mask cell {@code (i,
 * j)} covers the {@code S x S} output pixels of the block with {@code S = Hout / m} (the spatial granularity). When
 * {@code m} does not divide {@code H} the pooling is adaptive (bins {@code [floor(i H / m), ceil((i + 1) H / m))},
 * {@link MaskOps#adaptiveAvgPool}) and the cells uneven ({@link MaskOps#upsampleNearest}), as in the reference.
 *
 * <p>Output: the named NDList of a {@link GateResult}.
 */
public final class SpatialGate extends AbstractBlock {

    private static final byte VERSION = 1;

    /** Default keep-logit bias: gates start open. */
    public static final float DEFAULT_KEEP_BIAS = 5f;

    private final int inputChannels;
    private final int maskSize;
    private final int groups;
    private final GumbelTemperature temperature;
    private final Conv2d conv;
    private Random random;

    private SpatialGate(Builder b) {
        super(VERSION);
        this.inputChannels = b.inputChannels;
        this.maskSize = b.maskSize;
        this.groups = b.groups;
        this.temperature = b.temperature();
        this.random = new Random(b.seed());
        this.conv = addChildBlock(
                "masker",
                Conv2d.builder().setKernelShape(new Shape(1, 1)).setFilters(2 * groups).optBias(true).build());
        conv.setInitializer(Initializer.ZEROS, Parameter.Type.WEIGHT);
        conv.setInitializer(new KeepSkipBiasInitializer(b.keepBias, 0f), Parameter.Type.BIAS);
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The layer gate: a spatial gate with a {@code 1 x 1} mask, one decision per sample for the whole branch.
     *
     * @param inputChannels {@code Cin} of the block input
     * @param temperature the shared Gumbel temperature
     * @param seed seed of the gate's noise
     * @return the gate
     */
    public static SpatialGate layerGate(int inputChannels, GumbelTemperature temperature, long seed) {
        return builder()
                .setInputChannels(inputChannels)
                .setMaskSize(1)
                .optTemperature(temperature)
                .optSeed(seed)
                .build();
    }

    /** Returns the mask side {@code m}. */
    public int getMaskSize() {
        return maskSize;
    }

    /** Returns the number of mask channel groups {@code gs}. */
    public int getGroups() {
        return groups;
    }

    /** Returns {@code Cin}. */
    public int getInputChannels() {
        return inputChannels;
    }

    /**
     * Restarts the gate's noise from a seed, so that training masks can be reproduced.
     *
     * @param seed the seed
     */
    public void reseed(long seed) {
        this.random = new Random(seed);
    }

    /**
     * MACs of the masker for an input of {@code H x W} as it computes them ({@link MaskerMacsConvention#PHYSICAL}): the
     * pooling reads ({@code Cin H W}, none when not pooled) plus the 1x1 convolution ({@code Cin * 2 gs * m * m}).
     *
     * @param height input height {@code H}
     * @param width input width {@code W}
     * @return the masker MACs
     */
    public long maskerMacs(int height, int width) {
        return maskerMacs(height, width, MaskerMacsConvention.PHYSICAL);
    }

    /**
     * MACs of the masker for an input of {@code H x W} under a counting convention:
     * {@code PHYSICAL = Cin H W [pooled] + 2 gs Cin m^2}, {@code REFERENCE = Cin m^2 + (2 gs Cin + Cin) m^2} (the
     * reference implementation's count, see {@link MaskerMacsConvention}).
     *
     * @param height input height {@code H}
     * @param width input width {@code W}
     * @param convention the counting convention
     * @return the masker MACs
     */
    public long maskerMacs(int height, int width, MaskerMacsConvention convention) {
        long cells = (long) maskSize * maskSize;
        if (convention == MaskerMacsConvention.REFERENCE) {
            return inputChannels * cells + (2L * groups * inputChannels + inputChannels) * cells;
        }
        long pool = height == maskSize && width == maskSize ? 0 : (long) inputChannels * height * width;
        return pool + (long) inputChannels * 2 * groups * cells;
    }

    /**
     * Returns the gate's eval-mode form for an inference plan: its 1x1 masker convolution and mask shape.
     *
     * @return the masker
     * @throws IllegalArgumentException if the gate is not initialised
     */
    public SpatialMasker toMasker() {
        return new SpatialMasker(FoldedConv.of(conv, 1, 1), maskSize, groups);
    }

    /**
     * Runs the gate and returns a typed result.
     *
     * @param parameterStore the parameter store
     * @param x block input {@code (B, Cin, H, W)}
     * @param training whether to sample with Gumbel noise (true) or apply the deterministic rule (false)
     * @return mask {@code (B, gs, m, m)} and logits {@code (B, 2, gs, m, m)}
     */
    public GateResult gate(ParameterStore parameterStore, NDArray x, boolean training) {
        Checks.rank("x", x, 4, "(B, Cin, H, W)");
        Shape s = x.getShape();
        if (s.get(1) != inputChannels) {
            throw new IllegalArgumentException(
                    "x must have " + inputChannels + " channels (Cin), got shape " + s);
        }
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        if (maskSize > h || maskSize > w) {
            throw new IllegalArgumentException("maskSize (" + maskSize + ") exceeds the input " + h + "x" + w);
        }
        NDArray pooled = MaskOps.adaptiveAvgPool(x, maskSize, maskSize);
        NDArray raw = conv.forward(parameterStore, new NDList(pooled), training).head();
        NDArray logits = raw.reshape(s.get(0), 2, groups, maskSize, maskSize);
        NDArray mask = training
                ? GumbelSoftmax.hardKeep(
                        logits,
                        temperature.value(),
                        temperature.noiseScale(),
                        GumbelSoftmax.sampleUniform(logits.getManager(), logits.getShape(), random))
                : GumbelSoftmax.evalKeep(logits);
        return new GateResult(mask, logits, maskerMacs(h, w));
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        return gate(parameterStore, inputs.head(), training).toNDList();
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        long b = inputShapes[0].get(0);
        return new Shape[] {
            new Shape(b, groups, maskSize, maskSize), new Shape(b, 2, groups, maskSize, maskSize), new Shape()
        };
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(
            ai.djl.ndarray.NDManager manager, DataType dataType, Shape... inputShapes) {
        Checks.rank("inputShape", inputShapes[0], 4, "(B, Cin, H, W)");
        conv.initialize(manager, dataType, new Shape(inputShapes[0].get(0), inputChannels, maskSize, maskSize));
    }

    /** Builder of a {@link SpatialGate}. */
    public static final class Builder extends NoiseBuilder<Builder> {
        private int inputChannels;
        private int maskSize;
        private int groups = 1;
        private float keepBias = DEFAULT_KEEP_BIAS;

        private Builder() {
            super(0x5eedL);
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets {@code Cin}, the channels of the block input (required).
         *
         * @param inputChannels positive channel count
         * @return this builder
         */
        public Builder setInputChannels(int inputChannels) {
            this.inputChannels = inputChannels;
            return this;
        }

        /**
         * Sets the mask side {@code m = Hout / S} (required; 1 gives the layer gate).
         *
         * @param maskSize positive mask side
         * @return this builder
         */
        public Builder setMaskSize(int maskSize) {
            this.maskSize = maskSize;
            return this;
        }

        /**
         * Sets the number of mask channel groups {@code gs} (default 1).
         *
         * @param groups positive group count; must divide the gated block's output channels
         * @return this builder
         */
        public Builder optGroups(int groups) {
            this.groups = groups;
            return this;
        }

        /**
         * Sets the initial keep-logit bias (default +5; skip-logit bias is 0).
         *
         * @param keepBias finite bias
         * @return this builder
         */
        public Builder optKeepBias(float keepBias) {
            this.keepBias = keepBias;
            return this;
        }



        /**
         * Validates and builds the gate.
         *
         * @return the gate
         * @throws IllegalArgumentException naming the first invalid field
         */
        public SpatialGate build() {
            Checks.positive("inputChannels", inputChannels);
            Checks.positive("maskSize", maskSize);
            Checks.positive("groups", groups);
            Checks.finite("keepBias", keepBias);
            return new SpatialGate(this);
        }
    }
}
