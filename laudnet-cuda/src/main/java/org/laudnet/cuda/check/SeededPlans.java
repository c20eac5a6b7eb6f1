package org.laudnet.cuda.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.ChannelMasker;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.core.plan.SpatialMasker;
import org.laudnet.core.plan.SqueezeExcitationPlan;

/**
 * Generates whole gated networks as core {@link InferencePlan}s with random folded weights from a seed, so that a
 * machine without a deep-learning engine and without trained weights (the GPU check's) can build and run them.
 *
 * <p>Weights are He-scaled ({@code N(0, 2 / fanIn)}) and folded biases {@code N(0, 0.05^2)}; the last convolution of
 * every residual branch is scaled by {@value #BRANCH_SCALE} and the head by {@code 1 / sqrt(C)}, so that activations
 * stay of order one through the whole network. The convolution weights depend only on the seed and the architecture,
 * never on the gates: plans generated with different gates share them, and their {@link InferencePlan#staticVersion()
 * static versions} are equal. Maskers draw from a separate stream ({@code N(0, 1 / Cin)} spatial maskers with zero
 * bias), so that decisions depend on the data and are about half open.
 *
 * <p>Architectures, shaped as laudnet-models builds them: ResNet-18/34 (basic blocks) and ResNet-50/101 (torchvision
 * v1.5 bottlenecks), each with a 7x7/2 stem and a 3x3/2 max pool; RegNetY-400MF and RegNetY-800MF (3x3/2 stem with 32
 * channels, bottleneck ratio 1, grouped 3x3 convolutions, squeeze-excitation to a quarter of the block input's
 * channels). Stateless and thread-safe.
 */
public final class SeededPlans {

    /** Scale of the last convolution of each residual branch. */
    public static final float BRANCH_SCALE = 0.2f;
    /** Stage widths of the ResNets (the inner width of a bottleneck, the output width of a basic block). */
    public static final int[] RESNET_WIDTHS = {64, 128, 256, 512};
    /** Hidden width of the seeded channel maskers. */
    static final int MASKER_HIDDEN = 16;

    /**
     * A ResNet depth: its block type and blocks per stage.
     *
     * @param depth 18, 34, 50 or 101
     * @param type basic blocks (18, 34) or bottlenecks (50, 101)
     * @param blocks blocks per stage
     */
    public record ResNetShape(int depth, BlockType type, int[] blocks) {
        /** ResNet-18: 2-2-2-2 basic blocks. */
        public static final ResNetShape R18 = new ResNetShape(18, BlockType.BASIC, new int[] {2, 2, 2, 2});
        /** ResNet-34: 3-4-6-3 basic blocks. */
        public static final ResNetShape R34 = new ResNetShape(34, BlockType.BASIC, new int[] {3, 4, 6, 3});
        /** ResNet-50: 3-4-6-3 bottlenecks. */
        public static final ResNetShape R50 = new ResNetShape(50, BlockType.BOTTLENECK, new int[] {3, 4, 6, 3});
        /** ResNet-101: 3-4-23-3 bottlenecks. */
        public static final ResNetShape R101 = new ResNetShape(101, BlockType.BOTTLENECK, new int[] {3, 4, 23, 3});

        /** Returns the shape of a depth. */
        static ResNetShape of(int depth) {
            return switch (depth) {
                case 18 -> R18;
                case 34 -> R34;
                case 50 -> R50;
                case 101 -> R101;
                default -> throw new IllegalArgumentException("depth must be 18, 34, 50 or 101, got " + depth);
            };
        }
    }

    /**
     * A RegNetY variant as laudnet-models' {@code RegNetVariant} defines it.
     *
     * @param name e.g. {@code "RegNetY-800MF"}
     * @param blocks blocks per stage
     * @param widths stage widths
     * @param groupWidth channels per group of the 3x3 convolutions
     */
    public record RegNetShape(String name, int[] blocks, int[] widths, int groupWidth) {
        /** RegNetY-400MF: 1-3-6-6 blocks, widths 48-104-208-440, group width 8. */
        public static final RegNetShape Y_400MF = new RegNetShape("RegNetY-400MF", new int[] {1, 3, 6, 6},
                new int[] {48, 104, 208, 440}, 8);
        /** RegNetY-800MF: 1-3-8-2 blocks, widths 64-144-320-784, group width 16. */
        public static final RegNetShape Y_800MF = new RegNetShape("RegNetY-800MF", new int[] {1, 3, 8, 2},
                new int[] {64, 144, 320, 784}, 16);
    }

    private SeededPlans() {}

    /**
     * A gated ResNet-50 ({@link #resNet} of depth 50).
     *
     * @param seed the weight seed
     * @param inputSize the image side (224 for ImageNet); each gated stage's granularity must divide its output size
     * @param numClasses classes
     * @param gates one gate per stage (4)
     * @return the plan (architecture {@code "resnet50"})
     * @throws IllegalArgumentException if a gate does not fit its stage (the message names the stage)
     */
    public static InferencePlan resnet50(long seed, int inputSize, int numClasses, GateSpec... gates) {
        return resNet(ResNetShape.R50, seed, inputSize, numClasses, gates);
    }

