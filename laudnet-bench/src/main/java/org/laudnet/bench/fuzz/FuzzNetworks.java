package org.laudnet.bench.fuzz;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.List;
import java.util.SplittableRandom;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.resnet.LaudResNet;

/**
 * The small networks fuzz seeds are generated from, and the checks of what a reader returned: a two-stage gated
 * ResNet (basic blocks of 8 and 16 channels, spatially and channel-gated, RGB input of {@value #INPUT_SIZE} x
 * {@value #INPUT_SIZE}, {@value #CLASSES} classes; torchvision-shaped, so it also serves the safetensors import).
 * Stateless and thread-safe.
 */
public final class FuzzNetworks {

    /** Input side of the seed networks. */
    public static final int INPUT_SIZE = 16;

    /** Input channels of the seed networks. */
    public static final int CHANNELS = 3;

    /** Classes of the seed networks. */
    public static final int CLASSES = 4;

    private FuzzNetworks() {}

    /**
     * Builds the (uninitialised) seed network.
     *
     * @return the network
     */
    public static GatedBackbone tiny() {
        return LaudResNet.builder()
                .setStages(BlockType.BASIC, List.of(
                        new StageSpec(1, 8, 8, 1, GateSpec.none()), new StageSpec(1, 16, 16, 2, GateSpec.none())))
                .optStageGates(GateSpec.spatial(2), GateSpec.channel(2))
                .optStem(StemSpec.small(CHANNELS, 8))
                .optInputSize(INPUT_SIZE)
                .optNumClasses(CLASSES)
                .optSeed(7)
                .build();
    }

    /**
     * Builds and initialises the seed network on a manager, its parameters set to seeded random values (positive
     * where BatchNorm needs them).
     *
     * @param manager the owner of the parameters
     * @param seed the values' seed
     * @return the network
     */
    public static GatedBackbone initialised(NDManager manager, long seed) {
        GatedBackbone net = tiny();
        net.initialize(manager, DataType.FLOAT32, new Shape(1, CHANNELS, INPUT_SIZE, INPUT_SIZE));
        randomize(net, seed);
        return net;
    }

    /**
     * Sets every parameter to seeded random values: running variances and BatchNorm scales in [0.5, 1.5], the rest in
     * [-0.5, 0.5].
     *
     * @param block the initialised block
     * @param seed the seed
     */
    public static void randomize(Block block, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (Pair<String, Parameter> p : block.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            boolean positive = p.getKey().endsWith("runningVar") || p.getKey().endsWith("gamma");
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (positive ? 0.5 + r.nextDouble() : r.nextDouble() - 0.5);
            }
            a.set(v);
        }
    }

    /**
     * The metadata recorded in the seed model file: an RGB preprocessing for the input size and one label per class.
     *
     * @return the metadata
     */
    public static ModelMetadata metadata() {
        return new ModelMetadata(new ImagePreprocessing(INPUT_SIZE + 2, INPUT_SIZE,
                ImagePreprocessing.ChannelOrder.RGB, new float[] {120f, 115f, 100f}, new float[] {60f, 60f, 60f}),
                List.of("circle", "square", "triangle", "star"));
    }

    /**
     * Checks what a reader built: every parameter initialised, float32 and finite, and one evaluation forward pass that
     * gives logits of the network's class count (finite weights may still be large enough to overflow them, or to make a
     * gate refuse NaN logits, which is not a defect of the reader).
     *
     * @param block the block a reader returned or loaded into
     * @param manager a manager for the forward pass's arrays
     * @param channels the input channels
     * @param size the input side
     * @param classes the expected number of logits per sample
     * @return what is wrong, or null if the block is usable
     */
    public static String defect(Block block, NDManager manager, int channels, int size, int classes) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter param = p.getValue();
            if (!param.isInitialized()) {
                return "parameter " + p.getKey() + " is not initialised";
            }
            NDArray a = param.getArray();
            if (a.getDataType() != DataType.FLOAT32) {
                return "parameter " + p.getKey() + " has data type " + a.getDataType();
            }
            float[] v = a.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                if (!Float.isFinite(v[i])) {
                    return "parameter " + p.getKey() + " value " + i + " is " + v[i];
                }
            }
        }
        try (NDManager m = manager.newSubManager()) {
            NDList out = block.forward(new ParameterStore(m, false),
                    new NDList(m.ones(new Shape(1, channels, size, size))), false);
            NDArray logits = out.get(0);
            if (!logits.getShape().equals(new Shape(1, classes))) {
                return "the forward pass gives logits of shape " + logits.getShape() + ", expected (1, " + classes
                        + ")";
            }
        } catch (RuntimeException e) {
            if (overflow(e)) {
                // finite but extreme weights (a flipped exponent bit) can overflow to NaN activations, which the gates
                // refuse: the network is complete, its values are only unusual
                return null;
            }
            return "the forward pass fails: " + e;
        }
        return null;
    }

    /** Whether a forward pass failed because activations became NaN (the gates refuse NaN logits). */
    private static boolean overflow(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalArgumentException && String.valueOf(t.getMessage()).contains(" NaN value")) {
                return true;
            }
        }
        return false;
    }
}
