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
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Optional;
import org.laudnet.core.block.BlockResult;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.ResidualBlockLayers;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.gate.ChannelGate;
import org.laudnet.core.gate.GateResult;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.gate.SpatialGate;
import org.laudnet.core.mask.MaskOps;
import org.laudnet.core.util.Checks;
import org.laudnet.core.util.ScalarOps;

/**
 * The RegNetY residual block (Radosavovic et al., "Designing Network Design Spaces", 2020) with LAUDNet gates, in
 * training form (computed densely, multiplied by the masks; method section 1).
 *
 * <p>Input {@code x: (B, Cin, Hin, Win)}, inner width {@code w}, group width {@code gw} ({@code g = w / gw} groups),
 * squeeze width {@code q = round(seRatio * Cin)} (the squeeze-excitation ratio refers to the block <em>input</em>):
 *
 * <pre>
 *   identity = downsample ? BN(conv1x1_s(x)) : x
 *   h = ReLU(BN1(conv1_1x1(x)))                  * channelMask
 *   h = ReLU(BN2(conv2_3x3_s_groups(g)(h)))      * channelMask
 *   h = h * sigmoid(fc2(ReLU(fc1(pool_M2(h)))))   (squeeze-excitation; fc1: w -> q, fc2: q -> w, 1x1 convs with bias)
 *   h = BN3(conv3_1x1(h))                        * M3
 *   y = ReLU(h + identity)                        : (B, Cout, Hout, Wout)
 *
 *   pool_M2(h)[b, c] = sum_p h[b, c, p] M2[b, p] / max(sum_p M2[b, p], 1)
 * </pre>
 *
 * The gates are those of {@link org.laudnet.core.block.GatedResidualBlock}: a spatial (or layer) gate whose mask
 * {@code M3} multiplies conv3's BatchNorm output, a channel gate whose mask multiplies conv1's and conv2's outputs.
 *
 * <p>Squeeze-excitation under a spatial mask (a choice of this project, not of the RegNet or LAUDNet papers): the
 * squeeze averages the (channel-masked) conv2 output over the positions the block computes, {@code M2 = M3} (the
 * spatial mask nearest-upsampled to conv2's output resolution {@code Hout x Wout}; with several spatial mask groups,
 * their union), instead of over every position. A sparse executor computes conv2 only at those positions, so this
 * form is what it can reproduce exactly. Without a spatial gate {@code M2 = 1} and the squeeze is the plain global
 * average; with every gate open the block computes the static RegNetY block (up to the float rounding of the
 * mean). A closed layer gate (or an empty spatial mask) gives {@code pool = 0}, whose output {@code M3} discards.
 * Densities are those of a bottleneck ({@code d1 = mean(expand(M3))}, {@code d2 = d3 = mean(M3)},
 * {@code dc = mean(channelMask)}); the dynamic MACs are {@link BlockCost} of the grouped bottleneck plus the
 * squeeze-excitation's {@code dc * 2 w q} (its pooling reads are not counted, as in the usual RegNet MAC counts).
 *
 * <p>Output: the named NDList of a {@link BlockResult} (block output first).
 */
