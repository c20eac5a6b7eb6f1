package org.laudnet.core.gate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.util.Random;
import org.laudnet.core.cost.MaskerMacsConvention;
import org.laudnet.core.plan.ChannelMasker;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.util.Checks;

/**
 * The channel masker of LAUDNet (method section 1, "Channel gate").
 *
 * <p>Input: the block input {@code x} of shape {@code (B, Cin, H, W)}. The block width {@code w} is split into
 * {@code G} contiguous groups of {@code w / G} channels; the gate returns one keep decision per sample and group:
 *
 * <pre>
 *   logits = masker(x) : (B, 2G), reshaped to (B, 2, G)   (0 = keep, 1 = skip)
 *   mask   = hard Gumbel keep (training) or keep >= skip (eval)   -> (B, G)
 * </pre>
 *
 * The masker is one of {@link ChannelMaskerKind}. The last layer's bias starts at +2 for keep and -2 for skip and its
 * weights at 0, so every group of a fresh gate is open whatever the scale of the features.
 *
 * <p>Output: the named NDList of a {@link GateResult}.
 */
public final class ChannelGate extends AbstractBlock {

    private static final byte VERSION = 1;

    /** Default keep-logit bias. */
    public static final float DEFAULT_KEEP_BIAS = 2f;

    /** Default skip-logit bias. */
    public static final float DEFAULT_SKIP_BIAS = -2f;

    /** Default reduction of the hidden width. */
    public static final int DEFAULT_REDUCTION = 16;

    private final int inputChannels;
    private final int groups;
    private final ChannelMaskerKind kind;
    private final int hidden;
    private final GumbelTemperature temperature;
    private final Block convBranch;
    private final Block head;
    /** The layers of the masker, as built (for {@link #toMasker}): CONV_LINEAR's convolution and its BatchNorm. */
    private final Conv2d maskerConv;
    private final BatchNorm maskerBn;
    /** MLP_2's hidden linear layer, or null. */
    private final Linear hiddenLinear;
    /** The last linear layer (every kind), producing the {@code 2G} logits. */
    private final Linear lastLinear;
    private Random random;

