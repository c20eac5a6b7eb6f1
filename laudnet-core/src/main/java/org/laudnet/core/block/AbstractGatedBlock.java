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
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Optional;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.cost.MaskerMacsConvention;
import org.laudnet.core.gate.ChannelGate;
import org.laudnet.core.gate.GateResult;
import org.laudnet.core.gate.SpatialGate;
import org.laudnet.core.mask.MaskOps;
import org.laudnet.core.util.Checks;
import org.laudnet.core.util.ScalarOps;

/**
 * The gated residual block that every LAUD backbone is made of, in training form: computed densely and multiplied by
 * the masks (method section 1, "Applying the gates in training"). Subclasses only say how the block's shape is chosen
 * ({@link GatedResidualBlock} for ResNet basic blocks and bottlenecks, a RegNetY block with squeeze-excitation in the
 * models module); the layers, the gates and the computation live here once.
 *
 * <p>Input {@code x: (B, Cin, Hin, Win)}, inner width {@code w}, output {@code (B, Cout, Hout, Wout)}. Bottleneck:
 *
 * <pre>
 *   identity = downsample ? BN_d(conv1x1_s(x)) : x
 *   h = ReLU(BN1(conv1(x)))                        * channelMask                 (B, w, H1, W1)
 *   h = ReLU(BN2(conv2_3x3_groups(h)))             * channelMask                 (B, w, Hout, Wout)
 *   (with ChannelMaskPlacement.BEFORE_NORM, the reference's: h = ReLU(BN1(conv1(x) * channelMask)), likewise conv2)
 *   h = h * sigmoid(fc2(ReLU(fc1(pool_M2(h)))))    (only with squeeze-excitation, fc1: w -> q, fc2: q -> w)
 *   h = BN3(conv3(h))                              * M3                          (B, Cout, Hout, Wout)
 *   y = ReLU(h + identity)
 * </pre>
 *
 * A basic block has {@code h = ReLU(BN1(conv1_3x3_s(x))) * channelMask; h = BN2(conv2_3x3(h)) * M3} and no
 * squeeze-excitation. {@code M3} is the spatial (or layer) gate's mask nearest-upsampled to {@code Hout x Wout};
 * {@code pool_M2(h)[b, c] = sum_p h[b, c, p] M2[b, p] / max(sum_p M2[b, p], 1)} averages over the positions the block
 * computes ({@code M2 = M3}, the union over spatial mask groups; the plain global average without a spatial gate), so
 * that the sparse inference paths reproduce it exactly. Densities: {@code d3 = mean(M3)} (per mask group, conv3's
 * output channels of group {@code q} follow group {@code q}'s mask), {@code d2 = mean(U)} and
 * {@code d1 = mean(expand(U))} with {@code U = max over groups of M3}: conv2 and conv1 compute every position some
 * group keeps (the union, as the reference and every sparse executor do; {@link MaskOps#expandForConv3x3}),
 * {@code dc = mean(channelMask)}; the dynamic MACs follow {@link BlockCost} (squeeze-excitation included).
 *
 * <p>Output of {@link #forward}: the named NDList of a {@link BlockResult} (block output first). Blocks are immutable
 * after build; parameters are shared like every DJL block's.
 */
public abstract class AbstractGatedBlock extends AbstractBlock {

    private static final byte VERSION = 1;

    private final BlockGeometry geometry;
    private final GateSpec gateSpec;
    private final int seChannels;
    private final float epsilon;
    private final BlockCost cost;
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