    /**
     * A gated ResNet: stem 7x7/2 (64 channels) with a 3x3/2 max pool (padding 1), stages of widths 64-128-256-512 (a
     * bottleneck's outputs 4 w), stride 2 in each stage's first block but the first's (on the 3x3 of a bottleneck,
     * on conv1 of a basic block).
     *
     * @param shape the depth
     * @param seed the weight seed
     * @param inputSize the image side; each gated stage's granularity must divide its output size
     * @param numClasses classes
     * @param gates one gate per stage (4)
     * @return the plan (architecture {@code "resnet<depth>"})
     * @throws IllegalArgumentException if a gate does not fit its stage (the message names the stage)
     */
    public static InferencePlan resNet(ResNetShape shape, long seed, int inputSize, int numClasses,
            GateSpec... gates) {
        Random wr = new Random(seed);
        FoldedConv stem = conv(wr, 64, 3, 7, 2, 1, 1f);
        int size = (stem.outSize(inputSize) + 2 - 3) / 2 + 1;
        int expansion = shape.type() == BlockType.BOTTLENECK ? 4 : 1;
        List<BlockPlan> blocks = stages(wr, new Random(seed ^ 0x9E3779B97F4A7C15L), 64, size, shape.type(),
                shape.blocks(), RESNET_WIDTHS, expansion, 0, gates);
        return new InferencePlan("resnet" + shape.depth(), 3, inputSize, stem, true, 1, blocks,
                head(wr, numClasses, blocks));
    }

    /**
     * A gated RegNetY-800MF ({@link #regNetY(RegNetShape, long, int, int, GateSpec...)}).
     *
     * @param seed the weight seed
     * @param inputSize the image side; each gated stage's granularity must divide its output size
     * @param numClasses classes
     * @param gates one gate per stage (4); channel gates must keep whole convolution groups to run sliced
     * @return the plan (architecture {@code "regnety"})
     * @throws IllegalArgumentException if a gate does not fit its stage (the message names the stage)
     */
    public static InferencePlan regNetY(long seed, int inputSize, int numClasses, GateSpec... gates) {
        return regNetY(RegNetShape.Y_800MF, seed, inputSize, numClasses, gates);
    }

    /**
     * A gated RegNetY: stem 3x3/2 (32 channels, no max pool), each block a bottleneck of ratio 1 (inner width = output
     * width) with a grouped 3x3 convolution (stride 2 in each stage's first block) and a squeeze-excitation of
     * {@code round(Cin / 4)} channels.
     *
     * @param shape the variant
     * @param seed the weight seed
     * @param inputSize the image side; each gated stage's granularity must divide its output size
     * @param numClasses classes
     * @param gates one gate per stage (4); channel gates that split a convolution group run masked dense
     * @return the plan (architecture {@code "regnety"})
     * @throws IllegalArgumentException if a gate does not fit its stage (the message names the stage)
     */
    public static InferencePlan regNetY(RegNetShape shape, long seed, int inputSize, int numClasses,
            GateSpec... gates) {
        Random wr = new Random(seed);
        FoldedConv stem = conv(wr, 32, 3, 3, 2, 1, 1f);
        List<BlockPlan> blocks = stages(wr, new Random(seed ^ 0x9E3779B97F4A7C15L), 32, stem.outSize(inputSize),
                BlockType.BOTTLENECK, shape.blocks(), shape.widths(), 1, shape.groupWidth(), gates);
        return new InferencePlan("regnety", 3, inputSize, stem, false, 0, blocks, head(wr, numClasses, blocks));
    }

    /**
     * The blocks of a network, every stage but the first starting with stride 2 (RegNet: every stage).
     *
     * @param groupWidth 0 for ungrouped 3x3 convolutions without squeeze-excitation (ResNet), else the group width
     *     (RegNetY, with squeeze-excitation)
     */
    private static List<BlockPlan> stages(Random wr, Random gr, int channels, int size, BlockType type,
            int[] blocksPerStage, int[] widths, int expansion, int groupWidth, GateSpec[] gates) {
        if (gates.length != widths.length) {
            throw new IllegalArgumentException("gates must have one entry per stage (" + widths.length + "), got "
                    + gates.length);
        }
        boolean regNet = groupWidth > 0;
        boolean basic = type == BlockType.BASIC;
        List<BlockPlan> blocks = new ArrayList<>();
        for (int s = 0; s < widths.length; s++) {
            int width = widths[s];
            int out = width * expansion;
            for (int i = 0; i < blocksPerStage[s]; i++) {
                int stride = i == 0 && (s > 0 || regNet) ? 2 : 1;
                int groups = regNet ? width / groupWidth : 1;
                BlockGeometry g = new BlockGeometry(type, channels, width, out, size, size, stride, groups,
                        StridePlacement.CONV2);
                FoldedConv c1 = basic ? conv(wr, width, channels, 3, stride, 1, 1f)
                        : conv(wr, width, channels, 1, 1, 1, 1f);
                FoldedConv c2 = basic ? conv(wr, out, width, 3, 1, 1, BRANCH_SCALE)
                        : conv(wr, width, width, 3, stride, groups, 1f);
                FoldedConv c3 = basic ? null : conv(wr, out, width, 1, 1, 1, BRANCH_SCALE);
                FoldedConv down = g.hasDownsample() ? conv(wr, out, channels, 1, stride, 1, 1f) : null;
                SqueezeExcitationPlan se = null;
                if (regNet) {
                    int q = Math.max(1, Math.round(channels / 4f));
                    se = new SqueezeExcitationPlan(linear(wr, q, width, (float) Math.sqrt(2.0 / width)),
                            linear(wr, width, q, (float) (1 / Math.sqrt(q))));
                }
                try {
                    blocks.add(block(gr, g, gates[s], c1, c2, c3, down, se, s));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("stage " + (s + 1) + " block " + i + ": " + e.getMessage(), e);
                }
                channels = out;
                size = g.outHeight();
            }
        }
        return blocks;
    }

