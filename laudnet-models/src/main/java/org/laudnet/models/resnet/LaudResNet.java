package org.laudnet.models.resnet;

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
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.block.ResidualBlockLayers;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.util.Checks;

/**
 * A latency-aware ResNet (LAUD-ResNet): a ResNet whose residual blocks carry LAUDNet gates, one {@link StageSpec}
 * per stage.
 *
 * <pre>
 *   x (B, C, H, W) -> stem (conv k/s + BN + ReLU [+ maxPool 3x3/2])
 *                  -> stage 1 .. stage n of GatedResidualBlock (first block of a stage strides)
 *                  -> global average pool -> Linear(classes)       -> logits (B, classes)
 * </pre>
 *
 * Depths 18/34 use basic blocks, 50/101 bottlenecks with the stride on the 3x3 convolution (torchvision "v1.5") or
 * on the first 1x1 (original/Keras "v1"), see {@link StridePlacement}. With every stage {@code NONE} the network
 * is the static ResNet; with fresh (open) gates it computes the static network's function.
 *
 * <p>Output: the named NDList of a {@link NetworkResult}: logits, the network's dynamic MACs, per-block densities.
 * {@link #staticMacs()} is the static network's cost (stem, blocks and head).
 */
public final class LaudResNet extends AbstractBlock implements GatedNetwork {

    private static final byte VERSION = 1;

    private final StemSpec stem;
    private final List<StageSpec> stages;
    private final int inputSize;
    private final int numClasses;
    private final Conv2d stemConv;
    private final BatchNorm stemBn;
    private final List<GatedResidualBlock> blocks;
    private final Linear head;
    private final long stemMacs;
    private final long headMacs;
    private final long staticMacs;
    private final BlockType blockType;
    private final StridePlacement stridePlacement;
    private final boolean convBias;
    private final float epsilon;
    private final long seed;

