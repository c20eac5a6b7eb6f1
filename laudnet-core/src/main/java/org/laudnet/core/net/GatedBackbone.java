package org.laudnet.core.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.BatchNormBuilder;
import org.laudnet.core.block.BlockResult;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.util.Checks;

/**
 * The one LAUD backbone class: a stem, stages of gated residual blocks built by a {@link BlockFamily}, and a
 * classification head. ResNet and RegNetY are factories that configure it (their builders extend {@link BaseBuilder}).
 *
 * <pre>
 *   x (B, C, S, S) -> stem (conv k/s + BN + ReLU [+ maxPool 3x3/2])
 *                  -> stage 1 .. stage n of family blocks (the first block of a stage strides)
 *                  -> global average pool -> Linear(classes)          -> logits (B, classes)
 * </pre>
 *
 * With every stage {@code NONE} the network is the static network; with fresh (open) gates it computes the static
 * network's function. {@link #forward} returns the logits only; {@link #run} the typed {@link NetworkResult}.
 * {@link #staticMacs()} is the static network's cost (stem, blocks and head). Children are named {@code stem_conv},
 * {@code stem_bn}, {@code stage<s>_block<i>} and {@code fc}, which fixes the parameter file layout. Thread safety: as
 * every DJL block.
 */
public final class GatedBackbone extends AbstractBlock implements GatedNetwork {

    private static final byte VERSION = 1;

    private final BlockFamily family;
    private final StemSpec stem;
    private final List<StageSpec> stages;
    private final int inputSize;
    private final int numClasses;
    private final float epsilon;
    private final long seed;
    private final Conv2d stemConv;
    private final BatchNorm stemBn;
    private final List<AbstractGatedBlock> blocks;
    private final Linear head;
    private final long stemMacs;
    private final long headMacs;
    private final long staticMacs;

    private GatedBackbone(BaseBuilder<?> b) {
        super(VERSION);
        this.family = b.family();
        this.stem = b.stem;
        this.stages = List.copyOf(b.stages);
        this.inputSize = b.inputSize;
        this.numClasses = b.numClasses;
        this.epsilon = b.epsilon();
        this.seed = b.seed();
        stemConv = addChildBlock("stem_conv", Conv2d.builder()
                .setKernelShape(new Shape(stem.kernel(), stem.kernel()))
                .setFilters(stem.channels())
                .optStride(new Shape(stem.stride(), stem.stride()))
                .optPadding(new Shape(stem.kernel() / 2, stem.kernel() / 2))
                .optBias(family.stemConvBias())
                .build());
        stemBn = addChildBlock("stem_bn", BatchNorm.builder().optEpsilon(epsilon).build());
        List<AbstractGatedBlock> list = new ArrayList<>();
        int size = stem.outputSize(inputSize);
        int channels = stem.channels();
        long macs = 0;
        for (int s = 0; s < stages.size(); s++) {
            StageSpec st = stages.get(s);
            for (int i = 0; i < st.blocks(); i++) {
                BlockSlot slot = new BlockSlot(s, i, st, channels, size, i == 0 ? st.stride() : 1, epsilon,
                        seed + 2L * list.size(), b.temperature());
                AbstractGatedBlock block;
                try {
                    block = family.newBlock(slot);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("stage " + (s + 1) + " block " + i + " (input " + size + "x"
                            + size + "): " + e.getMessage(), e);
                }
                list.add(addChildBlock("stage" + (s + 1) + "_block" + i, block));
                macs += block.denseMacs();
                size = block.getGeometry().outHeight();
                channels = block.getGeometry().outChannels();
            }
        }
        this.blocks = Collections.unmodifiableList(list);
        head = addChildBlock("fc", Linear.builder().setUnits(numClasses).build());
        this.stemMacs = stem.macs(inputSize);
        this.headMacs = StemSpec.headMacs(channels, size, size, numClasses);
        this.staticMacs = stemMacs + macs + headMacs;
    }

    /** {@inheritDoc} */
    @Override
    public BlockFamily getFamily() {
        return family;
    }

    /** {@inheritDoc} */
    @Override
    public StemSpec getStem() {
        return stem;
    }

    /** {@inheritDoc} */
    @Override
    public List<StageSpec> getStages() {
        return stages;
    }

    /** {@inheritDoc} */
    @Override
    public int getInputSize() {
        return inputSize;
    }

    /** {@inheritDoc} */
    @Override
    public int getNumClasses() {
        return numClasses;
    }