    private static BlockPlan block(Random r, BlockGeometry g, GateSpec gate, FoldedConv c1, FoldedConv c2,
            FoldedConv c3, FoldedConv down, SqueezeExcitationPlan se, int stage) {
        GateMode mode = gate.mode();
        int cin = g.inChannels();
        long px = (long) g.inHeight() * g.inWidth();
        long maskerMacs = 0;
        SpatialMasker spatial = null;
        if (mode.hasSpatialGate()) {
            int m = gate.maskSize(g.outHeight());
            int gs = gate.spatialGroups();
            spatial = new SpatialMasker(FoldedConv.linear(2 * gs, cin, gaussian(r, 2 * gs * cin,
                    (float) (1 / Math.sqrt(cin))), new float[2 * gs]), m, gs);
            // counted as the gates count them: the pooling reads (none when unpooled), then the layers
            maskerMacs += (g.inHeight() == m ? 0 : cin * px) + spatial.conv().macsPerPixel() * m * m;
        }
        ChannelMasker channel = null;
        if (mode.hasChannelGate()) {
            int groups = gate.channelGroups();
            int h = MASKER_HIDDEN;
            FoldedConv second = FoldedConv.linear(2 * groups, h, gaussian(r, 2 * groups * h,
                    (float) (1 / Math.sqrt(h))), new float[2 * groups]);
            channel = switch (gate.maskerKind()) {
                case MLP_1 -> new ChannelMasker(ChannelMaskerKind.MLP_1, groups, FoldedConv.linear(2 * groups, cin,
                        gaussian(r, 2 * groups * cin, (float) (1 / Math.sqrt(cin))), new float[2 * groups]), null);
                case MLP_2 -> new ChannelMasker(ChannelMaskerKind.MLP_2, groups,
                        linear(r, h, cin, (float) Math.sqrt(2.0 / cin)), second);
                case CONV_LINEAR -> new ChannelMasker(ChannelMaskerKind.CONV_LINEAR, groups,
                        linear(r, h, cin, (float) Math.sqrt(2.0 / cin)), second);
            };
            long layers = channel.first().macsPerPixel()
                    + (channel.second() == null ? 0 : channel.second().macsPerPixel());
            maskerMacs += channel.kind() == ChannelMaskerKind.CONV_LINEAR
                    ? channel.first().macsPerPixel() * px + (long) h * px + channel.second().macsPerPixel()
                    : cin * px + layers;
        }
        long seMacs = se == null ? 0 : 2L * se.channels() * se.squeezeChannels();
        return new BlockPlan(g, gate, c1, c2, c3, down, se, spatial, channel, BlockCost.of(g, maskerMacs, seMacs),
                stage);
    }

    private static FoldedConv head(Random r, int numClasses, List<BlockPlan> blocks) {
        int channels = blocks.get(blocks.size() - 1).geometry().outChannels();
        return FoldedConv.linear(numClasses, channels, gaussian(r, numClasses * channels,
                (float) (1 / Math.sqrt(channels))), gaussian(r, numClasses, 0.01f));
    }

    private static FoldedConv conv(Random r, int out, int in, int k, int stride, int groups, float scale) {
        int fanIn = in / groups * k * k;
        float std = (float) Math.sqrt(2.0 / fanIn) * scale;
        return new FoldedConv(out, in, k, stride, k / 2, groups, gaussian(r, out * fanIn, std),
                gaussian(r, out, 0.05f));
    }

    private static FoldedConv linear(Random r, int out, int in, float std) {
        return FoldedConv.linear(out, in, gaussian(r, out * in, std), gaussian(r, out, 0.05f));
    }

    private static float[] gaussian(Random r, int n, float std) {
        float[] a = new float[n];
        for (int k = 0; k < n; k++) {
            a[k] = (float) (r.nextGaussian() * std);
        }
        return a;
    }
}
