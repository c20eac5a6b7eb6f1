package org.laudnet.models.regnet;

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
import org.laudnet.core.block.BlockResult;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.ResidualBlockLayers;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.util.Checks;
import org.laudnet.models.resnet.GatedNetwork;
import org.laudnet.models.resnet.NetworkResult;
import org.laudnet.models.resnet.StageSpec;
import org.laudnet.models.resnet.StemSpec;

/**
 * A latency-aware RegNetY (LAUD-RegNetY): RegNetY blocks ({@link GatedRegNetYBlock}) carrying LAUDNet gates, one
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
 *
 * <p>Output: the named NDList of a {@link NetworkResult} (logits, dynamic MACs, per-block densities).
 * {@link #staticMacs()} is the static network's cost: stem, blocks (squeeze-excitation included) and head.
 */
public final class LaudRegNet extends AbstractBlock implements GatedNetwork {

    private static final byte VERSION = 1;

    private final StemSpec stem;
    private final List<StageSpec> stages;
    private final int groupWidth;
    private final double seRatio;
    private final int inputSize;
    private final int numClasses;
    private final float epsilon;
    private final long seed;
    private final Conv2d stemConv;
    private final BatchNorm stemBn;
    private final List<GatedRegNetYBlock> blocks;
    private final Linear head;
    private final long stemMacs;
    private final long headMacs;
    private final long staticMacs;

