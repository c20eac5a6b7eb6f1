package org.laudnet.models.train;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.models.regnet.LaudRegNet;
import org.laudnet.models.regnet.RegNetVariant;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.ResNetDepth;
import org.laudnet.models.weights.TensorFile;
import org.laudnet.models.weights.TorchvisionImporter;
import org.laudnet.models.weights.WeightFileException;
import org.laudnet.models.weights.torch.TorchWeights;

/**
 * The architectures that can be fine-tuned from pretrained weights ({@link FineTuning}): four ResNets and two
 * RegNetYs, each with four stages. Their torchvision form ({@link #torchvisionBuilder()}) is the layout of
 * torchvision's {@code state_dict}s (ResNet "v1.5": stride on the 3x3 convolution, no convolution biases; RegNetY as
 * torchvision's {@code regnet_y_*}), which {@link TorchvisionImporter} reads from safetensors files.
 */
public enum Architecture {
    /** ResNet-18 (basic blocks 2-2-2-2). */
    RESNET18("resnet18", ResNetDepth.RESNET18, null),
    /** ResNet-34 (basic blocks 3-4-6-3). */
    RESNET34("resnet34", ResNetDepth.RESNET34, null),
    /** ResNet-50 (bottlenecks 3-4-6-3). */
    RESNET50("resnet50", ResNetDepth.RESNET50, null),
    /** ResNet-101 (bottlenecks 3-4-23-3). */
    RESNET101("resnet101", ResNetDepth.RESNET101, null),
    /** RegNetY-400MF. */
    REGNETY_400MF("regnety-400mf", null, RegNetVariant.Y_400MF),
    /** RegNetY-800MF. */
    REGNETY_800MF("regnety-800mf", null, RegNetVariant.Y_800MF);

    /** Stages of every architecture. */
    public static final int STAGES = 4;

    /**
     * Spatial granularity {@code S} per stage of the {@link #stageGates(GateMode)} shorthand, for 224 x 224 input
     * (stage outputs 56, 28, 14, 7 in every architecture here).
     */
    private static final int[] SPATIAL_GRANULARITY = {4, 4, 2, 1};

    private final String id;
    private final ResNetDepth depth;
    private final RegNetVariant variant;

    Architecture(String id, ResNetDepth depth, RegNetVariant variant) {
        this.id = id;
        this.depth = depth;
        this.variant = variant;
    }

    /** Returns the name used on the command line and in file names, e.g. {@code resnet18}, {@code regnety-400mf}. */
    public String id() {
        return id;
    }

    /** Returns whether this is a ResNet. */
    public boolean isResNet() {
        return depth != null;
    }

    /**
     * Returns the ResNet depth.
     *
     * @return the depth
     * @throws IllegalStateException for a RegNetY
     */
    public ResNetDepth resNetDepth() {
        if (depth == null) {
            throw new IllegalStateException(id + " is not a ResNet");
        }
        return depth;
    }

    /**
     * Parses a name: {@code resnet18}, {@code resnet34}, {@code resnet50}, {@code resnet101}, {@code regnety-400mf} or
     * {@code regnety-800mf} (case-insensitive; the enum constant names are accepted too).
     *
     * @param text the name
     * @return the architecture
     * @throws IllegalArgumentException naming the text and the accepted names
     */
    public static Architecture parse(String text) {
        if (text != null) {
            String t = text.trim().toLowerCase(Locale.ROOT);
            for (Architecture a : values()) {
                if (a.id.equals(t) || a.name().toLowerCase(Locale.ROOT).equals(t)) {
                    return a;
                }
            }
        }
        throw new IllegalArgumentException("architecture must be one of " + names() + ", got '" + text + "'");
    }

    /** Returns the accepted names, comma-separated. */
    public static String names() {
        return Arrays.stream(values()).map(Architecture::id).collect(Collectors.joining(", "));
    }

    /**
     * Returns a builder of the torchvision form of this architecture (224 x 224 input, 1000 classes, every stage
     * static until gated with {@code optStageGates}).
     *
     * @return the builder
     */
    public GatedBackbone.BaseBuilder<?> torchvisionBuilder() {
        if (depth != null) {
            return LaudResNet.builder().setDepth(depth);
        }
        return LaudRegNet.builder().setVariant(variant);
    }

    /**
     * Loads torchvision-named tensors into an initialised network of this architecture's torchvision form.
     *
     * @param tensors the tensors
     * @param source the file they came from (named in errors)
     * @param net the network
     * @throws WeightFileException if a tensor is missing, unknown or mis-shaped (nothing is written then)
     */
    public void loadTorchvision(TensorFile tensors, Path source, GatedNetwork net) throws WeightFileException {
        if (depth != null) {
            TorchvisionImporter.loadResNet(tensors, source, net);
        } else {
            TorchvisionImporter.loadRegNet(tensors, source, net);
        }
    }

    /**
     * Loads the state dict of a PyTorch checkpoint into an initialised network of this architecture's torchvision
     * form: torchvision names (gates keep their fresh initialisation), or the LAUDNet reference's names with the
     * gates ({@link TorchWeights#loadResNet}, {@link TorchWeights#loadRegNet}).
     *
     * @param tensors the state dict ({@link TorchWeights#read})
     * @param source the checkpoint (named in errors)
     * @param net the network; its gates must be the checkpoint's when the checkpoint has gates
     * @throws WeightFileException listing missing, unexpected and mis-shaped tensors, or when the checkpoint's gates
     *     do not fit (nothing is written then)
     */
    public void loadPyTorch(TensorFile tensors, Path source, GatedNetwork net) throws WeightFileException {
        if (depth != null) {
            TorchWeights.loadResNet(tensors, source, net);
        } else {
            TorchWeights.loadRegNet(tensors, source, net);
        }
    }

    /**
     * Returns an initialised network's parameters (gates excluded) under torchvision names.
     *
     * @param net a network of this architecture's torchvision form
     * @return the tensors
     */
    public TensorFile exportTorchvision(GatedNetwork net) {
        return depth != null ? TorchvisionImporter.exportResNet(net) : TorchvisionImporter.exportRegNet(net);
    }

    /**
     * The per-stage gates of a gating mode, for 224 x 224 input: SPATIAL with {@code S = 4, 4, 2, 1}, CHANNEL with 4
     * groups, LAYER; NONE gives the static network.
     *
     * @param mode the mode
     * @return one spec per stage
     * @throws IllegalArgumentException for BOTH
     */
    public static GateSpec[] stageGates(GateMode mode) {
        if (mode == null) {
            throw new IllegalArgumentException("mode must not be null");
        }
        GateSpec[] g = new GateSpec[STAGES];
        for (int s = 0; s < STAGES; s++) {
            g[s] = switch (mode) {
                case NONE -> GateSpec.none();
                case SPATIAL -> GateSpec.spatial(SPATIAL_GRANULARITY[s]);
                case CHANNEL -> GateSpec.channel(4);
                case LAYER -> GateSpec.layer();
                default -> throw new IllegalArgumentException("mode must be none, spatial, channel or layer, got "
                        + mode);
            };
        }
        return g;
    }

    /**
     * Returns the inner width {@code w} of every stage's blocks (what a channel gate's groups partition), e.g. 64,
     * 128, 256, 512 for the ResNets.
     *
     * @return one width per stage
     */
    public int[] stageWidths() {
        return torchvisionBuilder().build().getStages().stream().mapToInt(StageSpec::width).toArray();
    }
}
