package org.laudnet.models.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.net.BlockFamily;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.util.ArrayWrites;
import org.laudnet.models.regnet.LaudRegNet;
import org.laudnet.models.regnet.RegNetYFamily;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.ResNetFamily;

/**
 * Imports (and exports) ResNet and RegNetY weights named as in torchvision's {@code state_dict}, stored as
 * safetensors.
 *
 * <p>ResNet-18/34/50/101 (a {@link GatedNetwork} of {@link ResNetFamily} blocks, as {@link LaudResNet} builds it, with
 * the stride on the 3x3 convolution and no convolution biases):
 *
 * <pre>
 *   conv1.weight, bn1.{weight,bias,running_mean,running_var}                       -> stem
 *   layer{s}.{i}.conv{1,2[,3]}.weight, layer{s}.{i}.bn{1,2[,3]}.*                    -> stage s, block i
 *   layer{s}.{i}.downsample.0.weight, layer{s}.{i}.downsample.1.*                     -> projection of block i
 *   fc.weight, fc.bias                                                                -> classifier
 * </pre>
 *
 * RegNetY (a {@link GatedNetwork} of {@link RegNetYFamily} blocks, as {@link LaudRegNet} builds it), as torchvision's
 * {@code RegNet} names its modules:
 *
 * <pre>
 *   stem.0.weight, stem.1.*                                                           -> stem conv, BN
 *   trunk_output.block{s}.block{s}-{i}.proj.0.weight, .proj.1.*                       -> projection
 *   trunk_output.block{s}.block{s}-{i}.f.a.0.weight, .f.a.1.*                         -> conv1, bn1
 *   trunk_output.block{s}.block{s}-{i}.f.b.0.weight, .f.b.1.*                         -> grouped conv2, bn2
 *   trunk_output.block{s}.block{s}-{i}.f.se.fc1.{weight,bias}, .f.se.fc2.{weight,bias} -> squeeze-excitation
 *   trunk_output.block{s}.block{s}-{i}.f.c.0.weight, .f.c.1.*                         -> conv3, bn3
 *   fc.weight, fc.bias                                                                -> classifier
 * </pre>
 *
 * BatchNorm suffixes map {@code weight -> gamma}, {@code bias -> beta}, {@code running_mean -> runningMean},
 * {@code running_var -> runningVar}; layouts are PyTorch's (OIHW kernels, {@code [out, in]} linear weights), which are
 * also DJL's, so values are copied unchanged. Tensors named {@code *.num_batches_tracked} (a training counter) are
 * accepted and ignored. Gates are not part of torchvision files and keep their fresh (open) initialisation, unless
 * the file names them as the LAUDNet reference does ({@link GateNames#LAUDNET}: after {@code layer{s}.{i}.} in a
 * ResNet, after {@code trunk_output.block{s}.block{s}-{i}.f.} in a RegNetY, as the reference's {@code laud_regnet.py}
 * puts its maskers in the bottleneck transform {@code f}).
 *
 * <p>Every name, shape and value is checked before any parameter is written: a missing tensor, a tensor the network has
 * no place for, a shape mismatch or a NaN or infinite value raises a {@link WeightFileException} naming the file, the
 * tensor and the expected vs actual shape (or the offending value), and leaves the network untouched. Stateless; a network must not be trained while it is imported into.
 */
public final class TorchvisionImporter {

    /** Suffix of BatchNorm batch counters, which are ignored on import. */
    public static final String BATCH_COUNTER_SUFFIX = ".num_batches_tracked";

    private TorchvisionImporter() {}

    /** One torchvision name bound to one DJL parameter. */
    private record Binding(String name, Block block, String parameter) {
        NDArray array() {
            Parameter p = block.getDirectParameters().get(parameter);
            if (p == null || !p.isInitialized()) {
                throw new IllegalArgumentException("parameter " + parameter + " of " + name
                        + " does not exist or is not initialised; initialise the network first");
            }
            return p.getArray();
        }
    }

    /**
     * Reads a safetensors file and loads it into a ResNet.
     *
     * @param file the safetensors file with torchvision ResNet names
     * @param net an initialised network (stride on the 3x3 convolution, no convolution biases)
     * @throws WeightFileException if the file is unreadable, or a tensor is missing, unknown, mis-shaped or holds a NaN
     *     or infinite value (nothing is written then)
     * @throws IllegalArgumentException if the network is not an initialised, torchvision-shaped ResNet
     */
    public static void loadResNet(Path file, GatedNetwork net) throws WeightFileException {
        loadResNet(SafetensorsReader.read(file), file, net);
    }