    /** {@inheritDoc} */
    @Override
    public float getBatchNormEpsilon() {
        return epsilon;
    }

    /** {@inheritDoc} */
    @Override
    public long getSeed() {
        return seed;
    }

    /** {@inheritDoc} */
    @Override
    public Conv2d getStemConv() {
        return stemConv;
    }

    /** {@inheritDoc} */
    @Override
    public BatchNorm getStemBn() {
        return stemBn;
    }

    /** {@inheritDoc} */
    @Override
    public Linear getHead() {
        return head;
    }

    /** {@inheritDoc} */
    @Override
    public List<AbstractGatedBlock> getBlocks() {
        return blocks;
    }

    /** {@inheritDoc} */
    @Override
    public long staticMacs() {
        return staticMacs;
    }

    /** {@inheritDoc} */
    @Override
    public long stemMacs() {
        return stemMacs;
    }

    /** {@inheritDoc} */
    @Override
    public long headMacs() {
        return headMacs;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray runStem(ParameterStore ps, NDArray x, boolean training) {
        NDArray h = Activation.relu(apply(stemBn, ps, apply(stemConv, ps, x, training), training));
        if (stem.maxPool()) {
            int p = stem.maxPoolPadding();
            h = Pool.maxPool2d(h, new Shape(3, 3), new Shape(2, 2), new Shape(p, p), false);
        }
        return h;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray runHead(ParameterStore ps, NDArray features, boolean training) {
        return apply(head, ps, Pool.globalAvgPool2d(features), training);
    }

    /** {@inheritDoc} */
    @Override
    public NetworkResult run(ParameterStore ps, NDArray x, boolean training) {
        checkInput(x);
        NDArray h = runStem(ps, x, training);
        List<NetworkResult.BlockDensityResult> results = new ArrayList<>(blocks.size());
        NDArray macs = null;
        for (AbstractGatedBlock block : blocks) {
            BlockResult r = block.run(ps, h, training);
            h = r.output();
            results.add(NetworkResult.BlockDensityResult.of(r));
            macs = macs == null ? r.dynamicMacs() : macs.add(r.dynamicMacs());
        }
        NDArray logits = runHead(ps, h, training);
        NDArray total = macs == null
                ? x.getManager().create((float) (stemMacs + headMacs))
                : macs.add(stemMacs + headMacs);
        return new NetworkResult(logits, total, List.copyOf(results));
    }

    private void checkInput(NDArray x) {
        Checks.rank("x", x, 4, "(B, C, H, W)");
        Shape s = x.getShape();
        if (s.get(1) != stem.inChannels() || s.get(2) != inputSize || s.get(3) != inputSize) {
            throw new IllegalArgumentException("x must have shape (B, " + stem.inChannels() + ", " + inputSize + ", "
                    + inputSize + "), got " + s);
        }
    }

    private static NDArray apply(Block block, ParameterStore ps, NDArray x, boolean training) {
        return block.forward(ps, new NDList(x), training).head();
    }

    /**
     * Returns the logits only (a singleton list named {@value NetworkResult#LOGITS}), so that the network works with
     * DJL's predictors and translators; use {@link #run} for densities and MACs.
     */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray logits = run(parameterStore, inputs.head(), training).logits();
        logits.setName(NetworkResult.LOGITS);
        return new NDList(logits);
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), numClasses)};
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = Checks.rank("inputShape", inputShapes[0], 4, "(B, C, H, W)");
        long batch = in.get(0);
        stemConv.initialize(manager, dataType, in);
        stemBn.initialize(manager, dataType, stemConv.getOutputShapes(new Shape[] {in})[0]);
        int size = stem.outputSize(inputSize);
        for (AbstractGatedBlock block : blocks) {
            block.initialize(manager, dataType, new Shape(batch, block.getGeometry().inChannels(), size, size));
            size = block.getGeometry().outHeight();
        }
        int channels = blocks.isEmpty() ? stem.channels() : blocks.get(blocks.size() - 1).getGeometry().outChannels();
        head.initialize(manager, dataType, new Shape(batch, channels));
    }

    /**
     * Returns a builder for a backbone of any block family (model files rebuild networks this way; architectures
     * offer their own builders with their stage tables, e.g. {@code LaudResNet.builder()}).
     *
     * @param family the block family
     * @param stem the stem
     * @return the builder; its stage table must be set with {@link Builder#setStages}
     */
    public static Builder builder(BlockFamily family, StemSpec stem) {
        return new Builder(family, stem);
    }

    /** A builder whose block family is given. */
    public static final class Builder extends BaseBuilder<Builder> {
        private final BlockFamily family;

        private Builder(BlockFamily family, StemSpec stem) {
            super(stem);
            if (family == null || stem == null) {
                throw new IllegalArgumentException("family and stem must not be null");
            }
            this.family = family;
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /** {@inheritDoc} */
        @Override
        protected BlockFamily family() {
            return family;
        }

        /**
         * Sets the stage table.
         *
         * @param stages one spec per stage, non-empty
         * @return this builder
         */
        public Builder setStages(List<StageSpec> stages) {
            return stages(stages);
        }
    }

    /**
     * The settings every backbone shares, with a self-typed fluent interface: an architecture's factory extends it with
     * the fields that choose its {@link BlockFamily} and default stages.
     *
     * @param <T> the concrete builder
     */
    public abstract static class BaseBuilder<T extends BaseBuilder<T>> extends BatchNormBuilder<T> {
        private StemSpec stem;
        private List<StageSpec> stages;
        private int inputSize = 224;
        private int numClasses = 1000;

        /**
         * Creates a builder with a default stem.
         *
         * @param stem the architecture's default stem
         */
        protected BaseBuilder(StemSpec stem) {
            super(1L);
            this.stem = stem;
        }

        /**
         * Returns the block family the builder's fields describe.
         *
         * @return the family
         * @throws IllegalArgumentException naming the first invalid field
         */
        protected abstract BlockFamily family();

        /**
         * Sets the stage table (each stage's blocks, widths, stride and gates).
         *
         * @param stages one spec per stage, non-empty
         * @return this builder
         */
        protected T stages(List<StageSpec> stages) {
            if (stages == null || stages.isEmpty()) {
                throw new IllegalArgumentException("stages must be a non-empty list, got " + stages);
            }
            this.stages = new ArrayList<>(stages);
            return self();
        }

        /** Returns the stage table set so far, or null. */
        protected List<StageSpec> stages() {
            return stages;
        }

        /**
         * Gates each stage; one spec per stage, in order.
         *
         * @param gates the per-stage gate specs
         * @return this builder
         * @throws IllegalArgumentException if no stage table is set or the counts differ
         */
        public T optStageGates(GateSpec... gates) {
            if (stages == null) {
                throw new IllegalArgumentException("set the stage table before the stage gates");
            }
            StageSpec.applyGates(stages, gates);
            return self();
        }

        /**
         * Sets where every stage's channel gate applies its mask (default {@link
         * ChannelMaskPlacement#AFTER_ACTIVATION}; {@link ChannelMaskPlacement#BEFORE_NORM} is the reference
         * implementation's {@code conv * mask -> BN -> ReLU}). Applies to the stage gates set so far, so call it after
         * {@link #optStageGates}.
         *
         * @param placement the placement
         * @return this builder
         * @throws IllegalArgumentException if no stage table is set or the placement is null
         */
        public T optChannelMaskPlacement(ChannelMaskPlacement placement) {
            if (stages == null) {
                throw new IllegalArgumentException("set the stage table before the channel mask placement");
            }
            if (placement == null) {
                throw new IllegalArgumentException("placement must not be null");
            }
            stages.replaceAll(st -> st.withGate(st.gate().withChannelMaskPlacement(placement)));
            return self();
        }

        /**
         * Sets the stem.
         *
         * @param stem the stem spec
         * @return this builder
         */
        public T optStem(StemSpec stem) {
            if (stem == null) {
                throw new IllegalArgumentException("stem must not be null");
            }
            this.stem = stem;
            return self();
        }

        /**
         * Sets the input image side (default 224).
         *
         * @param inputSize positive side
         * @return this builder
         */
        public T optInputSize(int inputSize) {
            this.inputSize = inputSize;
            return self();
        }

        /**
         * Sets the number of classes (default 1000).
         *
         * @param numClasses positive class count
         * @return this builder
         */
        public T optNumClasses(int numClasses) {
            this.numClasses = numClasses;
            return self();
        }

        /**
         * Validates the configuration against the input size and builds the network.
         *
         * @return the network
         * @throws IllegalArgumentException naming the stage, block and field that do not fit
         */
        public GatedBackbone build() {
            if (stages == null) {
                throw new IllegalArgumentException("the stage table must be set");
            }
            Checks.positive("inputSize", inputSize);
            Checks.positive("numClasses", numClasses);
            validateEpsilon();
            if (family() == null) {
                throw new IllegalArgumentException("the block family must be set");
            }
            return new GatedBackbone(this);
        }
    }
}