    /**
     * Builds the layers a validated builder describes. Child names and their order define the parameter file layout:
     * {@code conv1, bn1, conv2, bn2, [se_fc1, se_fc2], [conv3, bn3], [downsample_conv, downsample_bn],
     * [spatial_gate], [channel_gate]}.
     *
     * @param b the validated builder
     */
    protected AbstractGatedBlock(BaseBuilder<?> b) {
        super(VERSION);
        BlockGeometry g = b.geometry;
        this.geometry = g;
        this.gateSpec = b.gateSpec;
        this.seChannels = b.seChannels;
        boolean convBias = b.convBias;
        this.epsilon = b.epsilon();
        boolean bottleneck = g.type() == BlockType.BOTTLENECK;
        conv1 = addChildBlock("conv1", conv(bottleneck ? 1 : 3, g.width(), g.conv1Stride(), 1, convBias));
        bn1 = addChildBlock("bn1", bn(epsilon));
        int conv2Out = bottleneck ? g.width() : g.outChannels();
        conv2 = addChildBlock("conv2", conv(3, conv2Out, g.conv2Stride(), g.convGroups(), convBias));
        bn2 = addChildBlock("bn2", bn(epsilon));
        if (seChannels > 0) {
            seFc1 = addChildBlock("se_fc1", conv(1, seChannels, 1, 1, true));
            seFc2 = addChildBlock("se_fc2", conv(1, g.width(), 1, 1, true));
        } else {
            seFc1 = null;
            seFc2 = null;
        }
        if (bottleneck) {
            conv3 = addChildBlock("conv3", conv(1, g.outChannels(), 1, 1, convBias));
            bn3 = addChildBlock("bn3", bn(epsilon));
        } else {
            conv3 = null;
            bn3 = null;
        }
        if (g.hasDownsample()) {
            downsampleConv = addChildBlock("downsample_conv", conv(1, g.outChannels(), g.stride(), 1, convBias));
            downsampleBn = addChildBlock("downsample_bn", bn(epsilon));
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
                    .optTemperature(b.temperature())
                    .optSeed(b.seed())
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
                    .optTemperature(b.temperature())
                    .optSeed(b.seed() + 1)
                    .build());
            maskerMacs += channelGate.maskerMacs(g.inHeight(), g.inWidth());
        } else {
            channelGate = null;
        }
        this.cost = BlockCost.of(g, maskerMacs, 2L * g.width() * seChannels);
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

    /** Returns the block geometry. */
    public BlockGeometry getGeometry() {
        return geometry;
    }

    /** Returns how the block is gated. */
    public GateSpec getGateSpec() {
        return gateSpec;
    }

    /** Returns the block's MAC terms, maskers and squeeze-excitation included (maskers counted physically). */
    public BlockCost getCost() {
        return cost;
    }

    /**
     * Returns the block's MAC terms with the maskers counted under a convention (see {@link MaskerMacsConvention});
     * {@link MaskerMacsConvention#PHYSICAL} gives {@link #getCost()}.
     *
     * @param convention how masker MACs are counted
     * @return the cost terms
     */
    public BlockCost getCost(MaskerMacsConvention convention) {
        if (convention == MaskerMacsConvention.PHYSICAL) {
            return cost;
        }
        long masker = 0;
        if (spatialGate != null) {
            masker += spatialGate.maskerMacs(geometry.inHeight(), geometry.inWidth(), convention);
        }
        if (channelGate != null) {
            masker += channelGate.maskerMacs(geometry.inHeight(), geometry.inWidth(), convention);
        }
        return new BlockCost(cost.type(), cost.conv1Macs(), cost.conv2Macs(), cost.conv3Macs(), cost.downsampleMacs(),
                masker, cost.seMacs());
    }

    /** Returns the squeeze width {@code q} of the squeeze-excitation, 0 when the block has none. */
    public int getSeChannels() {
        return seChannels;
    }

    /** Returns the BatchNorm epsilon. */
    public float getBatchNormEpsilon() {
        return epsilon;
    }

    /** Returns conv1 (1x1 for a bottleneck, 3x3 for a basic block) and its BatchNorm. */
    public ConvBn getConv1() {
        return new ConvBn(conv1, bn1);
    }

    /** Returns conv2 (the 3x3 convolution, possibly grouped) and its BatchNorm. */
    public ConvBn getConv2() {
        return new ConvBn(conv2, bn2);
    }

    /** Returns conv3 of a bottleneck and its BatchNorm; empty for a basic block. */
    public Optional<ConvBn> getConv3() {
        return conv3 == null ? Optional.empty() : Optional.of(new ConvBn(conv3, bn3));
    }

    /** Returns the downsample projection of the identity and its BatchNorm, if the block has one. */
    public Optional<ConvBn> getDownsample() {
        return downsampleConv == null ? Optional.empty() : Optional.of(new ConvBn(downsampleConv, downsampleBn));
    }

    /** Returns the squeeze-excitation's two layers, if the block has one. */
    public Optional<SqueezeExcitation> getSqueezeExcitation() {
        return seFc1 == null ? Optional.empty() : Optional.of(new SqueezeExcitation(seFc1, seFc2));
    }

