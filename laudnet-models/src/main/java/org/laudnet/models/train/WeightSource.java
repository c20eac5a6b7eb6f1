package org.laudnet.models.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.inference.PretrainedModels;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.KerasResNet50Importer;
import org.laudnet.models.weights.NamedTensor;
import org.laudnet.models.weights.SafetensorsReader;
import org.laudnet.models.weights.TensorFile;
import org.laudnet.models.weights.TfjsLayersModel;
import org.laudnet.models.weights.WeightFileException;
import org.laudnet.models.weights.torch.TorchCheckpointReader;
import org.laudnet.models.weights.torch.TorchWeights;

/**
 * Where the pretrained weights of a fine-tuning run come from, and what that implies for the network and its input.
 *
 * <ul>
 *   <li>{@link Kind#KERAS_RESNET50_IMAGENET} ({@value PretrainedModels#RESNET50_IMAGENET}): the Keras ImageNet
 *       ResNet-50 of the asset cache (TF.js {@code model.json}); only for {@link Architecture#RESNET50}. The network
 *       keeps the Keras form (stride on the first 1x1 convolution, BatchNorm epsilon 1e-3, convolution biases folded
 *       into the BatchNorm means, see {@link KerasResNet50Importer}) and its BGR Caffe input
 *       ({@link ImagePreprocessing#caffe()}).
 *   <li>{@link Kind#TORCHVISION}: a safetensors file with torchvision's parameter names, for any
 *       {@link Architecture} in its torchvision form (ResNet "v1.5", RegNetY), with
 *       {@link ImagePreprocessing#torchvision()} input (RGB, ImageNet mean and standard deviation). The number of
 *       classes is the first dimension of the file's {@code fc.weight}.
 *   <li>{@link Kind#PYTORCH}: a PyTorch checkpoint ({@code .pth}, {@code .pt}, {@code .pth.tar}, read by
 *       {@link TorchCheckpointReader}, which refuses any pickle that is not a plain state dict) with torchvision's
 *       names or, for the ResNets, the LAUDNet reference's names including the gates; same network form and
 *       {@link ImagePreprocessing#torchvision()} input as {@link Kind#TORCHVISION}. Gates of a LAUDNet checkpoint are
 *       loaded into a gated network (whose per-stage gates must be the checkpoint's) and left out of a static one
 *       (the teacher).
 * </ul>
 *
 * @param kind the kind of weights
 * @param file the TF.js {@code model.json}, the safetensors file or the PyTorch checkpoint
 */
public record WeightSource(Kind kind, Path file) {

    /** The kinds of pretrained weights. */
    public enum Kind {
        /** The Keras ImageNet ResNet-50 (TF.js layers model of the asset cache). */
        KERAS_RESNET50_IMAGENET,
        /** A safetensors file with torchvision parameter names. */
        TORCHVISION,
        /** A PyTorch checkpoint with torchvision or LAUDNet reference parameter names. */
        PYTORCH
    }

    /** Validates the fields. */
    public WeightSource {
        if (kind == null || file == null) {
            throw new IllegalArgumentException("kind and file must not be null");
        }
    }

    /**
     * The Keras ImageNet ResNet-50 of an asset cache.
     *
     * @param cache the cache ({@code scripts/fetch-assets weights} fills it)
     * @return the source
     */
    public static WeightSource kerasResNet50ImageNet(AssetCache cache) {
        if (cache == null) {
            throw new IllegalArgumentException("cache must not be null");
        }
        return new WeightSource(Kind.KERAS_RESNET50_IMAGENET, cache.resnet50ModelJson());
    }

    /**
     * A safetensors file with torchvision parameter names.
     *
     * @param safetensors the file
     * @return the source
     */
    public static WeightSource torchvision(Path safetensors) {
        return new WeightSource(Kind.TORCHVISION, safetensors);
    }

    /**
     * A PyTorch checkpoint with torchvision or LAUDNet reference parameter names.
     *
     * @param checkpoint the {@code .pth}, {@code .pt} or {@code .pth.tar} file
     * @return the source
     */
    public static WeightSource pytorch(Path checkpoint) {
        return new WeightSource(Kind.PYTORCH, checkpoint);
    }

    /**
     * Parses {@value PretrainedModels#RESNET50_IMAGENET}, the path of a {@code .safetensors} file or the path of a
     * PyTorch checkpoint ({@link TorchWeights#SUFFIXES}).
     *
     * @param text the text
     * @param cache the asset cache of the Keras weights
     * @return the source
     * @throws IllegalArgumentException naming the text when it is neither
     */
    public static WeightSource parse(String text, AssetCache cache) {
        if (text != null && text.trim().equalsIgnoreCase(PretrainedModels.RESNET50_IMAGENET)) {
            return kerasResNet50ImageNet(cache);
        }
        if (text != null && text.trim().toLowerCase(Locale.ROOT).endsWith(".safetensors")) {
            return torchvision(Path.of(text.trim()));
        }
        if (TorchWeights.isCheckpointName(text)) {
            return pytorch(Path.of(text.trim()));
        }
        throw new IllegalArgumentException("weights must be " + PretrainedModels.RESNET50_IMAGENET
                + ", a .safetensors file with torchvision names or a PyTorch checkpoint (.pth, .pt, .pth.tar), got '"
                + text + "'");
    }

