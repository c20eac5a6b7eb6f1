package org.laudnet.cuda.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.gate.ChannelGate;
import org.laudnet.core.gate.SpatialGate;
import org.laudnet.cuda.Precision;
import org.laudnet.cuda.exec.DevicePreference;
import org.laudnet.cuda.exec.LaudExecutor;
import org.laudnet.cuda.exec.LaudInference;
import org.laudnet.cuda.plan.ChannelMasker;
import org.laudnet.cuda.plan.LaudPlan;
import org.laudnet.cuda.plan.PlanBlock;
import org.laudnet.cuda.plan.PlanConv;
import org.laudnet.cuda.plan.PlanGate;
import org.laudnet.cuda.plan.PlanMode;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.StemSpec;

/**
 * Converts an initialized DJL {@link LaudResNet} into an engine-free {@link LaudPlan}, folding every eval-mode
 * BatchNorm into the convolution before it: {@code w' = w * scale}, {@code b' = b * scale + shift} with the
 * per-channel affine map {@code BN(v) = scale v + shift} of the running statistics. The map is read from the
 * BatchNorm itself by evaluating it at {@code v = 0} and {@code v = 1024}, so it does not depend on how the norm
 * stores its epsilon.
 *
 * <p>Supported gates: spatial gates with one mask group ({@code gs = 1}), layer gates, channel gates of every masker
 * kind (their conv-linear BatchNorm folded too).
 */
public final class DjlPlans {

    private static final float PROBE = 1024f;

    private DjlPlans() {}

    /**
     * Builds the plan of a network.
     *
     * @param net an initialized network
     * @return the plan (eval-mode semantics: deterministic gates, running statistics)
     * @throws IllegalArgumentException if a block uses a spatial gate with more than one mask group
     */
    public static LaudPlan fromLaudResNet(LaudResNet net) {
        if (net == null) {
            throw new IllegalArgumentException("net must not be null");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(manager, false);
            StemSpec stem = net.getStem();
            PlanConv stemConv = fold(net.getStemConv(), net.getStemBn(), ps, manager, stem.stride(), 1);
            List<PlanBlock> blocks = new ArrayList<>();
            for (GatedResidualBlock b : net.getBlocks()) {
                blocks.add(block(b, ps, manager));
            }
            Linear head = net.getHead();
            NDArray hw = param(head, "weight");
            PlanConv headConv = PlanConv.linear((int) hw.getShape().get(0), (int) hw.getShape().get(1),
                    hw.toFloatArray(), param(head, "bias").toFloatArray());
            return new LaudPlan(stem.inChannels(), net.getInputSize(), stemConv, stem.maxPool(),
                    stem.maxPool() ? stem.maxPoolPadding() : 0, blocks, headConv);
        }
    }

    /**
     * Converts a network and creates a device-aware executor for it ({@link LaudInference#create}).
     *
     * @param net an initialized network
     * @param preference AUTO, CPU or CUDA
     * @param precision GEMM arithmetic on the GPU
     * @return the executor
     */
    public static LaudExecutor inference(LaudResNet net, DevicePreference preference, Precision precision) {
        return LaudInference.create(fromLaudResNet(net), preference, precision);
    }

    /**
     * Folds a residual block.
     *
     * @param b the block
     * @param ps parameter store used to evaluate the BatchNorms
     * @param manager manager of temporary arrays
     * @return the plan block
     */
    public static PlanBlock block(GatedResidualBlock b, ParameterStore ps, NDManager manager) {
        BlockGeometry g = b.getGeometry();
        boolean bottleneck = b.getConv3().isPresent();
        PlanConv c1 = fold(b.getConv1(), b.getBn1(), ps, manager, g.conv1Stride(), 1);
        PlanConv c2 = fold(b.getConv2(), b.getBn2(), ps, manager, g.conv2Stride(), g.convGroups());
        PlanConv c3 = bottleneck ? fold(b.getConv3().get(), b.getBn3().get(), ps, manager, 1, 1) : null;
        PlanConv down = b.getDownsampleConv().isPresent()
                ? fold(b.getDownsampleConv().get(), b.getDownsampleBn().get(), ps, manager, g.stride(), 1)
                : null;
        return new PlanBlock(bottleneck, g.inHeight(), g.stride(), c1, c2, c3, down, gate(b, ps, manager));
    }

    private static PlanGate gate(GatedResidualBlock b, ParameterStore ps, NDManager manager) {
        GateMode mode = b.getGateSpec().mode();
        if (mode == GateMode.NONE) {
            return PlanGate.dense();
        }
        PlanConv spatial = null;
        int granularity = 0;
        int maskSize = 0;
        SpatialGate sg = b.getSpatialGate().orElse(null);
        if (sg != null) {
            if (sg.getGroups() != 1) {
                throw new IllegalArgumentException("spatial gates with more than one mask group are not supported, got "
                        + sg.getGroups());
            }
            Conv2d masker = (Conv2d) sg.getChildren().values().get(0);
            NDArray w = param(masker, "weight");
            spatial = PlanConv.linear(2, sg.getInputChannels(), w.toFloatArray(), param(masker, "bias").toFloatArray());
            maskSize = sg.getMaskSize();
            granularity = b.getGeometry().outHeight() / maskSize;
        }
        ChannelMasker cm = null;
        ChannelGate cg = b.getChannelGate().orElse(null);
        if (cg != null) {
            cm = channelMasker(cg, ps, manager);
        }
        PlanMode pm = switch (mode) {
            case SPATIAL -> PlanMode.SPATIAL;
            case CHANNEL -> PlanMode.CHANNEL;
            case BOTH -> PlanMode.BOTH;
            case LAYER -> PlanMode.LAYER;
            case NONE -> PlanMode.DENSE;
        };
        return new PlanGate(pm, granularity, maskSize, spatial, cm);
    }