    /** Returns the spatial (or layer) gate, if the mode has one. */
    public Optional<SpatialGate> getSpatialGate() {
        return Optional.ofNullable(spatialGate);
    }

    /** Returns the channel gate, if the mode has one. */
    public Optional<ChannelGate> getChannelGate() {
        return Optional.ofNullable(channelGate);
    }

    /** Returns the MACs of the static block ({@link BlockCost#denseMacs()}). */
    public long denseMacs() {
        return cost.denseMacs();
    }

    /**
     * A convolution followed by a BatchNorm.
     *
     * @param conv the convolution (weight {@code (O, I / groups, k, k)}, optional bias)
     * @param bn the BatchNorm over its {@code O} output channels
     */
    public record ConvBn(Conv2d conv, BatchNorm bn) {}

    /**
     * The two fully connected layers of a squeeze-excitation, as 1x1 convolutions with bias:
     * {@code scale = sigmoid(fc2(ReLU(fc1(pooled))))}, {@code fc1: w -> q}, {@code fc2: q -> w}.
     *
     * @param fc1 the squeeze layer (weight {@code (q, w, 1, 1)}, bias {@code (q)})
     * @param fc2 the excitation layer (weight {@code (w, q, 1, 1)}, bias {@code (w)})
     */
    public record SqueezeExcitation(Conv2d fc1, Conv2d fc2) {}

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
        checkInput(x);
        NDManager manager = x.getManager();
        NDArray identity = downsampleConv == null
                ? x
                : apply(downsampleBn, ps, apply(downsampleConv, ps, x, training), training);
        GateResult channel = channelGate == null ? null : channelGate.gate(ps, x, training);
        GateResult spatial = spatialGate == null ? null : spatialGate.gate(ps, x, training);
        NDArray m3 = spatial == null
                ? null
                : MaskOps.upsampleNearest(spatial.mask(), geometry.outHeight(), geometry.outWidth());