    private LaudRegNet(Builder b) {
        super(VERSION);
        this.stem = b.stem;
        this.stages = List.copyOf(b.stages);
        this.groupWidth = b.groupWidth;
        this.seRatio = b.seRatio;
        this.inputSize = b.inputSize;
        this.numClasses = b.numClasses;
        this.epsilon = b.epsilon;
        this.seed = b.seed;
        stemConv = addChildBlock("stem_conv", Conv2d.builder()
                .setKernelShape(new Shape(stem.kernel(), stem.kernel()))
                .setFilters(stem.channels())
                .optStride(new Shape(stem.stride(), stem.stride()))
                .optPadding(new Shape(stem.kernel() / 2, stem.kernel() / 2))
                .optBias(false)
                .build());
        stemBn = addChildBlock("stem_bn", BatchNorm.builder().optEpsilon(b.epsilon).build());
        List<GatedRegNetYBlock> list = new ArrayList<>();
        int size = stem.outputSize(inputSize);
        int channels = stem.channels();
        long macs = 0;
        for (int s = 0; s < stages.size(); s++) {
            StageSpec st = stages.get(s);
            for (int i = 0; i < st.blocks(); i++) {
                GatedRegNetYBlock block;
                try {
                    block = GatedRegNetYBlock.builder()
                            .setChannels(channels, st.width(), st.outChannels())
                            .setInput(size, i == 0 ? st.stride() : 1)
                            .setGroupWidth(Math.min(groupWidth, st.width()))
                            .optSeRatio(seRatio)
                            .optGateSpec(st.gate())
                            .optBatchNormEpsilon(b.epsilon)
                            .optTemperature(b.temperature)
                            .optSeed(b.seed + 2L * list.size())
                            .build();
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("stage " + (s + 1) + " block " + i + " (input " + size + "x"
                            + size + "): " + e.getMessage(), e);
                }
                list.add(addChildBlock("stage" + (s + 1) + "_block" + i, block));
                macs += block.denseMacs();
                size = block.getGeometry().outHeight();
                channels = st.outChannels();
            }
        }
        this.blocks = Collections.unmodifiableList(list);
        head = addChildBlock("fc", Linear.builder().setUnits(numClasses).build());
        this.stemMacs = stem.macs(inputSize);
        this.headMacs = (long) channels * numClasses;
        this.staticMacs = stemMacs + macs + headMacs;
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the stage specs. */
    public List<StageSpec> getStages() {
        return stages;
    }

    /** Returns the stem spec. */
    public StemSpec getStem() {
        return stem;
    }

    /** Returns the group width of the grouped 3x3 convolutions (capped at a stage's width). */
    public int getGroupWidth() {
        return groupWidth;
    }

    /** Returns the squeeze-excitation ratio (relative to each block's input channels). */
    public double getSeRatio() {
        return seRatio;
    }

    /** Returns the input image side the network was built for. */
    public int getInputSize() {
        return inputSize;
    }

    /** Returns the number of classes. */
    public int getNumClasses() {
        return numClasses;
    }

    /** Returns the BatchNorm epsilon. */
    public float getBatchNormEpsilon() {
        return epsilon;
    }

    /** Returns the base seed of the gates' noise. */
    public long getSeed() {
        return seed;
    }

    /** Returns the blocks in network order. */
    public List<GatedRegNetYBlock> getBlocks() {
        return blocks;
    }

    /** Returns the stem convolution. */
    public Conv2d getStemConv() {
        return stemConv;
    }

    /** {@inheritDoc} */
    @Override
    public ResidualBlockLayers.ConvBn stemLayers() {
        return new ResidualBlockLayers.ConvBn(stemConv, stemBn);
    }

    /** Returns the stem BatchNorm. */
    public BatchNorm getStemBn() {
        return stemBn;
    }

    /** Returns the classifier. */
    public Linear getHead() {
        return head;
    }

    /** Returns the MACs of the static network (stem, every block dense with its squeeze-excitation, head). */
    public long staticMacs() {
        return staticMacs;
    }

    /** Returns the MACs of the stem convolution. */
    public long stemMacs() {
        return stemMacs;
    }

    /** Returns the MACs of the classifier. */
    public long headMacs() {
        return headMacs;
    }

    /**
     * Runs the stem: {@code ReLU(BN(conv(x)))}.
     *
     * @param ps parameter store
     * @param x images {@code (B, C, H, W)}
     * @param training training mode
     * @return stem features {@code (B, stemChannels, H / stride, W / stride)}
     */
    public NDArray runStem(ParameterStore ps, NDArray x, boolean training) {
        return Activation.relu(apply(stemBn, ps, apply(stemConv, ps, x, training), training));
    }

    /**
     * Runs the head: global average pool and the classifier.
     *
     * @param ps parameter store
     * @param features last stage output {@code (B, C, h, w)}
     * @param training training mode
     * @return logits {@code (B, classes)}
     */
    public NDArray runHead(ParameterStore ps, NDArray features, boolean training) {
        return apply(head, ps, Pool.globalAvgPool2d(features), training);
    }

    /** {@inheritDoc} */
    @Override
    public List<ResidualBlockLayers> blockLayers() {
        return getBlocks().stream().map(GatedRegNetYBlock::getLayers).toList();
    }

    /**
     * {@inheritDoc}
     *
     * <p>RegNetY: the bottleneck's MACs plus the squeeze-excitation's {@code dc * 2 w q}.
     */
    @Override
    public double blockDynamicMacs(int block, BlockDensities densities) {
        GatedRegNetYBlock b = getBlocks().get(block);
        return b.getCost().dynamicMacs(densities) + densities.dc() * b.seMacs();
    }

    /**
     * Runs the network and returns a typed result.
     *
     * @param ps parameter store
     * @param x images {@code (B, C, H, W)} with {@code H = W = inputSize}
     * @param training training mode (Gumbel gates, batch statistics) or eval mode (deterministic gates)
     * @return logits {@code (B, classes)}, dynamic MACs and per-block densities
     * @throws IllegalArgumentException if {@code x} does not have the expected shape
     */
    public NetworkResult run(ParameterStore ps, NDArray x, boolean training) {
        Checks.rank("x", x, 4, "(B, C, H, W)");
        Shape s = x.getShape();
        if (s.get(1) != stem.inChannels() || s.get(2) != inputSize || s.get(3) != inputSize) {
            throw new IllegalArgumentException("x must have shape (B, " + stem.inChannels() + ", " + inputSize + ", "
                    + inputSize + "), got " + s);
        }
        NDArray h = runStem(ps, x, training);
        List<NetworkResult.BlockDensityResult> results = new ArrayList<>(blocks.size());
        NDArray macs = x.getManager().create((float) (stemMacs + headMacs));
        for (GatedRegNetYBlock block : blocks) {
            BlockResult r = block.run(ps, h, training);
            h = r.output();
            results.add(NetworkResult.BlockDensityResult.of(r));
            macs = macs.add(r.dynamicMacs());
        }
        NDArray logits = runHead(ps, h, training);
        return new NetworkResult(logits, macs, List.copyOf(results));
    }

    private static NDArray apply(Block block, ParameterStore ps, NDArray x, boolean training) {
        return block.forward(ps, new NDList(x), training).head();
    }

    /** {@inheritDoc} */
    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        return run(parameterStore, inputs.head(), training).toNDList();
    }