    /**
     * Loads torchvision ResNet tensors into a network.
     *
     * @param tensors the tensors
     * @param source the file they came from (named in errors)
     * @param net an initialised network (stride on the 3x3 convolution, no convolution biases)
     * @throws WeightFileException if a tensor is missing, unknown, mis-shaped or holds a NaN or infinite value (nothing
     *     is written then)
     * @throws IllegalArgumentException if the network is not an initialised, torchvision-shaped ResNet
     */
    public static void loadResNet(TensorFile tensors, Path source, GatedNetwork net) throws WeightFileException {
        apply(tensors, source, resNetBindings(net, GateNames.FRESH));
    }

    /**
     * Loads ResNet tensors into a network, the gates too when {@code gates} is {@link GateNames#LAUDNET}.
     *
     * @param tensors the tensors
     * @param source the file they came from (named in errors)
     * @param net an initialised network (stride on the 3x3 convolution, no convolution biases)
     * @param gates whether the gates keep their fresh initialisation or are loaded by the LAUDNet reference's names
     * @throws WeightFileException listing every missing, unexpected and mis-shaped tensor, or naming a NaN or infinite
     *     value (nothing is written then)
     * @throws IllegalArgumentException if the network is not an initialised, torchvision-shaped ResNet
     */
    public static void loadResNet(TensorFile tensors, Path source, GatedNetwork net, GateNames gates)
            throws WeightFileException {
        if (gates == null) {
            throw new IllegalArgumentException("gates must not be null");
        }
        apply(tensors, source, resNetBindings(net, gates));
    }

    /**
     * How the gates of a network are named in a state dict.
     *
     * <p>{@link #LAUDNET}: as the reference implementation's gated bottleneck names them, per block
     * {@code layer{s}.{i}.} (ResNet) or {@code trunk_output.block{s}.block{s}-{i}.f.} (RegNetY) followed by
     *
     * <pre>
     *   masker_spatial.conv.{weight,bias}          spatial or layer gate: 1x1 conv Cin -> 2 gs (keep logits first)
     *   masker_channel.conv.{weight,bias}          channel gate, MLP-1: linear Cin -> 2 G
     *   masker_channel.conv.{0,2}.{weight,bias}    channel gate, MLP-2: hidden and last linear
     *   masker_channel.conv.0.weight, .conv.1.*,
     *   masker_channel.linear.{weight,bias}        channel gate, conv-linear: 1x1 conv, BatchNorm, linear
     * </pre>
     *
     * The logit layouts are ours ({@code (2, groups)}, keep first), so values are copied unchanged.
     */
    public enum GateNames {
        /** The file has no gate tensors; gates keep their fresh (open) initialisation (torchvision files). */
        FRESH,
        /** Every gate of the network is loaded from the file by the LAUDNet reference's names. */
        LAUDNET
    }

    /**
     * Reads a safetensors file and loads it into a RegNetY.
     *
     * @param file the safetensors file with torchvision RegNet names
     * @param net an initialised network
     * @throws WeightFileException if the file is unreadable, or a tensor is missing, unknown, mis-shaped or holds a NaN
     *     or infinite value (nothing is written then)
     * @throws IllegalArgumentException if the network is not an initialised RegNetY
     */
    public static void loadRegNet(Path file, GatedNetwork net) throws WeightFileException {
        loadRegNet(SafetensorsReader.read(file), file, net);
    }

    /**
     * Loads torchvision RegNet tensors into a network.
     *
     * @param tensors the tensors
     * @param source the file they came from (named in errors)
     * @param net an initialised network
     * @throws WeightFileException if a tensor is missing, unknown, mis-shaped or holds a NaN or infinite value (nothing
     *     is written then)
     * @throws IllegalArgumentException if the network is not an initialised RegNetY
     */
    public static void loadRegNet(TensorFile tensors, Path source, GatedNetwork net) throws WeightFileException {
        apply(tensors, source, regNetBindings(net, GateNames.FRESH));
    }