        // the reference's placement masks the convolution's output before BN; this project's the activation
        boolean beforeNorm = channel != null
                && gateSpec.channelMaskPlacement() == ChannelMaskPlacement.BEFORE_NORM;
        NDArray z = apply(conv1, ps, x, training);
        if (beforeNorm) {
            z = MaskOps.applyChannel(z, channel.mask());
        }
        NDArray h = Activation.relu(apply(bn1, ps, z, training));
        if (channel != null && !beforeNorm) {
            h = MaskOps.applyChannel(h, channel.mask());
        }
        z = apply(conv2, ps, h, training);
        if (beforeNorm && conv3 != null) {
            z = MaskOps.applyChannel(z, channel.mask());
        }
        h = apply(bn2, ps, z, training);
        if (conv3 != null) {
            h = Activation.relu(h);
            if (channel != null && !beforeNorm) {
                h = MaskOps.applyChannel(h, channel.mask());
            }
            if (seFc1 != null) {
                NDArray m2 = m3 == null || m3.getShape().get(1) == 1 ? m3 : m3.max(new int[] {1}, true);
                h = squeezeExcite(ps, h, m2, training);
            }
            h = apply(bn3, ps, apply(conv3, ps, h, training), training);
        }
        NDArray d1;
        NDArray d2;
        NDArray d3;
        if (spatial != null) {
            h = MaskOps.applySpatial(h, m3);
            // conv1 and conv2 compute every position that any mask group keeps: the union over groups
            NDArray union = m3.getShape().get(1) == 1 ? m3 : m3.max(new int[] {1}, true);
            NDArray m1 = MaskOps.expandForConv3x3(
                    union, geometry.conv2Stride(), geometry.conv1OutHeight(), geometry.conv1OutWidth());
            boolean even = geometry.outHeight() % spatialGate.getMaskSize() == 0
                    && geometry.outWidth() % spatialGate.getMaskSize() == 0;
            // uneven cells (granularity not dividing the output) cover different pixel counts: count pixels
            d3 = even ? spatial.density() : m3.mean();
            d2 = union == m3 ? d3 : union.mean();
            d1 = m1.mean();
        } else {
            d3 = manager.create(1f);
            d2 = d3;
            d1 = d3;
        }
        NDArray dc = channel == null ? manager.create(1f) : channel.density();
        NDArray y = Activation.relu(h.add(identity));
        NDArray macs = cost.dynamicMacs(d1, d2, d3, dc);
        return new BlockResult(
                y,
                Optional.ofNullable(spatial).map(GateResult::mask),
                Optional.ofNullable(channel).map(GateResult::mask),
                d1,
                d2,
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
     * @param m2 the positions the block computes {@code (B, 1, Hout, Wout)}, or null for every position
     * @param training training mode
     * @return the rescaled activations, same shape
     */
    private NDArray squeezeExcite(ParameterStore ps, NDArray h, NDArray m2, boolean training) {
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
        if (seFc1 != null) {
            Shape pooled = new Shape(in.get(0), geometry.width(), 1, 1);
            init(seFc2, manager, dataType, init(seFc1, manager, dataType, pooled));
        }
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

    /**
     * The settings every gated block shares, with a self-typed fluent interface (DJL's {@code ConvolutionBuilder}
     * pattern): subclasses add the fields that decide the block's geometry and implement {@link #geometry()}.
     *
     * @param <T> the concrete builder
     */
    public abstract static class BaseBuilder<T extends BaseBuilder<T>> extends BatchNormBuilder<T> {
        private GateSpec gateSpec = GateSpec.none();
        private boolean convBias;
        private BlockGeometry geometry;
        private int seChannels;

        /** Creates a builder with the defaults: static, no convolution bias, epsilon 1e-5, seed 17. */
        protected BaseBuilder() {
            super(17L);
        }

        /**
         * Returns the block geometry the builder's fields describe.
         *
         * @return the geometry
         * @throws IllegalArgumentException naming the first missing or invalid field
         */
        protected abstract BlockGeometry geometry();

        /**
         * Returns the squeeze width {@code q} of the block's squeeze-excitation, or 0 for none (the default).
         *
         * @param geometry the block geometry
         * @return {@code q}
         */
        protected int seChannels(BlockGeometry geometry) {
            return 0;
        }

        /**
         * Sets how the block is gated (default static).
         *
         * @param gateSpec the gate spec
         * @return this builder
         */
        public T optGateSpec(GateSpec gateSpec) {
            this.gateSpec = gateSpec;
            return self();
        }

        /**
         * Gives every convolution a bias (default false, as in torchvision; Keras ResNet-50 has biases).
         *
         * @param convBias whether convolutions have a bias
         * @return this builder
         */
        public T optConvBias(boolean convBias) {
            this.convBias = convBias;
            return self();
        }

        /**
         * Validates the shared settings against the geometry and prepares the build.
         *
         * @throws IllegalArgumentException naming the first invalid field
         */
        protected void validate() {
            if (gateSpec == null) {
                throw new IllegalArgumentException("gateSpec must not be null");
            }
            validateEpsilon();
            BlockGeometry g = geometry();
            if (g == null) {
                throw new IllegalArgumentException("geometry must be set");
            }
            GateMode mode = gateSpec.mode();
            if (mode.hasSpatialGate()) {
                int m = gateSpec.maskSize(g.outHeight());
                if (m > g.outWidth()) {
                    throw new IllegalArgumentException("mask size " + m + " exceeds the block output width "
                            + g.outWidth());
                }
                Checks.divides("spatialGroups", gateSpec.spatialGroups(), "outChannels", g.outChannels());
            }
            int q = seChannels(g);
            if (mode.hasChannelGate()) {
                Checks.divides("channelGroups", gateSpec.channelGroups(), "width", g.width());
                if (gateSpec.channelMaskPlacement() == ChannelMaskPlacement.BEFORE_NORM
                        && (convBias || g.convGroups() != 1 || q > 0)) {
                    throw new IllegalArgumentException("channelMaskPlacement BEFORE_NORM needs convolutions without"
                            + " bias, an ungrouped 3x3 convolution and no squeeze-excitation, got convBias "
                            + convBias + ", convGroups " + g.convGroups() + ", squeeze width " + q);
                }
            }
            if (q < 0 || (q > 0 && g.type() != BlockType.BOTTLENECK)) {
                throw new IllegalArgumentException("squeeze-excitation needs a bottleneck and a positive width, got"
                        + " type " + g.type() + " and q = " + q);
            }
            this.geometry = g;
            this.seChannels = q;
        }
    }
}