    private LaudResNet(Builder b) {
        super(VERSION);
        this.blockType = b.blockType;
        this.stridePlacement = b.stridePlacement;
        this.convBias = b.convBias;
        this.epsilon = b.epsilon;
        this.seed = b.seed;
        this.stem = b.stem;
        this.stages = List.copyOf(b.stages);
        this.inputSize = b.inputSize;
        this.numClasses = b.numClasses;
        stemConv = addChildBlock("stem_conv", Conv2d.builder()
                .setKernelShape(new Shape(stem.kernel(), stem.kernel()))
                .setFilters(stem.channels())
                .optStride(new Shape(stem.stride(), stem.stride()))
                .optPadding(new Shape(stem.kernel() / 2, stem.kernel() / 2))
                .optBias(b.convBias)
                .build());
        stemBn = addChildBlock("stem_bn", BatchNorm.builder().optEpsilon(b.epsilon).build());
        List<GatedResidualBlock> list = new ArrayList<>();
        int size = stem.outputSize(inputSize);
        int channels = stem.channels();
        long macs = 0;
        for (int s = 0; s < stages.size(); s++) {
            StageSpec st = stages.get(s);
            for (int i = 0; i < st.blocks(); i++) {
                int stride = i == 0 ? st.stride() : 1;
                BlockGeometry g = new BlockGeometry(b.blockType, channels, st.width(), st.outChannels(), size, size,
                        stride, 1, b.stridePlacement);
                GatedResidualBlock block;
                try {
                    block = GatedResidualBlock.builder()
                            .setGeometry(g)
                            .optGateSpec(st.gate())
                            .optConvBias(b.convBias)
                            .optBatchNormEpsilon(b.epsilon)
                            .optTemperature(b.temperature)
                            .optSeed(b.seed + 2L * list.size())
                            .build();
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(
                            "stage " + (s + 1) + " block " + i + " (input " + size + "x" + size + "): "
                                    + e.getMessage(), e);
                }
                list.add(addChildBlock("stage" + (s + 1) + "_block" + i, block));
                macs += block.getCost().denseMacs();
                size = g.outHeight();
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

    /** Returns the input image side the network was built for. */
    public int getInputSize() {
        return inputSize;
    }

    /** Returns the number of classes. */
    public int getNumClasses() {
        return numClasses;
    }

    /** Returns the residual block family of every stage. */
    public BlockType getBlockType() {
        return blockType;
    }

    /** Returns where downsampling bottlenecks put their stride. */
    public StridePlacement getStridePlacement() {
        return stridePlacement;
    }

    /** Returns whether every convolution has a bias. */
    public boolean hasConvBias() {
        return convBias;
    }

    /** Returns the BatchNorm epsilon of every BatchNorm. */
    public float getBatchNormEpsilon() {
        return epsilon;
    }

    /** Returns the base seed of the gates' noise. */
    public long getSeed() {
        return seed;
    }

    /** Returns the residual blocks in network order. */
    public List<GatedResidualBlock> getBlocks() {
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

    /** Returns the MACs of the static network (stem, every block dense, head). */
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
     * Runs the stem: {@code conv -> BN -> ReLU [-> maxPool]}.
     *
     * @param ps parameter store
     * @param x images {@code (B, C, H, W)}
     * @param training training mode
     * @return stem features
     */
    public NDArray runStem(ParameterStore ps, NDArray x, boolean training) {
        NDArray h = Activation.relu(apply(stemBn, ps, apply(stemConv, ps, x, training), training));
        if (stem.maxPool()) {
            int p = stem.maxPoolPadding();
            h = Pool.maxPool2d(h, new Shape(3, 3), new Shape(2, 2), new Shape(p, p), false);
        }
        return h;
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
        return getBlocks().stream().map(GatedResidualBlock::getLayers).toList();
    }

    /** {@inheritDoc} */
    @Override
    public double blockDynamicMacs(int block, BlockDensities densities) {
        return getBlocks().get(block).getCost().dynamicMacs(densities);
    }

    /**
     * Runs the network and returns a typed result.
     *
     * @param ps parameter store
     * @param x images {@code (B, C, H, W)} with {@code H = W = inputSize}
     * @param training training mode (Gumbel gates, batch statistics) or eval mode (masked dense with deterministic
     *     gates)
     * @return logits, dynamic MACs and per-block densities
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
        NDArray macs = null;
        for (GatedResidualBlock block : blocks) {
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
        Shape s = stemConv.getOutputShapes(new Shape[] {in})[0];
        stemBn.initialize(manager, dataType, s);
        int size = stem.outputSize(inputSize);
        for (GatedResidualBlock block : blocks) {
            BlockGeometry g = block.getGeometry();
            block.initialize(manager, dataType, new Shape(batch, g.inChannels(), size, size));
            size = g.outHeight();
        }
        int channels = blocks.isEmpty() ? stem.channels() : blocks.get(blocks.size() - 1).getGeometry().outChannels();
        head.initialize(manager, dataType, new Shape(batch, channels));
    }

    /** Builder of a {@link LaudResNet}. */
    public static final class Builder {
        private StemSpec stem = StemSpec.imagenet();
        private List<StageSpec> stages;
        private BlockType blockType = BlockType.BOTTLENECK;
        private StridePlacement stridePlacement = StridePlacement.CONV2;
        private int inputSize = 224;
        private int numClasses = 1000;
        private boolean convBias;
        private float epsilon = 1e-5f;
        private long seed = 1L;
        private GumbelTemperature temperature = GumbelTemperature.constant(1f);

        private Builder() {}

        /**
         * Uses the standard stage table of a ResNet depth (every stage static until gated with
         * {@link #optStageGates}).
         *
         * @param depth the depth
         * @return this builder
         */
        public Builder setDepth(ResNetDepth depth) {
            List<StageSpec> list = new ArrayList<>();
            for (int s = 0; s < 4; s++) {
                int width = ResNetDepth.WIDTHS.get(s);
                list.add(new StageSpec(depth.blocksPerStage().get(s), width, width * depth.expansion(),
                        s == 0 ? 1 : 2, GateSpec.none()));
            }
            this.stages = list;
            this.blockType = depth.blockType();
            return this;
        }

        /**
         * Sets a custom stage table (for small networks) and block family.
         *
         * @param blockType bottleneck or basic
         * @param stages one spec per stage
         * @return this builder
         */
        public Builder setStages(BlockType blockType, List<StageSpec> stages) {
            if (blockType == null || stages == null || stages.isEmpty()) {
                throw new IllegalArgumentException("blockType and a non-empty stages list are required");
            }
            this.blockType = blockType;
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
                throw new IllegalArgumentException("set the depth or the stages before the stage gates");
            }
            StageSpec.applyGates(stages, gates);
            return this;
        }

        /**
         * Sets the stem (default: the ImageNet stem).
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
         * Gives every convolution a bias (Keras weights have them; default false).
         *
         * @param convBias whether convolutions have a bias
         * @return this builder
         */
        public Builder optConvBias(boolean convBias) {
            this.convBias = convBias;
            return this;
        }

        /**
         * Sets the BatchNorm epsilon (default 1e-5; Keras uses 1e-3).
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
        public LaudResNet build() {
            if (stages == null) {
                throw new IllegalArgumentException("depth or stages must be set");
            }
            Checks.positive("inputSize", inputSize);
            Checks.positive("numClasses", numClasses);
            if (!(epsilon > 0)) {
                throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
            }
            return new LaudResNet(this);
        }
    }
}