    /**
     * Loads RegNetY tensors into a network, the gates too when {@code gates} is {@link GateNames#LAUDNET} (named as
     * the reference's {@code laud_regnet.py} names them, {@code trunk_output.block{s}.block{s}-{i}.f.masker_spatial.*}
     * and {@code ...f.masker_channel.*}, with the layouts of {@link GateNames}).
     *
     * @param tensors the tensors
     * @param source the file they came from (named in errors)
     * @param net an initialised RegNetY
     * @param gates whether the gates keep their fresh initialisation or are loaded by the LAUDNet reference's names
     * @throws WeightFileException listing every missing, unexpected and mis-shaped tensor, or naming a NaN or infinite
     *     value (nothing is written then)
     * @throws IllegalArgumentException if the network is not an initialised RegNetY
     */
    public static void loadRegNet(TensorFile tensors, Path source, GatedNetwork net, GateNames gates)
            throws WeightFileException {
        if (gates == null) {
            throw new IllegalArgumentException("gates must not be null");
        }
        apply(tensors, source, regNetBindings(net, gates));
    }

    /**
     * Returns a ResNet's parameters (gates excluded) under torchvision names, e.g. to write them with
     * {@link SafetensorsWriter}.
     *
     * @param net an initialised ResNet (stride on the 3x3 convolution, no convolution biases)
     * @return the tensors, in torchvision's module order
     * @throws IllegalArgumentException if the network is not an initialised, torchvision-shaped ResNet
     */
    public static TensorFile exportResNet(GatedNetwork net) {
        return export(resNetBindings(net, GateNames.FRESH));
    }

    /**
     * Returns a ResNet's parameters under torchvision names, with its gates under the LAUDNet reference's names when
     * {@code gates} is {@link GateNames#LAUDNET}.
     *
     * @param net an initialised ResNet (stride on the 3x3 convolution, no convolution biases)
     * @param gates whether to include the gates
     * @return the tensors, in module order (each block's gates after its convolutions)
     * @throws IllegalArgumentException if the network is not an initialised, torchvision-shaped ResNet
     */
    public static TensorFile exportResNet(GatedNetwork net, GateNames gates) {
        if (gates == null) {
            throw new IllegalArgumentException("gates must not be null");
        }
        return export(resNetBindings(net, gates));
    }

    /**
     * Returns a RegNetY's parameters (gates excluded) under torchvision names.
     *
     * @param net an initialised RegNetY
     * @return the tensors, in torchvision's module order
     * @throws IllegalArgumentException if the network is not an initialised RegNetY
     */
    public static TensorFile exportRegNet(GatedNetwork net) {
        return export(regNetBindings(net, GateNames.FRESH));
    }

    /**
     * Returns a RegNetY's parameters under torchvision names, with its gates under the LAUDNet reference's names when
     * {@code gates} is {@link GateNames#LAUDNET}.
     *
     * @param net an initialised RegNetY
     * @param gates whether to include the gates
     * @return the tensors, in module order (each block's gates after its squeeze-excitation and conv3)
     * @throws IllegalArgumentException if the network is not an initialised RegNetY
     */
    public static TensorFile exportRegNet(GatedNetwork net, GateNames gates) {
        if (gates == null) {
            throw new IllegalArgumentException("gates must not be null");
        }
        return export(regNetBindings(net, gates));
    }

    private static TensorFile export(List<Binding> bindings) {
        List<NamedTensor> list = new ArrayList<>(bindings.size());
        for (Binding b : bindings) {
            NDArray a = b.array();
            list.add(new NamedTensor(b.name(), a.getShape().getShape(), a.toFloatArray()));
        }
        return TensorFile.of(list);
    }

