package org.laudnet.models.inference;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Locale;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.ImageNetLabels;
import org.laudnet.models.weights.KerasResNet50Importer;
import org.laudnet.models.weights.TfjsLayersModel;
import org.laudnet.models.weights.WeightFileException;

/**
 * The pretrained models the library ships, as {@link LaudModel}s: load one by name, optionally with fresh (open)
 * per-stage gates, and classify with {@link LaudModel#newClassifier}.
 *
 * <pre>{@code
 * try (LaudModel model = PretrainedModels.load("resnet50-imagenet");
 *      LaudPredictor<Path, GatedClassifications> p = model.newClassifier(Path.class)) {
 *     System.out.println(p.predict(Path.of("eagle.jpg")).best());
 * }
 * }</pre>
 *
 * <p>{@value #RESNET50_IMAGENET}: the Keras ImageNet ResNet-50 from the {@link AssetCache} ({@code scripts/fetch-assets
 * weights} puts it there), in its original form: stride on the first 1x1 convolution of downsampling bottlenecks
 * ("v1"), BatchNorm epsilon 1e-3, the convolution biases folded into the BatchNorm means, 224 x 224 BGR input with the
 * Caffe preprocessing ({@link ImagePreprocessing#caffe()}: shorter side 256, centre crop 224, BGR mean subtraction),
 * and the 1000 ImageNet class names. With gates of any kind the fresh (open) gates compute the static network's
 * function until they are trained. Stateless and thread-safe; every call loads a new model that the caller closes.
 */
public final class PretrainedModels {

    /** Name of the Keras ImageNet ResNet-50. */
    public static final String RESNET50_IMAGENET = "resnet50-imagenet";

    /** The names {@link #load} accepts. */
    public static final List<String> NAMES = List.of(RESNET50_IMAGENET);

    private PretrainedModels() {}

    /**
     * Loads a pretrained model from the default asset cache with the default options.
     *
     * @param name one of {@link #NAMES}
     * @param stageGates nothing for the static network, or one gate spec per stage (4 for ResNet-50)
     * @return the model; the caller closes it
     * @throws WeightFileException if the weights or labels are missing from the cache or damaged (the message says
     *     how to fetch them)
     * @throws IllegalArgumentException for an unknown name or a wrong number of stage gates
     */
    public static LaudModel load(String name, GateSpec... stageGates) throws WeightFileException {
        return load(name, AssetCache.defaultCache(), LaudModel.Options.defaults(), stageGates);
    }

    /**
     * Loads a pretrained model.
     *
     * @param name one of {@link #NAMES}
     * @param cache the asset cache holding the weights and labels
     * @param options how the model runs
     * @param stageGates nothing for the static network, or one gate spec per stage (4 for ResNet-50)
     * @return the model; the caller closes it
     * @throws WeightFileException if the weights or labels are missing or damaged
     * @throws IllegalArgumentException for an unknown name or a wrong number of stage gates
     */
    public static LaudModel load(String name, AssetCache cache, LaudModel.Options options, GateSpec... stageGates)
            throws WeightFileException {
        if (name == null || !NAMES.contains(name.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("name must be one of " + NAMES + ", got '" + name + "'");
        }
        return resnet50ImageNet(cache, options, stageGates);
    }

    /**
     * Loads the Keras ImageNet ResNet-50 ({@value #RESNET50_IMAGENET}).
     *
     * @param cache the asset cache holding the weights and labels
     * @param options how the model runs
     * @param stageGates nothing for the static network, or four gate specs (one per stage)
     * @return the model, with {@link ImagePreprocessing#caffe()} and the ImageNet labels; the caller closes it
     * @throws WeightFileException if the weights or labels are missing or damaged
     * @throws IllegalArgumentException if {@code stageGates} is neither empty nor four specs
     */
    public static LaudModel resnet50ImageNet(AssetCache cache, LaudModel.Options options, GateSpec... stageGates)
            throws WeightFileException {
        if (cache == null || options == null || stageGates == null) {
            throw new IllegalArgumentException("cache, options and stageGates must not be null");
        }
        if (stageGates.length != 0 && stageGates.length != 4) {
            throw new IllegalArgumentException("stageGates must be empty or have 4 specs (one per ResNet-50 stage),"
                    + " got " + stageGates.length);
        }
        LaudResNet.Builder builder = KerasResNet50Importer.builder();
        if (stageGates.length > 0) {
            builder.optStageGates(stageGates);
        }
        GatedBackbone net = builder.build();
        ImageNetLabels labels = ImageNetLabels.load(cache.imageNetLabelsJson());
        TfjsLayersModel weights = cache.readResNet50();
        ModelMetadata metadata = new ModelMetadata(ImagePreprocessing.caffe(), labels.names());
        return LaudModel.create(RESNET50_IMAGENET, metadata, options, manager -> {
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 224, 224));
            KerasResNet50Importer.load(weights, net);
            return net;
        });
    }
}
