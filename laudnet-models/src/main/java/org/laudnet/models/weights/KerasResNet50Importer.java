package org.laudnet.models.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.util.ArrayWrites;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.ResNetDepth;
import org.laudnet.models.resnet.ResNetFamily;

/**
 * Imports the Keras ResNet-50 ("v1": stride on the first 1x1 convolution of downsampling blocks) of a TF.js layers
 * model into a ResNet-50 built by {@link LaudResNet} (a {@link GatedNetwork} of {@link ResNetFamily} bottlenecks).
 *
 * <p>Mapping: {@code conv1}/{@code bn_conv1} to the stem; {@code res{s}{b}_branch2a/2b/2c} and {@code bn...} to conv1,
 * conv2, conv3 of block {@code b} (a, b, c, ...) of stage {@code s - 1}; {@code res{s}a_branch1} to the downsample;
 * {@code fc1000} to the classifier. Kernels are transposed HWIO to OIHW, the dense kernel {@code [in, out]} to
 * {@code [out, in]}; each convolution's bias is folded into its BatchNorm ({@code mean' = mean - bias}), so the
 * network has no convolution biases; BatchNorm epsilon is 1e-3. Gates keep their fresh (open) initialisation.
 *
 * <p>Every tensor is read, transposed and shape-checked before any parameter is written: a missing tensor or a shape
 * mismatch raises a {@link WeightFileException} naming the file, the tensor and the expected vs actual shape, and
 * leaves the network untouched.
 */
public final class KerasResNet50Importer {

    private KerasResNet50Importer() {}

    /**
     * A builder preset to the Keras ResNet-50 architecture (stride on conv1, BatchNorm epsilon 1e-3, 224x224, 1000
     * classes); gates can still be set on it.
     *
     * @return the builder
     */
    public static LaudResNet.Builder builder() {
        return LaudResNet.builder()
                .setDepth(ResNetDepth.RESNET50)
                .optStridePlacement(StridePlacement.CONV1)
                .optBatchNormEpsilon(1e-3f)
                .optInputSize(224)
                .optNumClasses(1000);
    }

    /**
     * Loads the weights into an initialised network built from {@link #builder()}.
     *
     * @param model the TF.js model
     * @param net the network (initialised, so its parameters exist)
     * @throws WeightFileException if a tensor is missing or has the wrong shape; nothing is written then
     * @throws IllegalArgumentException if the network is not a ResNet-50 (bottleneck ResNet family, 16 blocks in
     *     stages of 3, 4, 6, 3) or not initialised
     */
    public static void load(TfjsLayersModel model, GatedNetwork net) throws WeightFileException {
        if (!(net.getFamily() instanceof ResNetFamily family) || family.blockType() != BlockType.BOTTLENECK
                || net.getBlocks().size() != 16 || !net.isInitialized()) {
            throw new IllegalArgumentException("net must be an initialised ResNet-50 built from "
                    + "KerasResNet50Importer.builder(), got a " + net.getFamily() + " network of "
                    + net.getBlocks().size() + " blocks" + (net.isInitialized() ? "" : " (not initialised)"));
        }
        List<Assignment> plan = new ArrayList<>();
        Loader l = new Loader(model, plan);
        l.conv(net.getStemConv(), "conv1");
        l.batchNorm(net.getStemBn(), "bn_conv1", "conv1");
        String letters = "abcdefghijklmnopqrstuvwxyz";
        int index = 0;
        List<Integer> perStage = ResNetDepth.RESNET50.blocksPerStage();
        for (int s = 0; s < perStage.size(); s++) {
            for (int b = 0; b < perStage.get(s); b++) {
                AbstractGatedBlock block = net.getBlocks().get(index++);
                String id = (s + 2) + String.valueOf(letters.charAt(b));
                l.convBn(block.getConv1(), id, "_branch2a");
                l.convBn(block.getConv2(), id, "_branch2b");
                l.convBn(block.getConv3().orElseThrow(), id, "_branch2c");
                if (block.getDownsample().isPresent()) {
                    l.convBn(block.getDownsample().get(), id, "_branch1");
                }
            }
        }
        l.dense(net.getHead(), "fc1000");
        for (Assignment a : plan) {
            ArrayWrites.write(a.target(), a.values());
        }
    }

    private record Assignment(NDArray target, float[] values) {}

    /** Builds the assignment plan, checking every tensor before anything is written. */
    private static final class Loader {
        private final TfjsLayersModel model;
        private final List<Assignment> plan;

        Loader(TfjsLayersModel model, List<Assignment> plan) {
            this.model = model;
            this.plan = plan;
        }

        private NamedTensor tensor(String name) throws WeightFileException {
            return model.weights().find(name).orElseThrow(() -> new WeightFileException(
                    model.file(), name, "tensor is missing from the model", null));
        }

        private void put(Block block, String param, NamedTensor t) throws WeightFileException {
            Parameter p = block.getDirectParameters().get(param);
            if (p == null) {
                throw new IllegalArgumentException("block " + block + " has no parameter " + param);
            }
            long[] expected = p.getArray().getShape().getShape();
            if (!Arrays.equals(expected, t.shape())) {
                throw new WeightFileException(model.file(), t.name(), "shape " + Arrays.toString(t.shape())
                        + " does not match the network's " + param + " shape " + Arrays.toString(expected), null);
            }
            plan.add(new Assignment(p.getArray(), t.data()));
        }

        void conv(Block conv, String layer) throws WeightFileException {
            NamedTensor kernel = tensor(layer + "/kernel");
            if (kernel.rank() != 4) {
                throw new WeightFileException(model.file(), kernel.name(),
                        "expected a 4-d HWIO kernel, got shape " + Arrays.toString(kernel.shape()), null);
            }
            put(conv, "weight", WeightLayouts.hwioToOihw(kernel));
        }

        void convBn(AbstractGatedBlock.ConvBn layers, String id, String branch) throws WeightFileException {
            conv(layers.conv(), "res" + id + branch);
            batchNorm(layers.bn(), "bn" + id + branch, "res" + id + branch);
        }

        void batchNorm(Block bn, String layer, String convLayer) throws WeightFileException {
            NamedTensor mean = tensor(layer + "/moving_mean");
            NamedTensor bias = tensor(convLayer + "/bias");
            if (bias.numel() != mean.numel()) {
                throw new WeightFileException(model.file(), bias.name(), "has " + bias.numel()
                        + " values but " + mean.name() + " has " + mean.numel(), null);
            }
            float[] folded = WeightLayouts.foldConvBiasIntoRunningMean(bias.data(), mean.data());
            put(bn, "gamma", tensor(layer + "/gamma"));
            put(bn, "beta", tensor(layer + "/beta"));
            put(bn, "runningMean", new NamedTensor(mean.name(), mean.shape(), folded));
            put(bn, "runningVar", tensor(layer + "/moving_variance"));
        }

        void dense(Block linear, String layer) throws WeightFileException {
            NamedTensor kernel = tensor(layer + "/kernel");
            if (kernel.rank() != 2) {
                throw new WeightFileException(model.file(), kernel.name(),
                        "expected a 2-d [in, out] kernel, got shape " + Arrays.toString(kernel.shape()), null);
            }
            put(linear, "weight", WeightLayouts.inOutToOutIn(kernel));
            put(linear, "bias", tensor(layer + "/bias"));
        }
    }
}
