package org.laudnet.cuda.plan;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generates whole LAUD-ResNet plans with random weights from a seed, so that a machine without a deep-learning engine
 * can build and run a full network (e.g. LAUD-ResNet-50 on a GPU machine that has no Java engine and no weights).
 *
 * <p>Weights are He-scaled ({@code N(0, 2 / fanIn)}) and folded biases {@code N(0, 0.05^2)}; the last convolution of
 * every residual branch is scaled by {@value #BRANCH_SCALE} and the head by {@code 1 / sqrt(C)} so that activations
 * stay of order one through 16 blocks. The convolution weights depend only on the seed and the architecture, never on
 * the gates: plans generated with different {@link StageGate}s share them, and their static versions are identical.
 * Maskers draw from a separate stream: {@code N(0, 1 / Cin)} weights and zero biases, giving data-dependent masks.
 */
public final class SeededPlans {

    /** Scale of the last convolution of each residual branch. */
    public static final float BRANCH_SCALE = 0.2f;

    /** Stage widths of ResNet-50. */
    public static final int[] RESNET50_WIDTHS = {64, 128, 256, 512};
    /** Blocks per stage of ResNet-50. */
    public static final int[] RESNET50_BLOCKS = {3, 4, 6, 3};

    private SeededPlans() {}

    /**
     * A LAUD-ResNet-50 (torchvision v1.5 bottlenecks: stride on the 3x3 convolution) with the ImageNet stem
     * (7x7/2 conv, 3x3/2 max pool with padding 1).
     *
     * @param seed weight seed
     * @param inputSize image side (224 for ImageNet; must keep every gated stage's granularity a divisor)
     * @param numClasses classes
     * @param gates one gate per stage (4)
     * @return the plan
     */
    public static LaudPlan resnet50(long seed, int inputSize, int numClasses, StageGate... gates) {
        return bottleneckResNet(seed, 3, inputSize, 64, 7, 2, true, RESNET50_BLOCKS, RESNET50_WIDTHS, 4, numClasses,
                gates);
    }

    /**
     * A bottleneck LAUD-ResNet of any size.
     *
     * @param seed weight seed
     * @param inputChannels image channels
     * @param inputSize image side
     * @param stemChannels stem output channels
     * @param stemKernel stem kernel side (padding {@code k / 2})
     * @param stemStride stem stride
     * @param maxPool whether a 3x3/2 max pool (padding 1) follows the stem
     * @param blocksPerStage blocks of each stage
     * @param widths inner width of each stage
     * @param expansion output channels = expansion * width
     * @param numClasses classes
     * @param gates one gate per stage
     * @return the plan
     * @throws IllegalArgumentException if arrays disagree in length or a gate does not fit its stage
     */
    public static LaudPlan bottleneckResNet(long seed, int inputChannels, int inputSize, int stemChannels,
            int stemKernel, int stemStride, boolean maxPool, int[] blocksPerStage, int[] widths, int expansion,
            int numClasses, StageGate... gates) {
        if (blocksPerStage.length != widths.length || gates.length != widths.length) {
            throw new IllegalArgumentException("blocksPerStage, widths and gates must have one entry per stage ("
                    + widths.length + "), got " + blocksPerStage.length + ", " + widths.length + ", " + gates.length);
        }
        Random wr = new Random(seed);
        Random gr = new Random(seed ^ 0x9E3779B97F4A7C15L);
        PlanConv stem = conv(wr, stemChannels, inputChannels, stemKernel, stemStride, 1f);
        int size = stem.outSize(inputSize);
        if (maxPool) {
            size = (size + 2 - 3) / 2 + 1;
        }
        int channels = stemChannels;
        List<PlanBlock> blocks = new ArrayList<>();
        for (int s = 0; s < widths.length; s++) {
            int width = widths[s];
            int out = width * expansion;
            for (int i = 0; i < blocksPerStage[s]; i++) {
                int stride = i == 0 && s > 0 ? 2 : 1;
                PlanConv c1 = conv(wr, width, channels, 1, 1, 1f);
                PlanConv c2 = conv(wr, width, width, 3, stride, 1f);
                PlanConv c3 = conv(wr, out, width, 1, 1, BRANCH_SCALE);
                PlanConv down = stride != 1 || channels != out ? conv(wr, out, channels, 1, stride, 1f) : null;
                int outSize = (size - 1) / stride + 1;
                PlanGate gate;
                try {
                    gate = gate(gr, gates[s], channels, width, outSize);
                    blocks.add(new PlanBlock(true, size, stride, c1, c2, c3, down, gate));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("stage " + (s + 1) + " block " + i + ": " + e.getMessage(), e);
                }
                channels = out;
                size = outSize;
            }
        }
        float[] hw = gaussian(wr, numClasses * channels, (float) (1 / Math.sqrt(channels)));
        PlanConv head = PlanConv.linear(numClasses, channels, hw, gaussian(wr, numClasses, 0.01f));
        return new LaudPlan(inputChannels, inputSize, stem, maxPool, 1, blocks, head);
    }

    private static PlanGate gate(Random r, StageGate sg, int cin, int width, int outSize) {
        PlanMode mode = sg.mode();
        if (mode == PlanMode.DENSE) {
            return PlanGate.dense();
        }
        PlanConv spatial = null;
        int granularity = 0;
        int maskSize = 0;
        if (mode.hasSpatialMasker()) {
            granularity = mode == PlanMode.LAYER ? outSize : sg.granularity();
            if (outSize % granularity != 0) {
                throw new IllegalArgumentException("granularity " + granularity + " must divide the output side "
                        + outSize);
            }
            maskSize = outSize / granularity;
            spatial = PlanConv.linear(2, cin, gaussian(r, 2 * cin, (float) (1 / Math.sqrt(cin))), new float[2]);
        }
        ChannelMasker cm = null;
        if (mode.hasChannelMasker()) {
            int g = sg.channelGroups();
            int hidden = Math.max(g / 16, 16);
            PlanConv l1 = PlanConv.linear(hidden, cin, gaussian(r, hidden * cin, (float) Math.sqrt(2.0 / cin)),
                    gaussian(r, hidden, 0.05f));
            PlanConv l2 = PlanConv.linear(2 * g, hidden, gaussian(r, 2 * g * hidden, (float) (1 / Math.sqrt(hidden))),
                    new float[2 * g]);
            cm = new ChannelMasker(ChannelMasker.Kind.MLP_2, g, l1, l2);
        }
        return new PlanGate(mode, granularity, maskSize, spatial, cm);
    }

    private static PlanConv conv(Random r, int out, int in, int k, int stride, float scale) {
        float std = (float) Math.sqrt(2.0 / (in * k * k)) * scale;
        return new PlanConv(out, in, k, stride, k / 2, 1, gaussian(r, out * in * k * k, std),
                gaussian(r, out, 0.05f));
    }

    private static float[] gaussian(Random r, int n, float std) {
        float[] a = new float[n];
        for (int k = 0; k < n; k++) {
            a[k] = (float) (r.nextGaussian() * std);
        }
        return a;
    }
}