    private static void apply(TensorFile tensors, Path source, List<Binding> bindings) throws WeightFileException {
        Map<String, Binding> byName = new LinkedHashMap<>();
        for (Binding b : bindings) {
            byName.put(b.name(), b);
        }
        TreeSet<String> unknown = new TreeSet<>();
        for (String name : tensors.names()) {
            if (!byName.containsKey(name) && !name.endsWith(BATCH_COUNTER_SUFFIX)) {
                unknown.add(name);
            }
        }
        List<String> missing = new ArrayList<>();
        List<String> misShaped = new ArrayList<>();
        String first = null;
        List<NDArray> targets = new ArrayList<>(bindings.size());
        List<float[]> values = new ArrayList<>(bindings.size());
        for (Binding b : bindings) {
            NamedTensor t = tensors.find(b.name()).orElse(null);
            if (t == null) {
                missing.add(b.name());
                continue;
            }
            NDArray target = b.array();
            long[] expected = target.getShape().getShape();
            if (!Arrays.equals(expected, t.shape())) {
                misShaped.add(b.name() + ": expected shape " + Arrays.toString(expected) + " but the file has "
                        + Arrays.toString(t.shape()));
                first = first == null ? b.name() : first;
                continue;
            }
            int bad = NamedTensor.firstNonFinite(t.data());
            if (bad >= 0) {
                throw new WeightFileException(source, b.name(), "value " + bad + " of shape "
                        + Arrays.toString(t.shape()) + " is " + t.data()[bad] + " (weights must be finite)", null);
            }
            targets.add(target);
            values.add(t.data());
        }
        if (!unknown.isEmpty() || !missing.isEmpty() || !misShaped.isEmpty()) {
            List<String> parts = new ArrayList<>();
            if (!misShaped.isEmpty()) {
                parts.add(misShaped.size() + " shape mismatch(es): " + abbreviate(misShaped, "; "));
            }
            if (!missing.isEmpty()) {
                parts.add(missing.size() + " tensor(s) missing from the file: " + abbreviate(missing, ", "));
                first = first == null ? missing.get(0) : first;
            }
            if (!unknown.isEmpty()) {
                parts.add(unknown.size() + " unexpected tensor(s), the network has no parameter for them: "
                        + abbreviate(new ArrayList<>(unknown), ", "));
                first = first == null ? unknown.first() : first;
            }
            throw new WeightFileException(source, first, String.join("; ", parts)
                    + " (nothing was loaded)", null);
        }
        for (int i = 0; i < targets.size(); i++) {
            ArrayWrites.write(targets.get(i), values.get(i));
        }
    }

    private static String abbreviate(List<String> names, String separator) {
        List<String> first = names.subList(0, Math.min(8, names.size()));
        return String.join(separator, first) + (names.size() > 8 ? separator + "..." : "");
    }

    private static List<Binding> resNetBindings(GatedNetwork net, GateNames gates) {
        if (!(net.getFamily() instanceof ResNetFamily family)) {
            throw new IllegalArgumentException("net must be a ResNet (" + ResNetFamily.ID + "), got "
                    + describe(net.getFamily()));
        }
        if (!net.isInitialized()) {
            throw new IllegalArgumentException("net must be initialised before importing or exporting weights");
        }
        if (family.convBias()) {
            throw new IllegalArgumentException("torchvision ResNets have no convolution biases; build the net with "
                    + "optConvBias(false)");
        }
        if (family.blockType() == BlockType.BOTTLENECK && family.stridePlacement() != StridePlacement.CONV2) {
            throw new IllegalArgumentException("torchvision ResNets stride on the 3x3 convolution; stridePlacement "
                    + "must be CONV2, got " + family.stridePlacement());
        }
        List<Binding> list = new ArrayList<>();
        conv(list, "conv1", net.getStemConv());
        bn(list, "bn1", net.getStemBn());
        int index = 0;
        for (int s = 0; s < net.getStages().size(); s++) {
            for (int i = 0; i < net.getStages().get(s).blocks(); i++) {
                AbstractGatedBlock block = net.getBlocks().get(index++);
                String p = "layer" + (s + 1) + "." + i + ".";
                convBn(list, p + "conv1", p + "bn1", block.getConv1());
                convBn(list, p + "conv2", p + "bn2", block.getConv2());
                if (block.getConv3().isPresent()) {
                    convBn(list, p + "conv3", p + "bn3", block.getConv3().get());
                }
                if (block.getDownsample().isPresent()) {
                    convBn(list, p + "downsample.0", p + "downsample.1", block.getDownsample().get());
                }
                if (gates == GateNames.LAUDNET) {
                    gateBindings(list, p, block);
                }
            }
        }
        linear(list, "fc", net.getHead());
        return list;
    }