    private ChannelGate(Builder b) {
        super(VERSION);
        this.inputChannels = b.inputChannels;
        this.groups = b.groups;
        this.kind = b.kind;
        this.temperature = b.temperature();
        this.random = new Random(b.seed());
        Linear last = Linear.builder().setUnits(2L * groups).optBias(true).build();
        last.setInitializer(Initializer.ZEROS, Parameter.Type.WEIGHT);
        last.setInitializer(new KeepSkipBiasInitializer(b.keepBias, b.skipBias), Parameter.Type.BIAS);
        this.lastLinear = last;
        switch (kind) {
            case MLP_1 -> {
                this.hidden = 0;
                this.convBranch = null;
                this.maskerConv = null;
                this.maskerBn = null;
                this.hiddenLinear = null;
                this.head = addChildBlock("linear", last);
            }
            case MLP_2 -> {
                this.hidden = Math.max(groups / b.reduction, 16);
                this.convBranch = null;
                this.maskerConv = null;
                this.maskerBn = null;
                this.hiddenLinear = Linear.builder().setUnits(hidden).optBias(true).build();
                ai.djl.nn.SequentialBlock mlp = new ai.djl.nn.SequentialBlock()
                        .add(hiddenLinear)
                        .add(Activation::relu)
                        .add(last);
                this.head = addChildBlock("mlp", mlp);
            }
            case CONV_LINEAR -> {
                this.hidden = Math.max(inputChannels / b.reduction, 1);
                this.hiddenLinear = null;
                this.maskerConv = Conv2d.builder()
                        .setKernelShape(new Shape(1, 1))
                        .setFilters(hidden)
                        .optBias(false)
                        .build();
                this.maskerBn = BatchNorm.builder().build();
                this.convBranch = addChildBlock(
                        "conv",
                        new ai.djl.nn.SequentialBlock()
                                .add(maskerConv)
                                .add(maskerBn)
                                .add(Activation::relu));
                this.head = addChildBlock("linear", last);
            }
            default -> throw new IllegalArgumentException("unknown masker kind " + kind);
        }
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the number of channel groups {@code G}. */
    public int getGroups() {
        return groups;
    }

    /** Returns {@code Cin}. */
    public int getInputChannels() {
        return inputChannels;
    }

    /** Returns the masker architecture. */
    public ChannelMaskerKind getKind() {
        return kind;
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
     * MACs of the masker for an input of {@code H x W}, pooling reads included, as it computes them
     * ({@link MaskerMacsConvention#PHYSICAL}): MLP-1 {@code Cin H W + Cin 2G}; MLP-2 {@code Cin H W + Cin h + h 2G};
     * conv-linear {@code Cin h H W + h H W + h 2G} with {@code h = Cin / r}.
     *
     * @param height input height {@code H}
     * @param width input width {@code W}
     * @return the masker MACs
     */
    public long maskerMacs(int height, int width) {
        return maskerMacs(height, width, MaskerMacsConvention.PHYSICAL);
    }

    /**
     * MACs of the masker under a counting convention. The MLP maskers count alike in both; the conv-linear masker
     * counts {@code Cin h H W + h H W + h 2G} physically and {@code h H W + Cin h + h 2G} in the reference
     * implementation (its 1x1 convolution once, not per pixel; see {@link MaskerMacsConvention}).
     *
     * @param height input height {@code H}
     * @param width input width {@code W}
     * @param convention the counting convention
     * @return the masker MACs
     */
    public long maskerMacs(int height, int width, MaskerMacsConvention convention) {
        long px = (long) height * width;
        long out = 2L * groups;
        return switch (kind) {
            case MLP_1 -> inputChannels * px + inputChannels * out;
            case MLP_2 -> inputChannels * px + (long) inputChannels * hidden + hidden * out;
            case CONV_LINEAR -> convention == MaskerMacsConvention.REFERENCE
                    ? hidden * px + (long) inputChannels * hidden + hidden * out
                    : (long) inputChannels * hidden * px + hidden * px + hidden * out;
        };
    }

    /**
     * Returns the gate's eval-mode form for an inference plan: its layers as 1x1 convolutions, the conv-linear
     * masker's BatchNorm folded.
     *
     * @param parameterStore the store the BatchNorm is evaluated through
     * @return the masker
     * @throws IllegalArgumentException if the gate is not initialised
     */
    public ChannelMasker toMasker(ParameterStore parameterStore) {
        FoldedConv last = FoldedConv.of(lastLinear, 1, 1);
        return switch (kind) {
            case MLP_1 -> new ChannelMasker(kind, groups, last, null);
            case MLP_2 -> new ChannelMasker(kind, groups, FoldedConv.of(hiddenLinear, 1, 1), last);
            case CONV_LINEAR -> new ChannelMasker(kind, groups,
                    FoldedConv.fold(maskerConv, maskerBn, parameterStore, 1, 1), last);
        };
    }

    /**
     * Runs the gate and returns a typed result.
     *
     * @param parameterStore the parameter store
     * @param x block input {@code (B, Cin, H, W)}
     * @param training whether to sample with Gumbel noise (true) or apply the deterministic rule (false)
     * @return mask {@code (B, G)} and logits {@code (B, 2, G)}
     */
    public GateResult gate(ParameterStore parameterStore, NDArray x, boolean training) {
        Checks.rank("x", x, 4, "(B, Cin, H, W)");
        Shape s = x.getShape();
        if (s.get(1) != inputChannels) {
            throw new IllegalArgumentException(
                    "x must have " + inputChannels + " channels (Cin), got shape " + s);
        }
        NDArray features = convBranch == null
                ? x
                : convBranch.forward(parameterStore, new NDList(x), training).head();
        NDArray pooled = Pool.globalAvgPool2d(features);
        NDArray raw = head.forward(parameterStore, new NDList(pooled), training).head();
        NDArray logits = raw.reshape(s.get(0), 2, groups);
        NDArray mask = training
                ? GumbelSoftmax.hardKeep(
                        logits,
                        temperature.value(),
                        temperature.noiseScale(),
                        GumbelSoftmax.sampleUniform(logits.getManager(), logits.getShape(), random))
                : GumbelSoftmax.evalKeep(logits);
        return new GateResult(mask, logits, maskerMacs((int) s.get(2), (int) s.get(3)));
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
        return new Shape[] {new Shape(b, groups), new Shape(b, 2, groups), new Shape()};
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = Checks.rank("inputShape", inputShapes[0], 4, "(B, Cin, H, W)");
        long b = in.get(0);
        long pooledChannels = inputChannels;
        if (convBranch != null) {
            convBranch.initialize(manager, dataType, in);
            pooledChannels = hidden;
        }
        head.initialize(manager, dataType, new Shape(b, pooledChannels));
    }

    /** Builder of a {@link ChannelGate}. */
    public static final class Builder extends NoiseBuilder<Builder> {
        private int inputChannels;
        private int groups;
        private ChannelMaskerKind kind = ChannelMaskerKind.MLP_2;
        private int reduction = DEFAULT_REDUCTION;
        private float keepBias = DEFAULT_KEEP_BIAS;
        private float skipBias = DEFAULT_SKIP_BIAS;

        private Builder() {
            super(0xc4a11e1L);
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
         * Sets the number of channel groups {@code G} (required); it must divide the gated block's width.
         *
         * @param groups positive group count
         * @return this builder
         */
        public Builder setGroups(int groups) {
            this.groups = groups;
            return this;
        }

        /**
         * Sets the masker architecture (default {@link ChannelMaskerKind#MLP_2}).
         *
         * @param kind the masker kind
         * @return this builder
         */
        public Builder optMaskerKind(ChannelMaskerKind kind) {
            if (kind == null) {
                throw new IllegalArgumentException("kind must not be null");
            }
            this.kind = kind;
            return this;
        }

        /**
         * Sets the reduction of the hidden width (default 16).
         *
         * @param reduction positive reduction
         * @return this builder
         */
        public Builder optReduction(int reduction) {
            this.reduction = reduction;
            return this;
        }

        /**
         * Sets the initial keep and skip logit biases (default +2 and -2).
         *
         * @param keepBias bias of the keep logits
         * @param skipBias bias of the skip logits
         * @return this builder
         */
        public Builder optBiases(float keepBias, float skipBias) {
            this.keepBias = keepBias;
            this.skipBias = skipBias;
            return this;
        }



        /**
         * Validates and builds the gate.
         *
         * @return the gate
         * @throws IllegalArgumentException naming the first invalid field
         */
        public ChannelGate build() {
            Checks.positive("inputChannels", inputChannels);
            Checks.positive("groups", groups);
            Checks.positive("reduction", reduction);
            Checks.finite("keepBias", keepBias);
            Checks.finite("skipBias", skipBias);
            return new ChannelGate(this);
        }
    }
}