    /** {@inheritDoc} */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] shapes = new Shape[2 + 5 * blocks.size()];
        shapes[0] = new Shape(inputShapes[0].get(0), numClasses);
        for (int i = 1; i < shapes.length; i++) {
            shapes[i] = new Shape();
        }
        return shapes;
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = Checks.rank("inputShape", inputShapes[0], 4, "(B, C, H, W)");
        long batch = in.get(0);
        stemConv.initialize(manager, dataType, in);
        stemBn.initialize(manager, dataType, stemConv.getOutputShapes(new Shape[] {in})[0]);
        int size = stem.outputSize(inputSize);
        for (GatedRegNetYBlock block : blocks) {
            block.initialize(manager, dataType, new Shape(batch, block.getGeometry().inChannels(), size, size));
            size = block.getGeometry().outHeight();
        }
        int channels = blocks.isEmpty() ? stem.channels() : blocks.get(blocks.size() - 1).getGeometry().outChannels();
        head.initialize(manager, dataType, new Shape(batch, channels));
    }

    /** Builder of a {@link LaudRegNet}. */
    public static final class Builder {
        private StemSpec stem = new StemSpec(3, RegNetVariant.STEM_WIDTH, 3, 2, false, 0);
        private List<StageSpec> stages;
        private int groupWidth;
        private double seRatio = RegNetVariant.SE_RATIO;
        private int inputSize = 224;
        private int numClasses = 1000;
        private float epsilon = 1e-5f;
        private long seed = 1L;
        private GumbelTemperature temperature = GumbelTemperature.constant(1f);

        private Builder() {}

        /**
         * Uses the stage table of a standard RegNetY (every stage static until gated with {@link #optStageGates}).
         *
         * @param variant the model
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
            this.stages = list;
            this.groupWidth = variant.groupWidth();
            return this;
        }

        /**
         * Sets a custom stage table (for small networks) and the group width.
         *
         * @param groupWidth channels per group of the 3x3 convolutions (capped at a stage's width)
         * @param stages one spec per stage
         * @return this builder
         */
        public Builder setStages(int groupWidth, List<StageSpec> stages) {
            Checks.positive("groupWidth", groupWidth);
            if (stages == null || stages.isEmpty()) {
                throw new IllegalArgumentException("stages must be a non-empty list, got " + stages);
            }
            this.groupWidth = groupWidth;
            this.stages = new ArrayList<>(stages);
            return this;
        }

        /**
         * Gates each stage; one spec per stage, in order.
         *
         * @param gates the per-stage gate specs
         * @return this builder
         */
        public Builder optStageGates(GateSpec... gates) {
            if (stages == null) {
                throw new IllegalArgumentException("set the variant or the stages before the stage gates");
            }
            StageSpec.applyGates(stages, gates);
            return this;
        }

        /**
         * Sets the stem (default: 3x3 stride-2 convolution to 32 channels, no max pool).
         *
         * @param stem the stem spec
         * @return this builder
         */
        public Builder optStem(StemSpec stem) {
            if (stem == null) {
                throw new IllegalArgumentException("stem must not be null");
            }
            this.stem = stem;
            return this;
        }

        /**
         * Sets the squeeze-excitation ratio (default 0.25).
         *
         * @param seRatio ratio in {@code (0, 1]}
         * @return this builder
         */
        public Builder optSeRatio(double seRatio) {
            this.seRatio = seRatio;
            return this;
        }

        /**
         * Sets the input image side (default 224).
         *
         * @param inputSize positive side
         * @return this builder
         */
        public Builder optInputSize(int inputSize) {
            this.inputSize = inputSize;
            return this;
        }

        /**
         * Sets the number of classes (default 1000).
         *
         * @param numClasses positive class count
         * @return this builder
         */
        public Builder optNumClasses(int numClasses) {
            this.numClasses = numClasses;
            return this;
        }

        /**
         * Sets the BatchNorm epsilon (default 1e-5).
         *
         * @param epsilon positive epsilon
         * @return this builder
         */
        public Builder optBatchNormEpsilon(float epsilon) {
            this.epsilon = epsilon;
            return this;
        }

        /**
         * Sets the base seed of the gates' noise.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the Gumbel temperature shared by every gate of the network.
         *
         * @param temperature the temperature
         * @return this builder
         */
        public Builder optTemperature(GumbelTemperature temperature) {
            if (temperature == null) {
                throw new IllegalArgumentException("temperature must not be null");
            }
            this.temperature = temperature;
            return this;
        }

        /**
         * Validates the configuration against the input size and builds the network.
         *
         * @return the network
         * @throws IllegalArgumentException naming the stage, block and field that do not fit
         */
        public LaudRegNet build() {
            if (stages == null) {
                throw new IllegalArgumentException("variant or stages must be set");
            }
            Checks.positive("inputSize", inputSize);
            Checks.positive("numClasses", numClasses);
            if (!(epsilon > 0)) {
                throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
            }
            if (!(seRatio > 0 && seRatio <= 1)) {
                throw new IllegalArgumentException("seRatio must be in (0, 1], got " + seRatio);
            }
            return new LaudRegNet(this);
        }
    }
}
