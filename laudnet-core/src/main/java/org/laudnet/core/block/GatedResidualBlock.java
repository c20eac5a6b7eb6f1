package org.laudnet.core.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Optional;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.gate.ChannelGate;
import org.laudnet.core.gate.GateResult;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.gate.SpatialGate;
import org.laudnet.core.mask.MaskOps;
import org.laudnet.core.util.Checks;

/**
 * A residual block (bottleneck or basic) with LAUDNet gates, in training form: computed densely and multiplied by
 * the masks (method section 1, "Applying the gates in training"). This form makes the gates trainable; it saves no
 * time. Sparse inference executes the same block through the executors of {@code org.laudnet.core.exec}.
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
 * A basic block has {@code h = ReLU(BN1(conv1_3x3_s(x))) * channelMask; h = BN2(conv2_3x3(h)) * M3}. Densities:
 * {@code d3 = d2 = mean(M3)}, {@code d1 = mean(expand(M3))} (the positions of conv1's output that conv2 reads, see
 * {@link MaskOps#expandForConv3x3}), {@code dc = mean(channelMask)}; the dynamic MACs follow {@link BlockCost}.
 *
 * <p>Output: the named NDList of a {@link BlockResult} (block output first).
 */
public final class GatedResidualBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final BlockGeometry geometry;
    private final GateSpec gateSpec;
    private final BlockCost cost;
    private final Conv2d conv1;
    private final BatchNorm bn1;
    private final Conv2d conv2;
    private final BatchNorm bn2;
    private final Conv2d conv3;
    private final BatchNorm bn3;
    private final Conv2d downsampleConv;
    private final BatchNorm downsampleBn;
    private final SpatialGate spatialGate;
    private final ChannelGate channelGate;

    private GatedResidualBlock(Builder b) {
        super(VERSION);
        BlockGeometry g = b.geometry;
        this.geometry = g;
        this.gateSpec = b.gateSpec;
        boolean bottleneck = g.type() == BlockType.BOTTLENECK;
        int k1 = bottleneck ? 1 : 3;
        conv1 = addChildBlock("conv1", conv(k1, g.width(), g.conv1Stride(), 1, b.convBias));
        bn1 = addChildBlock("bn1", bn(b.epsilon));
        int conv2Out = bottleneck ? g.width() : g.outChannels();
        conv2 = addChildBlock("conv2", conv(3, conv2Out, g.conv2Stride(), g.convGroups(), b.convBias));
        bn2 = addChildBlock("bn2", bn(b.epsilon));
        if (bottleneck) {
            conv3 = addChildBlock("conv3", conv(1, g.outChannels(), 1, 1, b.convBias));
            bn3 = addChildBlock("bn3", bn(b.epsilon));
        } else {
            conv3 = null;
            bn3 = null;
        }
        if (g.hasDownsample()) {
            downsampleConv = addChildBlock("downsample_conv", conv(1, g.outChannels(), g.stride(), 1, b.convBias));
            downsampleBn = addChildBlock("downsample_bn", bn(b.epsilon));
        } else {
            downsampleConv = null;
            downsampleBn = null;
        }
        GateMode mode = gateSpec.mode();
        long maskerMacs = 0;
        if (mode.hasSpatialGate()) {
            spatialGate = addChildBlock(
                    "spatial_gate",
                    SpatialGate.builder()
                            .setInputChannels(g.inChannels())
                            .setMaskSize(gateSpec.maskSize(g.outHeight()))
                            .optGroups(gateSpec.spatialGroups())
                            .optTemperature(b.temperature)
                            .optSeed(b.seed)
                            .build());
            maskerMacs += spatialGate.maskerMacs(g.inHeight(), g.inWidth());
        } else {
            spatialGate = null;
        }
        if (mode.hasChannelGate()) {
            channelGate = addChildBlock(
                    "channel_gate",
                    ChannelGate.builder()
                            .setInputChannels(g.inChannels())
                            .setGroups(gateSpec.channelGroups())
                            .optMaskerKind(gateSpec.maskerKind())
                            .optTemperature(b.temperature)
                            .optSeed(b.seed + 1)
                            .build());
            maskerMacs += channelGate.maskerMacs(g.inHeight(), g.inWidth());
        } else {
            channelGate = null;
        }
        this.cost = BlockCost.of(g, maskerMacs);
    }

    private static Conv2d conv(int k, int filters, int stride, int groups, boolean bias) {
        int pad = k / 2;
        return Conv2d.builder()
                .setKernelShape(new Shape(k, k))
                .setFilters(filters)
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(pad, pad))
                .optGroups(groups)
                .optBias(bias)
                .build();
    }

    private static BatchNorm bn(float epsilon) {
        return BatchNorm.builder().optEpsilon(epsilon).build();
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the block geometry. */
    public BlockGeometry getGeometry() {
        return geometry;
    }

    /** Returns how the block is gated. */
    public GateSpec getGateSpec() {
        return gateSpec;
    }

    /** Returns the block's MAC terms, maskers included. */
    public BlockCost getCost() {
        return cost;
    }

    /** Returns conv1 (1x1 for a bottleneck, 3x3 for a basic block). */
    public Conv2d getConv1() {
        return conv1;
    }

    /** Returns the BatchNorm after conv1. */
    public BatchNorm getBn1() {
        return bn1;
    }

    /** Returns conv2 (the 3x3 convolution). */
    public Conv2d getConv2() {
        return conv2;
    }

    /** Returns the BatchNorm after conv2. */
    public BatchNorm getBn2() {
        return bn2;
    }

    /** Returns conv3 of a bottleneck; empty for a basic block. */
    public Optional<Conv2d> getConv3() {
        return Optional.ofNullable(conv3);
    }

    /** Returns the BatchNorm after conv3 of a bottleneck; empty for a basic block. */
    public Optional<BatchNorm> getBn3() {
        return Optional.ofNullable(bn3);
    }

    /** Returns the downsample convolution, if the block has one. */
    public Optional<Conv2d> getDownsampleConv() {
        return Optional.ofNullable(downsampleConv);
    }

    /** Returns the downsample BatchNorm, if the block has one. */
    public Optional<BatchNorm> getDownsampleBn() {
        return Optional.ofNullable(downsampleBn);
    }

    /** Returns the spatial (or layer) gate, if the mode has one. */
    public Optional<SpatialGate> getSpatialGate() {
        return Optional.ofNullable(spatialGate);
    }

    /** Returns the channel gate, if the mode has one. */
    public Optional<ChannelGate> getChannelGate() {
        return Optional.ofNullable(channelGate);
    }

    /**
     * Returns the block's layers as an executor reads them (no squeeze-excitation).
     *
     * @return the layer description
     */
    public ResidualBlockLayers getLayers() {
        return new ResidualBlockLayers(
                geometry,
                gateSpec,
                new ResidualBlockLayers.ConvBn(conv1, bn1),
                new ResidualBlockLayers.ConvBn(conv2, bn2),
                conv3 == null ? Optional.empty() : Optional.of(new ResidualBlockLayers.ConvBn(conv3, bn3)),
                downsampleConv == null
                        ? Optional.empty()
                        : Optional.of(new ResidualBlockLayers.ConvBn(downsampleConv, downsampleBn)),
                Optional.ofNullable(spatialGate),
                Optional.ofNullable(channelGate),
                Optional.empty());
    }

    /**
     * Runs the block and returns a typed result.
     *
     * @param ps the parameter store
     * @param x block input {@code (B, Cin, Hin, Win)}
     * @param training training mode (Gumbel sampling, batch statistics) or eval mode (deterministic gates, running
     *     statistics)
     * @return the output, masks, densities and dynamic MACs
     * @throws IllegalArgumentException if {@code x} does not match the block geometry
     */
    public BlockResult run(ParameterStore ps, NDArray x, boolean training) {
        checkInput(x);
        NDManager manager = x.getManager();
        NDArray identity = downsampleConv == null
                ? x
                : apply(downsampleBn, ps, apply(downsampleConv, ps, x, training), training);
        GateResult channel = channelGate == null ? null : channelGate.gate(ps, x, training);
        GateResult spatial = spatialGate == null ? null : spatialGate.gate(ps, x, training);

        NDArray h = Activation.relu(apply(bn1, ps, apply(conv1, ps, x, training), training));
        if (channel != null) {
            h = MaskOps.applyChannel(h, channel.mask());
        }
        h = apply(bn2, ps, apply(conv2, ps, h, training), training);
        if (conv3 != null) {
            h = Activation.relu(h);
            if (channel != null) {
                h = MaskOps.applyChannel(h, channel.mask());
            }
            h = apply(bn3, ps, apply(conv3, ps, h, training), training);
        }
        NDArray d1;
        NDArray d3;
        if (spatial != null) {
            NDArray m3 = MaskOps.upsampleNearest(spatial.mask(), geometry.outHeight(), geometry.outWidth());
            h = MaskOps.applySpatial(h, m3);
            NDArray m1 = MaskOps.expandForConv3x3(
                    m3, geometry.conv2Stride(), geometry.conv1OutHeight(), geometry.conv1OutWidth());
            d3 = spatial.density();
            d1 = m1.mean();
        } else {
            d3 = manager.create(1f);
            d1 = manager.create(1f);
        }
        NDArray dc = channel == null ? manager.create(1f) : channel.density();
        NDArray y = Activation.relu(h.add(identity));
        NDArray macs = cost.dynamicMacs(d1, d3, d3, dc);
        return new BlockResult(
                y,
                Optional.ofNullable(spatial).map(GateResult::mask),
                Optional.ofNullable(channel).map(GateResult::mask),
                d1,
                d3,
                d3,
                dc,
                macs);
    }

    private static NDArray apply(Block block, ParameterStore ps, NDArray x, boolean training) {
        return block.forward(ps, new NDList(x), training).head();
    }

    private void checkInput(NDArray x) {
        Checks.rank("x", x, 4, "(B, Cin, Hin, Win)");
        Shape s = x.getShape();
        if (s.get(1) != geometry.inChannels() || s.get(2) != geometry.inHeight() || s.get(3) != geometry.inWidth()) {
            throw new IllegalArgumentException("x must have shape (B, " + geometry.inChannels() + ", "
                    + geometry.inHeight() + ", " + geometry.inWidth() + "), got " + s);
        }
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
        long b = inputShapes[0].get(0);
        int n = 6 + (spatialGate != null ? 1 : 0) + (channelGate != null ? 1 : 0);
        Shape[] shapes = new Shape[n];
        int i = 0;
        shapes[i++] = new Shape(b, geometry.outChannels(), geometry.outHeight(), geometry.outWidth());
        if (spatialGate != null) {
            int m = spatialGate.getMaskSize();
            shapes[i++] = new Shape(b, spatialGate.getGroups(), m, m);
        }
        if (channelGate != null) {
            shapes[i++] = new Shape(b, channelGate.getGroups());
        }
        while (i < n) {
            shapes[i++] = new Shape();
        }
        return shapes;
    }

    /** {@inheritDoc} */
    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape in = Checks.rank("inputShape", inputShapes[0], 4, "(B, Cin, Hin, Win)");
        Shape s = init(conv1, manager, dataType, in);
        init(bn1, manager, dataType, s);
        s = init(conv2, manager, dataType, s);
        init(bn2, manager, dataType, s);
        if (conv3 != null) {
            s = init(conv3, manager, dataType, s);
            init(bn3, manager, dataType, s);
        }
        if (downsampleConv != null) {
            init(downsampleBn, manager, dataType, init(downsampleConv, manager, dataType, in));
        }
        if (spatialGate != null) {
            spatialGate.initialize(manager, dataType, in);
        }
        if (channelGate != null) {
            channelGate.initialize(manager, dataType, in);
        }
    }

    private static Shape init(Block block, NDManager manager, DataType dataType, Shape in) {
        block.initialize(manager, dataType, in);
        return block.getOutputShapes(new Shape[] {in})[0];
    }

    /** Builder of a {@link GatedResidualBlock}. */
    public static final class Builder {
        private BlockGeometry geometry;
        private GateSpec gateSpec = GateSpec.none();
        private boolean convBias;
        private float epsilon = 1e-5f;
        private long seed = 17L;
        private GumbelTemperature temperature = GumbelTemperature.constant(1f);

        private Builder() {}

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
         * Sets how the block is gated (default static).
         *
         * @param gateSpec the gate spec
         * @return this builder
         */
        public Builder optGateSpec(GateSpec gateSpec) {
            this.gateSpec = gateSpec;
            return this;
        }

        /**
         * Gives every convolution a bias (default false, as in torchvision; Keras ResNet-50 has biases).
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
         * Sets the seed of the gates' noise (the channel gate uses {@code seed + 1}).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the Gumbel temperature shared by the block's gates.
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
         * Validates the configuration against the geometry and builds the block.
         *
         * @return the block
         * @throws IllegalArgumentException naming the first invalid field
         */
        public GatedResidualBlock build() {
            if (geometry == null) {
                throw new IllegalArgumentException("geometry must be set");
            }
            if (gateSpec == null) {
                throw new IllegalArgumentException("gateSpec must not be null");
            }
            if (!(epsilon > 0)) {
                throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
            }
            GateMode mode = gateSpec.mode();
            if (mode.hasSpatialGate()) {
                int m = gateSpec.maskSize(geometry.outHeight());
                if (mode != GateMode.LAYER) {
                    Checks.divides(
                            "spatialGranularity", gateSpec.spatialGranularity(),
                            "block output width", geometry.outWidth());
                    Checks.divides("mask size (output size / spatialGranularity)", m,
                            "block input height", geometry.inHeight());
                }
                Checks.divides("spatialGroups", gateSpec.spatialGroups(), "outChannels", geometry.outChannels());
            }
            if (mode.hasChannelGate()) {
                Checks.divides("channelGroups", gateSpec.channelGroups(), "width", geometry.width());
            }
            return new GatedResidualBlock(this);
        }
    }
}