    private static List<Binding> regNetBindings(GatedNetwork net, GateNames gates) {
        if (!(net.getFamily() instanceof RegNetYFamily)) {
            throw new IllegalArgumentException("net must be a RegNetY (" + RegNetYFamily.ID + "), got "
                    + describe(net.getFamily()));
        }
        if (!net.isInitialized()) {
            throw new IllegalArgumentException("net must be initialised before importing or exporting weights");
        }
        List<Binding> list = new ArrayList<>();
        conv(list, "stem.0", net.getStemConv());
        bn(list, "stem.1", net.getStemBn());
        int index = 0;
        for (int s = 0; s < net.getStages().size(); s++) {
            for (int i = 0; i < net.getStages().get(s).blocks(); i++) {
                AbstractGatedBlock block = net.getBlocks().get(index++);
                String p = "trunk_output.block" + (s + 1) + ".block" + (s + 1) + "-" + i + ".";
                if (block.getDownsample().isPresent()) {
                    convBn(list, p + "proj.0", p + "proj.1", block.getDownsample().get());
                }
                convBn(list, p + "f.a.0", p + "f.a.1", block.getConv1());
                convBn(list, p + "f.b.0", p + "f.b.1", block.getConv2());
                AbstractGatedBlock.SqueezeExcitation se = block.getSqueezeExcitation().orElseThrow(
                        () -> new IllegalArgumentException("RegNetY block " + p + " has no squeeze-excitation"));
                convWithBias(list, p + "f.se.fc1", se.fc1());
                convWithBias(list, p + "f.se.fc2", se.fc2());
                convBn(list, p + "f.c.0", p + "f.c.1", block.getConv3().orElseThrow());
                if (gates == GateNames.LAUDNET) {
                    gateBindings(list, p + "f.", block);
                }
            }
        }
        linear(list, "fc", net.getHead());
        return list;
    }

    private static void gateBindings(List<Binding> list, String p, AbstractGatedBlock block) {
        block.getSpatialGate().ifPresent(g -> {
            Conv2d conv = layers(g, Conv2d.class).get(0);
            convWithBias(list, p + "masker_spatial.conv", conv);
        });
        block.getChannelGate().ifPresent(g -> {
            List<Linear> linears = layers(g, Linear.class);
            String m = p + "masker_channel.";
            switch (g.getKind()) {
                case MLP_1 -> linear(list, m + "conv", linears.get(0));
                case MLP_2 -> {
                    linear(list, m + "conv.0", linears.get(0));
                    linear(list, m + "conv.2", linears.get(1));
                }
                case CONV_LINEAR -> {
                    conv(list, m + "conv.0", layers(g, Conv2d.class).get(0));
                    bn(list, m + "conv.1", layers(g, BatchNorm.class).get(0));
                    linear(list, m + "linear", linears.get(0));
                }
                default -> throw new IllegalArgumentException("channel masker kind " + g.getKind()
                        + " has no LAUDNet reference names");
            }
        });
    }

    /** The layers of one type inside a block, depth first in the order they were added. */
    private static <T extends Block> List<T> layers(Block root, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Block child : root.getChildren().values()) {
            if (type.isInstance(child)) {
                out.add(type.cast(child));
            } else {
                out.addAll(layers(child, type));
            }
        }
        return out;
    }

    private static String describe(BlockFamily family) {
        return family == null ? "no family" : family.id() + " (" + family + ")";
    }

    private static void convBn(List<Binding> list, String convName, String bnName, AbstractGatedBlock.ConvBn layers) {
        conv(list, convName, layers.conv());
        bn(list, bnName, layers.bn());
    }

    private static void conv(List<Binding> list, String name, Conv2d conv) {
        list.add(new Binding(name + ".weight", conv, "weight"));
    }

    private static void convWithBias(List<Binding> list, String name, Conv2d conv) {
        list.add(new Binding(name + ".weight", conv, "weight"));
        list.add(new Binding(name + ".bias", conv, "bias"));
    }

    private static void bn(List<Binding> list, String name, BatchNorm bn) {
        list.add(new Binding(name + ".weight", bn, "gamma"));
        list.add(new Binding(name + ".bias", bn, "beta"));
        list.add(new Binding(name + ".running_mean", bn, "runningMean"));
        list.add(new Binding(name + ".running_var", bn, "runningVar"));
    }

    private static void linear(List<Binding> list, String name, Linear linear) {
        list.add(new Binding(name + ".weight", linear, "weight"));
        list.add(new Binding(name + ".bias", linear, "bias"));
    }
}
