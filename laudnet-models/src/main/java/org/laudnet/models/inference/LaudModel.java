package org.laudnet.models.inference;

import ai.djl.Device;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Translator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.Backends;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.core.exec.ExecutorOptions;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.models.io.LaudModelFile;
import org.laudnet.models.io.LoadedNetwork;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.train.Architecture;
import org.laudnet.models.weights.NamedTensor;
import org.laudnet.models.weights.TensorFile;
import org.laudnet.models.weights.torch.TorchCheckpointException;
import org.laudnet.models.weights.torch.TorchCheckpointReader;
import org.laudnet.models.weights.torch.TorchWeights;
import org.laudnet.models.weights.WeightFileException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A trained LAUD network ready for inference, in DJL's idiom: the way to use the library.
 *
 * <pre>{@code
 * try (LaudModel model = LaudModel.load(Path.of("resnet50-laud.laud"));
 *      Predictor<Image, GatedClassifications> predictor = model.newClassifier(Image.class)) {
 *     GatedClassifications c = predictor.predict(ImageFactory.getInstance().fromFile(Path.of("eagle.jpg")));
 *     System.out.println(c.best() + ", MACs ratio " + c.gateReport().macsRatio());
 * }
 * }</pre>
 *
 * <p>A model owns its manager, its network (parameters) and, once it has run, its {@link InferencePlan} (folded
 * weights, built once) and a {@link PlanRuntime} per device (the plan's weights uploaded once, path-cost calibrations
 * per batch size). Its predictors run through the shared inference engine: {@link #newPredictor} returns
 * a {@link LaudPredictor}, a DJL {@code Predictor} whose input goes through a {@link Translator} (the model's image
 * preprocessing and class names come from its file) and whose forward pass is the gated network with the gates turned
 * into skipped work; every call's {@link org.laudnet.core.exec.GateReport} (densities, paths, MACs ratio) is available
 * to the caller.
 *
 * <p>Thread safety, DJL's way: the model is shared by any number of threads; create one predictor per thread (a
 * predictor is not thread-safe, and is cheap: N predictors share one copy of the weights). Calibration (see
 * {@link #calibrate}) is computed once per model and batch size; a calibration file beside the model file
 * ({@code <file>.calibration.json}) is loaded when it was measured on the same backend and machine for the same gates.
 *
 * <p>Its DJL {@link ai.djl.Model} form is {@link #asDjlModel()}; DJL's {@code Criteria} loads it too:
 * {@code Criteria.builder().setTypes(Image.class, Classifications.class).optModelPath(path)
 * .optEngine(LaudEngine.ENGINE_NAME).optTranslatorFactory(new LaudTranslatorFactory()).build().loadModel()} (the zoo
 * model wraps a {@link LaudDjlModel}).
 */
public final class LaudModel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LaudModel.class);

    /** Suffix of the calibration file saved beside a model file. */
    public static final String CALIBRATION_SUFFIX = ".calibration.json";

    private final LaudDjlModel djl;
    private ModelMetadata metadata = ModelMetadata.none();
    private Options options = Options.defaults();
    private Path file;
    private InferencePlan plan;
    private final Map<DeviceKind, PlanRuntime<?>> runtimes = new java.util.EnumMap<>(DeviceKind.class);
    private boolean closed;

    /**
     * How a model runs.
     *
     * @param device where predictors run: {@link DeviceKind#AUTO} picks a usable GPU backend, else the CPU
     * @param policy the path policy of its predictors ({@link PathPolicy#AUTO}: by measured cost)
     * @param calibrationFile load {@code <file>.calibration.json} beside a loaded model file when present
     */
    public record Options(DeviceKind device, PathPolicy policy, boolean calibrationFile) {

        /** Validates the fields. */
        public Options {
            if (device == null || policy == null) {
                throw new IllegalArgumentException("device and policy must not be null");
            }
        }

        /** The defaults: AUTO device, AUTO policy, calibration file loaded when present. */
        public static Options defaults() {
            return new Options(DeviceKind.AUTO, PathPolicy.AUTO, true);
        }

        /**
         * Returns these options with another device.
         *
         * @param newDevice the device
         * @return the options
         */
        public Options withDevice(DeviceKind newDevice) {
            return new Options(newDevice, policy, calibrationFile);
        }

        /**
         * Returns these options with another path policy.
         *
         * @param newPolicy the policy
         * @return the options
         */
        public Options withPolicy(PathPolicy newPolicy) {
            return new Options(device, newPolicy, calibrationFile);
        }
    }

    /**
     * Creates an empty model whose DJL form is {@code djl} (the engine route fills it through
     * {@link LaudDjlModel#load}).
     *
     * @param djl the model's DJL form, which owns the manager
     */
    LaudModel(LaudDjlModel djl) {
        this.djl = djl;
    }

    /**
     * Loads a {@code .laud} model file with the default options.
     *
     * @param file the model file
     * @return the model; the caller closes it
     * @throws WeightFileException if the file is missing, not a LAUD model file, truncated or corrupt (the message
     *     names the file and the problem)
     */
    public static LaudModel load(Path file) throws WeightFileException {
        return load(file, Options.defaults());
    }

    /**
     * Loads a {@code .laud} model file.
     *
     * @param file the model file
     * @param options how the model runs
     * @return the model; the caller closes it
     * @throws WeightFileException if the file is missing, not a LAUD model file, truncated or corrupt
     */
    public static LaudModel load(Path file, Options options) throws WeightFileException {
        if (file == null || options == null) {
            throw new IllegalArgumentException("file and options must not be null");
        }
        LaudModel model = new LaudDjlModel(baseName(file)).laudModel();
        try {
            model.options = options;
            model.read(file);
            return model;
        } catch (WeightFileException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Wraps a trained network held in memory (e.g. just fine-tuned) as a model. The network's parameters stay owned by
     * their manager, which the caller keeps open while the model is used; closing the model releases only the model's
     * own resources.
     *
     * @param network an initialised network
     * @param metadata its preprocessing and class names
     * @param options how the model runs
     * @return the model
     * @throws IllegalArgumentException if the network is not initialised or the metadata does not fit it
     *     ({@link ModelMetadata#checkFits})
     */
    public static LaudModel of(GatedNetwork network, ModelMetadata metadata, Options options) {
        if (network == null || metadata == null || options == null) {
            throw new IllegalArgumentException("network, metadata and options must not be null");
        }
        if (!network.isInitialized()) {
            throw new IllegalArgumentException("network must be initialised");
        }
        metadata.checkFits(network);
        LaudModel model = new LaudDjlModel(network.getFamily().id()).laudModel();
        model.djl.setNetwork(network, null);
        model.metadata = metadata;
        model.options = options;
        return model;
    }

    /**
     * Builds a network on a new model's own manager (e.g. from pretrained weights) and returns the model, which owns
     * it: closing the model releases the network's parameters. See {@code PretrainedModels} for the networks the
     * library ships.
     *
     * @param name the model's name
     * @param metadata its preprocessing and class names
     * @param options how the model runs
     * @param factory builds and initialises the network with the manager it is given
     * @return the model; the caller closes it
     * @throws WeightFileException if the factory cannot read its weights (the model is closed then)
     * @throws IllegalArgumentException if the factory returns null or an uninitialised network, or the metadata does
     *     not fit the network ({@link ModelMetadata#checkFits})
     */
    public static LaudModel create(String name, ModelMetadata metadata, Options options, NetworkFactory factory)
            throws WeightFileException {
        if (name == null || metadata == null || options == null || factory == null) {
            throw new IllegalArgumentException("name, metadata, options and factory must not be null");
        }
        LaudModel model = new LaudDjlModel(name).laudModel();
        try {
            GatedNetwork network = factory.create(model.djl.getNDManager());
            if (network == null || !network.isInitialized()) {
                throw new IllegalArgumentException("the factory must return an initialised network, got "
                        + (network == null ? "null" : "an uninitialised one"));
            }
            metadata.checkFits(network);
            model.djl.setNetwork(network, null);
            model.metadata = metadata;
            model.options = options;
            return model;
        } catch (WeightFileException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Imports a PyTorch checkpoint (a torchvision {@code state_dict} such as {@code resnet50-*.pth}, or a LAUDNet
     * reference checkpoint with its gates) as a model of an architecture's torchvision form, 224 x 224 input, with
     * torchvision's preprocessing ({@link ImagePreprocessing#torchvision()}: shorter side 256, centre crop 224, RGB,
     * ImageNet mean and standard deviation), recorded in the model's metadata so that a saved model keeps it. The file
     * is read by {@link TorchCheckpointReader}, which never executes anything in it.
     *
     * @param file the checkpoint ({@code .pth}, {@code .pt}, {@code .pth.tar})
     * @param architecture the architecture the state dict belongs to
     * @param labels the class names (one per row of {@code fc.weight}), or an empty list
     * @param options how the model runs
     * @param stageGates nothing for the static network (torchvision weights), or one gate spec per stage: fresh (open)
     *     gates for torchvision weights, the checkpoint's gates for a LAUDNet checkpoint (whose channel gates then
     *     use the reference's mask placement, see {@link #fromPyTorch(Path, Architecture, IntFunction, Options,
     *     ChannelMaskPlacement, GateSpec...)})
     * @return the model; the caller closes it
     * @throws WeightFileException if the checkpoint is refused, has no classifier {@code fc.weight}, or its tensors do
     *     not fit the architecture and gates (missing, unexpected and mis-shaped tensors listed)
     * @throws IllegalArgumentException for null arguments, a wrong number of stage gates or labels that do not fit
     */
    public static LaudModel fromPyTorch(Path file, Architecture architecture, List<String> labels, Options options,
            GateSpec... stageGates) throws WeightFileException {
        if (labels == null) {
            throw new IllegalArgumentException("labels must not be null");
        }
        return fromPyTorch(file, architecture, classes -> labels, options, stageGates);
    }

    /**
     * As {@link #fromPyTorch(Path, Architecture, List, Options, GateSpec...)}, with the class names chosen for the
     * number of classes the checkpoint's classifier has (e.g. the ImageNet names for 1000 classes, none otherwise).
     *
     * @param file the checkpoint ({@code .pth}, {@code .pt}, {@code .pth.tar})
     * @param architecture the architecture the state dict belongs to
     * @param labels the class names for a number of classes (one per class, or an empty list); must not return null
     * @param options how the model runs
     * @param stageGates nothing for the static network, or one gate spec per stage
     * @return the model; the caller closes it
     * @throws WeightFileException if the checkpoint is refused or does not fit
     * @throws IllegalArgumentException for null arguments, a wrong number of stage gates or labels that do not fit
     */
    public static LaudModel fromPyTorch(Path file, Architecture architecture, IntFunction<List<String>> labels,
            Options options, GateSpec... stageGates) throws WeightFileException {
        return fromPyTorch(file, architecture, labels, options, null, stageGates);
    }

    /**
     * As {@link #fromPyTorch(Path, Architecture, IntFunction, Options, GateSpec...)}, with the channel gates' mask
     * placement chosen: null picks it by the file ({@link TorchWeights#resolvePlacement}: the reference's
     * {@link ChannelMaskPlacement#BEFORE_NORM} for a LAUDNet-named ResNet checkpoint with channel gates, so that it
     * computes what the reference computes; LAUDNet-named RegNetY checkpoints, whose reference masks after the
     * activation, and torchvision-named files keep the specs' placements); a placement applies to every
     * channel-gated stage.
     *
     * @param file the checkpoint ({@code .pth}, {@code .pt}, {@code .pth.tar})
     * @param architecture the architecture the state dict belongs to
     * @param labels the class names for a number of classes (one per class, or an empty list); must not return null
     * @param options how the model runs
     * @param placement where channel gates apply their mask, or null to choose by the file
     * @param stageGates nothing for the static network, or one gate spec per stage
     * @return the model; the caller closes it
     * @throws WeightFileException if the checkpoint is refused or does not fit
     * @throws IllegalArgumentException for null arguments, a wrong number of stage gates or labels that do not fit
     */
    public static LaudModel fromPyTorch(Path file, Architecture architecture, IntFunction<List<String>> labels,
            Options options, ChannelMaskPlacement placement, GateSpec... stageGates) throws WeightFileException {
        if (file == null || architecture == null || labels == null || options == null || stageGates == null) {
            throw new IllegalArgumentException("file, architecture, labels, options and stageGates must not be null");
        }
        if (stageGates.length != 0 && stageGates.length != Architecture.STAGES) {
            throw new IllegalArgumentException("stageGates must be empty or have " + Architecture.STAGES
                    + " specs (one per stage), got " + stageGates.length);
        }
        TensorFile tensors = TorchWeights.read(file);
        NamedTensor fc = tensors.find("fc.weight").orElseThrow(() -> new TorchCheckpointException(file, "fc.weight",
                "tensor is missing from the state dict (the classifier's weight gives the number of classes)", null));
        if (fc.rank() != 2) {
            throw new TorchCheckpointException(file, "fc.weight", "expected a 2-d [classes, features] weight, got"
                    + " shape " + java.util.Arrays.toString(fc.shape()), null);
        }
        GatedBackbone.BaseBuilder<?> builder = architecture.torchvisionBuilder();
        builder.optNumClasses((int) fc.shape()[0]);
        if (stageGates.length > 0) {
            builder.optStageGates(TorchWeights.resolvePlacement(tensors, placement, stageGates));
        }
        ModelMetadata metadata = new ModelMetadata(ImagePreprocessing.torchvision(),
                labels.apply((int) fc.shape()[0]));
        String name = baseName(file).replaceAll("\\.(pth|pt|tar)$", "").replaceAll("\\.pth$", "");
        return create(name, metadata, options, manager -> {
            GatedBackbone net = builder.build();
            net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, net.getInputSize(), net.getInputSize()));
            architecture.loadPyTorch(tensors, file, net);
            return net;
        });
    }

    /** Builds and initialises a network on the manager of the model that will own it ({@link #create}). */
    @FunctionalInterface
    public interface NetworkFactory {
        /**
         * Builds the network.
         *
         * @param manager the model's manager: the network's parameters must be initialised on it
         * @return the initialised network
         * @throws WeightFileException if weights cannot be read
         */
        GatedNetwork create(ai.djl.ndarray.NDManager manager) throws WeightFileException;
    }

    private static String baseName(Path file) {
        String n = file.getFileName() == null ? "laudnet" : file.getFileName().toString();
        return n.endsWith(".laud") ? n.substring(0, n.length() - 5) : n;
    }

    void read(Path f) throws WeightFileException {
        LoadedNetwork loaded = LaudModelFile.load(f, djl.getNDManager());
        djl.setNetwork(loaded.network(), f.toAbsolutePath().getParent());
        this.metadata = loaded.metadata();
        this.file = f;
        LOG.debug("loaded {} ({}) from {}", djl.getName(), loaded.architecture(), f);
    }

    /** Sets the options (the engine route's loading options). */
    void setOptions(Options options) {
        this.options = options;
    }

    /**
     * Saves the model as a {@code .laud} file (atomically), with its preprocessing and class names.
     *
     * @param target the file to write
     * @throws WeightFileException if it cannot be written
     */
    public void save(Path target) throws WeightFileException {
        LaudModelFile.save(target, network(), metadata);
    }

    /** Returns the network (its {@code forward} returns the logits of the masked-dense eval form). */
    public GatedNetwork network() {
        if (!(djl.getBlock() instanceof GatedNetwork n)) {
            throw new IllegalStateException("the model holds no network: load it first");
        }
        return n;
    }

    /**
     * Returns the model as a DJL {@link ai.djl.Model} (its block is the network; its predictors are
     * {@link LaudPredictor}s), e.g. for APIs that take a DJL model.
     *
     * @return the DJL form, closed with this model
     */
    public ai.djl.Model asDjlModel() {
        return djl;
    }

    /** Returns the model's name. */
    public String name() {
        return djl.getName();
    }

    /** Returns the preprocessing and class names the model file recorded. */
    public ModelMetadata metadata() {
        return metadata;
    }

    /** Returns how the model runs. */
    public Options options() {
        return options;
    }

    /** Returns the file the model was loaded from, or null. */
    public Path file() {
        return file;
    }

    /** Returns the model's inference plan (folded weights), built once at first use. */
    public synchronized InferencePlan plan() {
        if (plan == null) {
            plan = InferencePlan.of(network());
        }
        return plan;
    }

    /**
     * Returns the runtime of a device (the plan's weights on its backend and the calibrations), created at first use.
     *
     * @param device AUTO (as the options say), CPU or CUDA
     * @return the runtime
     * @throws IllegalStateException for CUDA when no usable CUDA backend exists
     */
    public synchronized PlanRuntime<?> runtime(DeviceKind device) {
        DeviceKind wanted = device == DeviceKind.AUTO ? options.device() : device;
        PlanRuntime<?> rt = runtimes.get(wanted);
        if (rt == null) {
            Backend<?> backend = Backends.create(wanted, djl.getNDManager());
            rt = PlanRuntime.create(plan(), backend);
            runtimes.put(wanted, rt);
            loadCalibrationBeside(rt);
        }
        return rt;
    }

    /** Returns the runtime predictors use by default ({@link Options#device()}). */
    public PlanRuntime<?> runtime() {
        return runtime(DeviceKind.AUTO);
    }

    private void loadCalibrationBeside(PlanRuntime<?> rt) {
        if (file == null || !options.calibrationFile()) {
            return;
        }
        Path calibration = calibrationFile(file);
        if (!Files.isRegularFile(calibration)) {
            return;
        }
        try {
            int n = rt.calibrations().load(calibration);
            if (n < 0) {
                LOG.info("{} was measured on another backend or machine, or for other gates; calibrating afresh"
                        + " when needed", calibration);
            } else {
                LOG.debug("loaded {} calibrated batch sizes from {}", n, calibration);
            }
        } catch (IOException e) {
            LOG.warn("ignoring {}: {}", calibration, e.getMessage());
        }
    }

    /**
     * Returns the calibration file beside a model file: {@code <file>.calibration.json}.
     *
     * @param modelFile the model file
     * @return the calibration file's path
     */
    public static Path calibrationFile(Path modelFile) {
        return modelFile.resolveSibling(modelFile.getFileName() + CALIBRATION_SUFFIX);
    }

    /**
     * Measures the path costs at the given batch sizes ahead of time, so that no request pays for it.
     *
     * @param batchSizes positive batch sizes
     */
    public void calibrate(int... batchSizes) {
        runtime().calibrate(batchSizes);
    }

    /**
     * Uploads the weight slices of every channel pattern of the default runtime ahead of time, so that no request pays
     * for a pattern's first use (channel-gated models with at most 4 groups per block; see
     * {@link PlanRuntime#prepareChannelPatterns()} for the memory this takes).
     *
     * @return the floats of the slices' weights cut by this call (0 when there was nothing to prepare)
     */
    public long prepareChannelPatterns() {
        return runtime().prepareChannelPatterns();
    }

    /**
     * Saves the default runtime's calibrations (JSON) to a file, e.g. {@link #calibrationFile(Path)} beside the model.
     *
     * @param target the file
     * @throws IOException if it cannot be written
     */
    public void saveCalibration(Path target) throws IOException {
        runtime().calibrations().save(target);
    }

    /**
     * Creates a predictor with the model's path policy on the default device.
     *
     * @param translator turns inputs into image tensors and logits into outputs
     * @param device null or a CPU device for the model's default device; {@code Device.gpu()} selects the CUDA runtime
     *     (the translation's tensors stay on the CPU)
     * @param <I> the input type
     * @param <O> the output type
     * @return a predictor for one thread
     */
    public <I, O> LaudPredictor<I, O> newPredictor(Translator<I, O> translator, Device device) {
        if (translator == null) {
            throw new IllegalArgumentException("translator must not be null");
        }
        DeviceKind kind = device != null && device.isGpu() ? DeviceKind.CUDA : DeviceKind.AUTO;
        return new LaudPredictor<>(djl, translator, runtime(kind),
                ExecutorOptions.defaults().withPolicy(options.policy()));
    }

    /**
     * Creates a predictor with a translator (the model's path policy and device).
     *
     * @param translator the translator
     * @param <I> the input type
     * @param <O> the output type
     * @return a predictor for one thread
     */
    public <I, O> LaudPredictor<I, O> newPredictor(Translator<I, O> translator) {
        return newPredictor(translator, null);
    }

    /**
     * Creates an image classifier: the model's preprocessing, top-5 classes with the model's class names (or class
     * indices), and the call's gate report on every result.
     *
     * @param inputType {@link Image}, {@link java.awt.image.BufferedImage}, {@code byte[]} (an encoded image),
     *     {@link InputStream} or {@link Path}
     * @param <I> the input type
     * @return a predictor for one thread
     * @throws IllegalStateException if the model file recorded no preprocessing
     * @throws IllegalArgumentException for another input type
     */
    public <I> LaudPredictor<I, GatedClassifications> newClassifier(Class<I> inputType) {
        return newClassifier(inputType, 5);
    }

    /**
     * Creates an image classifier that reports the {@code topK} best classes.
     *
     * @param inputType {@link Image}, {@link java.awt.image.BufferedImage}, {@code byte[]}, {@link InputStream} or
     *     {@link Path}
     * @param topK the number of classes in {@link GatedClassifications#topK()}, positive
     * @param <I> the input type
     * @return a predictor for one thread
     */
    public <I> LaudPredictor<I, GatedClassifications> newClassifier(Class<I> inputType, int topK) {
        return newPredictor(ClassificationTranslator.of(this, inputType, topK));
    }

    /**
     * Creates a predictor on image tensors {@code (C, S, S)} (already preprocessed) that returns the logits and the
     * gate report.
     *
     * @return a predictor for one thread
     */
    public LaudPredictor<NDArray, GatedOutput> newTensorPredictor() {
        return newPredictor(new TensorTranslator(network().getStem().inChannels(), network().getInputSize()));
    }

    /** Returns the class names (the model file's labels, or {@code "0"}, {@code "1"}, ... when it has none). */
    public List<String> classNames() {
        int classes = network().getNumClasses();
        if (metadata.labels().size() == classes) {
            return metadata.labels();
        }
        List<String> names = new ArrayList<>(classes);
        for (int i = 0; i < classes; i++) {
            names.add(String.valueOf(i));
        }
        return names;
    }

    /** Releases the runtimes (weights on every backend) and the model's manager (its parameters). */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            runtimes.values().forEach(PlanRuntime::close);
            runtimes.clear();
        }
        djl.closeManager();
    }
}