    private static ChannelMasker channelMasker(ChannelGate cg, ParameterStore ps, NDManager manager) {
        int groups = cg.getGroups();
        return switch (cg.getKind()) {
            case MLP_1 -> new ChannelMasker(ChannelMasker.Kind.MLP_1, groups,
                    linear((Linear) child(cg, "linear")), null);
            case MLP_2 -> {
                SequentialBlock mlp = (SequentialBlock) child(cg, "mlp");
                List<Linear> layers = new ArrayList<>();
                for (Block child : mlp.getChildren().values()) {
                    if (child instanceof Linear l) {
                        layers.add(l);
                    }
                }
                yield new ChannelMasker(ChannelMasker.Kind.MLP_2, groups, linear(layers.get(0)),
                        linear(layers.get(1)));
            }
            case CONV_LINEAR -> {
                SequentialBlock conv = (SequentialBlock) child(cg, "conv");
                Conv2d c = null;
                BatchNorm bn = null;
                for (Block child : conv.getChildren().values()) {
                    if (child instanceof Conv2d cc) {
                        c = cc;
                    } else if (child instanceof BatchNorm bb) {
                        bn = bb;
                    }
                }
                yield new ChannelMasker(ChannelMasker.Kind.CONV_LINEAR, groups, fold(c, bn, ps, manager, 1, 1),
                        linear((Linear) child(cg, "linear")));
            }
        };
    }

    /** Finds a child block by its name; DJL prefixes child names with their position ({@code "01mlp"}). */
    private static Block child(Block parent, String name) {
        for (var p : parent.getChildren()) {
            if (p.getKey().equals(name) || p.getKey().replaceFirst("^\\d+", "").equals(name)) {
                return p.getValue();
            }
        }
        throw new IllegalArgumentException("block " + parent.getClass().getSimpleName() + " has no child '" + name
                + "'");
    }

    private static PlanConv linear(Linear l) {
        NDArray w = param(l, "weight");
        return PlanConv.linear((int) w.getShape().get(0), (int) w.getShape().get(1), w.toFloatArray(),
                param(l, "bias").toFloatArray());
    }

    /**
     * Folds an eval-mode BatchNorm into the convolution before it.
     *
     * @param conv the convolution, weight {@code (O, I / g, k, k)}, optional bias
     * @param bn the BatchNorm on its output
     * @param ps parameter store for evaluating the BatchNorm
     * @param manager manager of temporary arrays
     * @param stride the convolution's stride
     * @param groups the convolution's groups
     * @return the folded convolution, padding {@code k / 2}
     */
    public static PlanConv fold(Conv2d conv, BatchNorm bn, ParameterStore ps, NDManager manager, int stride,
            int groups) {
        NDArray w = param(conv, "weight");
        Shape s = w.getShape();
        int out = (int) s.get(0);
        int in = (int) s.get(1) * groups;
        int k = (int) s.get(2);
        float[] weight = w.toFloatArray();
        Parameter bp = conv.getParameters().get("bias");
        float[] bias = bp == null ? new float[out] : bp.getArray().toFloatArray();
        double[] scale = new double[out];
        double[] shift = new double[out];
        try (NDManager sub = manager.newSubManager()) {
            float[] probe = new float[2 * out];
            for (int c = 0; c < out; c++) {
                probe[2 * c + 1] = PROBE;
            }
            float[] y = bn.forward(ps, new NDList(sub.create(probe, new Shape(1, out, 1, 2))), false).head()
                    .toFloatArray();
            for (int c = 0; c < out; c++) {
                shift[c] = y[2 * c];
                scale[c] = ((double) y[2 * c + 1] - y[2 * c]) / PROBE;
            }
        }
        int per = weight.length / out;
        float[] fw = new float[weight.length];
        float[] fb = new float[out];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < per; i++) {
                fw[o * per + i] = (float) (weight[o * per + i] * scale[o]);
            }
            fb[o] = (float) (bias[o] * scale[o] + shift[o]);
        }
        return new PlanConv(out, in, k, stride, k / 2, groups, fw, fb);
    }

    private static NDArray param(Block block, String name) {
        Parameter p = block.getParameters().get(name);
        if (p == null || !p.isInitialized()) {
            throw new IllegalArgumentException("parameter '" + name + "' of " + block.getClass().getSimpleName()
                    + " is missing or not initialized");
        }
        return p.getArray();
    }
}