    /**
     * Checks that the weights fit an architecture.
     *
     * @param architecture the architecture
     * @throws IllegalArgumentException for the Keras ResNet-50 with another architecture than ResNet-50
     */
    public void checkArchitecture(Architecture architecture) {
        checkArchitecture(architecture, "weights", "architecture");
    }

    /**
     * Checks that the weights fit an architecture, naming the two settings as the caller calls them.
     *
     * @param architecture the architecture
     * @param weightsName what the error calls the weights
     * @param architectureName what the error calls the architecture
     * @throws IllegalArgumentException for the Keras ResNet-50 with another architecture than ResNet-50
     */
    void checkArchitecture(Architecture architecture, String weightsName, String architectureName) {
        if (kind == Kind.KERAS_RESNET50_IMAGENET && architecture != Architecture.RESNET50) {
            throw new IllegalArgumentException(weightsName + " " + PretrainedModels.RESNET50_IMAGENET + " is a"
                    + " ResNet-50: it needs " + architectureName + " resnet50, got " + architectureName + " "
                    + architecture.id());
        }
    }

    /**
     * The preprocessing the weights were trained with, at another resolution: shorter side {@code resizeShorter},
     * centre crop {@code cropSize}, and the weights' channel order, mean and divisor.
     *
     * @param resizeShorter the shorter side after resizing (256 for the standard 224 crop)
     * @param cropSize the network's input side
     * @return the preprocessing
     */
    public ImagePreprocessing preprocessing(int resizeShorter, int cropSize) {
        ImagePreprocessing p = kind == Kind.KERAS_RESNET50_IMAGENET ? ImagePreprocessing.caffe()
                : ImagePreprocessing.torchvision();
        return new ImagePreprocessing(resizeShorter, cropSize, p.channelOrder(), p.mean(), p.std());
    }

    /** Returns a short description: the name of the Keras weights, or the file. */
    public String describe() {
        return kind == Kind.KERAS_RESNET50_IMAGENET ? PretrainedModels.RESNET50_IMAGENET : file.toString();
    }

    /**
     * Returns a builder of the network these weights fit (every stage static until gated).
     *
     * @param architecture the architecture
     * @return the builder (Keras ResNet-50 form, or the architecture's torchvision form)
     */
    GatedBackbone.BaseBuilder<?> builder(Architecture architecture) {
        checkArchitecture(architecture);
        return kind == Kind.KERAS_RESNET50_IMAGENET ? KerasResNet50Importer.builder()
                : architecture.torchvisionBuilder();
    }

    /**
     * Reads the weights once, to be loaded into any number of networks.
     *
     * @param architecture the architecture they are for
     * @return the weights
     * @throws WeightFileException if the file is missing, unreadable, or has no classifier
     */
    Loaded read(Architecture architecture) throws WeightFileException {
        checkArchitecture(architecture);
        if (!Files.isRegularFile(file)) {
            throw new WeightFileException(file, kind == Kind.KERAS_RESNET50_IMAGENET
                    ? "ImageNet ResNet-50 weights not in the asset cache; run scripts/fetch-assets weights"
                    : "no such weights file");
        }
        if (kind == Kind.KERAS_RESNET50_IMAGENET) {
            TfjsLayersModel model = TfjsLayersModel.read(file);
            return new Loaded(1000, net -> KerasResNet50Importer.load(model, net));
        }
        TensorFile tensors = kind == Kind.PYTORCH ? TorchWeights.read(file) : SafetensorsReader.read(file);
        NamedTensor fc = tensors.find("fc.weight").orElseThrow(() -> new WeightFileException(file, "fc.weight",
                "tensor is missing from the file (the classifier's weight gives the number of classes)", null));
        if (fc.rank() != 2) {
            throw new WeightFileException(file, "fc.weight", "expected a 2-d [classes, features] weight, got rank "
                    + fc.rank(), null);
        }
        if (kind == Kind.PYTORCH) {
            TensorFile backbone = TorchWeights.withoutGates(tensors);
            return new Loaded((int) fc.shape()[0], net -> architecture.loadPyTorch(
                    TorchWeights.hasGates(net) ? tensors : backbone, file, net));
        }
        return new Loaded((int) fc.shape()[0], net -> architecture.loadTorchvision(tensors, file, net));
    }

    /** Loads weights into a network. */
    @FunctionalInterface
    interface Loader {
        void load(GatedNetwork net) throws WeightFileException;
    }

    /**
     * Weights read from their file.
     *
     * @param numClasses classes of the classifier
     * @param loader loads them into an initialised network of the right form
     */
    record Loaded(int numClasses, Loader loader) {}
}