public final class GatedRegNetYBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final BlockGeometry geometry;
    private final GateSpec gateSpec;
    private final int seChannels;
    private final BlockCost cost;
    private final long seMacs;
    private final Conv2d conv1;
    private final BatchNorm bn1;
    private final Conv2d conv2;
    private final BatchNorm bn2;
    private final Conv2d seFc1;
    private final Conv2d seFc2;
    private final Conv2d conv3;
    private final BatchNorm bn3;
    private final Conv2d downsampleConv;
    private final BatchNorm downsampleBn;
    private final SpatialGate spatialGate;
    private final ChannelGate channelGate;

    private GatedRegNetYBlock(Builder b) {
        super(VERSION);
        BlockGeometry g = b.geometry;
        this.geometry = g;
        this.gateSpec = b.gateSpec;
        this.seChannels = b.seChannels;
        conv1 = addChildBlock("conv1", conv(1, g.width(), 1, 1, false));
        bn1 = addChildBlock("bn1", bn(b.epsilon));
        conv2 = addChildBlock("conv2", conv(3, g.width(), g.stride(), g.convGroups(), false));
        bn2 = addChildBlock("bn2", bn(b.epsilon));
        seFc1 = addChildBlock("se_fc1", conv(1, seChannels, 1, 1, true));
        seFc2 = addChildBlock("se_fc2", conv(1, g.width(), 1, 1, true));
        conv3 = addChildBlock("conv3", conv(1, g.outChannels(), 1, 1, false));
        bn3 = addChildBlock("bn3", bn(b.epsilon));
        if (g.hasDownsample()) {
            downsampleConv = addChildBlock("downsample_conv", conv(1, g.outChannels(), g.stride(), 1, false));
            downsampleBn = addChildBlock("downsample_bn", bn(b.epsilon));
        } else {
            downsampleConv = null;
            downsampleBn = null;
        }
        GateMode mode = gateSpec.mode();
        long maskerMacs = 0;
        if (mode.hasSpatialGate()) {
            spatialGate = addChildBlock("spatial_gate", SpatialGate.builder()
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
            channelGate = addChildBlock("channel_gate", ChannelGate.builder()
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
        this.seMacs = 2L * g.width() * seChannels;
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

    /** Returns the block geometry (a grouped bottleneck with the stride on the 3x3 convolution). */
    public BlockGeometry getGeometry() {
        return geometry;
    }

    /** Returns how the block is gated. */
    public GateSpec getGateSpec() {
        return gateSpec;
    }

    /** Returns the squeeze width {@code q} of the squeeze-excitation. */
    public int getSeChannels() {
        return seChannels;
    }

    /** Returns the MAC terms of the convolutions and maskers (squeeze-excitation excluded, see {@link #seMacs()}). */
    public BlockCost getCost() {
        return cost;
    }

    /** Returns the dense MACs of the squeeze-excitation's two fully connected layers, {@code 2 w q}. */
    public long seMacs() {
        return seMacs;
    }

    /** Returns the MACs of the static block: {@code cost.denseMacs() + seMacs()}. */
    public long denseMacs() {
        return cost.denseMacs() + seMacs;
    }

    /** Returns conv1 (1x1, {@code Cin -> w}). */
    public Conv2d getConv1() {
        return conv1;
    }

    /** Returns the BatchNorm after conv1. */
    public BatchNorm getBn1() {
        return bn1;
    }

    /** Returns conv2 (grouped 3x3, stride s, {@code w -> w}). */
    public Conv2d getConv2() {
        return conv2;
    }

    /** Returns the BatchNorm after conv2. */
    public BatchNorm getBn2() {
        return bn2;
    }

    /** Returns the squeeze layer of the squeeze-excitation (1x1 conv with bias, {@code w -> q}). */
    public Conv2d getSeFc1() {
        return seFc1;
    }

    /** Returns the excitation layer of the squeeze-excitation (1x1 conv with bias, {@code q -> w}). */
    public Conv2d getSeFc2() {
        return seFc2;
    }

    /** Returns conv3 (1x1, {@code w -> Cout}). */
    public Conv2d getConv3() {
        return conv3;
    }

    /** Returns the BatchNorm after conv3. */
    public BatchNorm getBn3() {
        return bn3;
    }

    /** Returns the downsample (projection) convolution, if the block has one. */
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
     * Returns the block's layers as a sparse executor reads them (a bottleneck with squeeze-excitation), e.g. for
     * {@code org.laudnet.core.exec.BlockExecutor.Builder#setLayers}.
     *
     * @return the layer description
     */
    public ResidualBlockLayers getLayers() {
        return new ResidualBlockLayers(
                geometry,
                gateSpec,
                new ResidualBlockLayers.ConvBn(conv1, bn1),
                new ResidualBlockLayers.ConvBn(conv2, bn2),
                Optional.of(new ResidualBlockLayers.ConvBn(conv3, bn3)),
                downsampleConv == null
                        ? Optional.empty()
                        : Optional.of(new ResidualBlockLayers.ConvBn(downsampleConv, downsampleBn)),
                Optional.ofNullable(spatialGate),
                Optional.ofNullable(channelGate),
                Optional.of(new ResidualBlockLayers.SqueezeExcitation(seFc1, seFc2)));
    }

    /**
     * Runs the block and returns a typed result.
     *
     * @param ps the parameter store
     * @param x block input {@code (B, Cin, Hin, Win)}
     * @param training training mode (Gumbel sampling, batch statistics) or eval mode (deterministic gates, running
     *     statistics)
     * @return the output {@code (B, Cout, Hout, Wout)}, masks, densities and dynamic MACs
     * @throws IllegalArgumentException if {@code x} does not match the block geometry
     */
    public BlockResult run(ParameterStore ps, NDArray x, boolean training) {
        Checks.rank("x", x, 4, "(B, Cin, Hin, Win)");
        Shape s = x.getShape();
        if (s.get(1) != geometry.inChannels() || s.get(2) != geometry.inHeight() || s.get(3) != geometry.inWidth()) {
            throw new IllegalArgumentException("x must have shape (B, " + geometry.inChannels() + ", "
                    + geometry.inHeight() + ", " + geometry.inWidth() + "), got " + s);
        }
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
        h = Activation.relu(apply(bn2, ps, apply(conv2, ps, h, training), training));
        if (channel != null) {
            h = MaskOps.applyChannel(h, channel.mask());
        }
        NDArray m3 = null;
        NDArray m2 = null;
        if (spatial != null) {
            m3 = MaskOps.upsampleNearest(spatial.mask(), geometry.outHeight(), geometry.outWidth());
            m2 = m3.getShape().get(1) == 1 ? m3 : m3.max(new int[] {1}, true);
        }
        h = squeezeExcite(ps, h, m2, training);
        h = apply(bn3, ps, apply(conv3, ps, h, training), training);
        NDArray d1;
        NDArray d3;
        if (spatial != null) {
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
        NDArray macs = cost.dynamicMacs(d1, d3, d3, dc).add(ScalarOps.mul(dc, seMacs));
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

    /**
     * The squeeze-excitation: {@code h * sigmoid(fc2(ReLU(fc1(pool_M2(h)))))} with the masked mean
     * {@code pool_M2(h)[b, c] = sum_p h[b, c, p] M2[b, p] / max(sum_p M2[b, p], 1)}.
     *
     * @param ps the parameter store
     * @param h conv2's activated output {@code (B, w, Hout, Wout)}
     * @param m2 the positions the block computes {@code (B, 1, Hout, Wout)}, or null for every position (the plain
     *     global average pool)
     * @param training training mode
     * @return the rescaled activations, same shape
     */
    NDArray squeezeExcite(ParameterStore ps, NDArray h, NDArray m2, boolean training) {
        Shape s = h.getShape();
        NDArray pooled;
        if (m2 == null) {
            pooled = Pool.globalAvgPool2d(h).reshape(s.get(0), s.get(1), 1, 1);
        } else {
            NDArray count = ScalarOps.maximum(m2.sum(new int[] {2, 3}, true), 1);
            pooled = h.mul(m2).sum(new int[] {2, 3}, true).div(count);
        }
        NDArray z = Activation.relu(apply(seFc1, ps, pooled, training));
        NDArray scale = Activation.sigmoid(apply(seFc2, ps, z, training));
        return h.mul(scale);
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
        Shape pooled = new Shape(in.get(0), geometry.width(), 1, 1);
        init(seFc2, manager, dataType, init(seFc1, manager, dataType, pooled));
        s = init(conv3, manager, dataType, s);
        init(bn3, manager, dataType, s);
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

    /** Builder of a {@link GatedRegNetYBlock}. */
    public static final class Builder {
        private int inChannels;
        private int width;
        private int outChannels;
        private int inSize;
        private int stride = 1;
        private int groupWidth;
        private double seRatio = 0.25;
        private GateSpec gateSpec = GateSpec.none();
        private float epsilon = 1e-5f;
        private long seed = 17L;
        private GumbelTemperature temperature = GumbelTemperature.constant(1f);
        private BlockGeometry geometry;
        private int seChannels;

        private Builder() {}

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
         * Validates the configuration and builds the block.
         *
         * @return the block
         * @throws IllegalArgumentException naming the first invalid field
         */
        public GatedRegNetYBlock build() {
            Checks.positive("inChannels", inChannels);
            Checks.positive("width", width);
            Checks.positive("outChannels", outChannels);
            Checks.positive("inSize", inSize);
            Checks.positive("groupWidth", groupWidth);
            Checks.divides("groupWidth", groupWidth, "width", width);
            if (!(seRatio > 0 && seRatio <= 1)) {
                throw new IllegalArgumentException("seRatio must be in (0, 1], got " + seRatio);
            }
            if (gateSpec == null) {
                throw new IllegalArgumentException("gateSpec must not be null");
            }
            if (!(epsilon > 0)) {
                throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
            }
            geometry = new BlockGeometry(BlockType.BOTTLENECK, inChannels, width, outChannels, inSize, inSize, stride,
                    width / groupWidth, StridePlacement.CONV2);
            seChannels = Math.max(1, (int) Math.round(seRatio * inChannels));
            GateMode mode = gateSpec.mode();
            if (mode.hasSpatialGate()) {
                int m = gateSpec.maskSize(geometry.outHeight());
                if (mode != GateMode.LAYER) {
                    Checks.divides("mask size (output size / spatialGranularity)", m,
                            "block input height", geometry.inHeight());
                }
                Checks.divides("spatialGroups", gateSpec.spatialGroups(), "outChannels", outChannels);
            }
            if (mode.hasChannelGate()) {
                Checks.divides("channelGroups", gateSpec.channelGroups(), "width", width);
            }
            return new GatedRegNetYBlock(this);
        }
    }
}
