package org.laudnet.models.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.Trainer;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.gate.ExponentialTemperatureTracker;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.util.Checks;
import org.laudnet.models.data.ImageFolderDataset;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.inference.LatencyComparison;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.io.LaudModelFile;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.ImageNetLabels;
import org.laudnet.models.weights.WeightFileException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fine-tuning to deployment: turns pretrained weights into a gated LAUD network trained on an image folder, and
 * writes it as a {@code .laud} model that {@link LaudModel#load} runs, with the preprocessing and class names it was
 * trained with.
 *
 * <pre>{@code
 * FineTuningResult r = FineTuning.builder()
 *         .setArchitecture(Architecture.RESNET18)
 *         .setWeights(WeightSource.torchvision(Path.of("resnet18.safetensors")))
 *         .optStageGates(GateSpec.spatial(4), GateSpec.spatial(4), GateSpec.spatial(2), GateSpec.layer())
 *         .setData(Path.of("photos"))          // photos/<class>/<image>
 *         .optValidationSplit(0.2)
 *         .setOutput(Path.of("resnet18-laud.laud"))
 *         .optEpochs(5)
 *         .build()
 *         .run();
 * }</pre>
 *
 * <p>A run: the weights are read once and loaded into the teacher (the same network, static) and the student (the
 * network with the given per-stage gates, fresh and open); images are preprocessed exactly as the weights expect
 * ({@link WeightSource#preprocessing}: shorter side, centre crop, channel order, mean and divisor; the Keras ResNet-50
 * keeps its BGR Caffe input), through the same {@link ImagePreprocessing} that the saved model records, so training,
 * validation and deployment feed the network identical tensors. The labels are the ImageNet classes named by the
 * class directories or the teacher's top-1 ({@link LabelSource}); the head keeps the teacher's classes. The student is
 * trained by {@link LaudTrainer} (the LAUD loss with distillation from the teacher, SGD with momentum and a cosine
 * learning rate, the Gumbel temperature annealed from 5 to 0.5, {@link #annealedTemperature}); a {@link Checkpoint}
 * is written after every epoch and a run can resume from it ({@link Builder#optResume}). With validation data (a
 * folder or a seeded held-out fraction of the training folder) the model is also written as {@code <name>-best.laud}
 * whenever the validation top-1 improves. At the end the network is evaluated (top-1 against the labels, agreement
 * with the teacher, MACs ratio), written, and its CPU latency at batch 1 is measured against the static network with
 * the same weights, both through a {@link LaudModel}'s runtime ({@link LatencyComparison}); the batch-1 path-cost
 * calibration this measures is saved beside the model files ({@link LaudModel#calibrationFile}), so that a model
 * loaded on the same machine does not calibrate again.
 *
 * <p>A {@code FineTuning} is an immutable description; {@link #run()} may be called more than once (each call trains
 * afresh, or resumes). Not for concurrent use: runs write the same files.
 */
public final class FineTuning {

    private static final Logger LOG = LoggerFactory.getLogger(FineTuning.class);

    /** Untimed calls of each network before the latency is measured. */
    public static final int LATENCY_WARMUP = 3;

    private final Architecture architecture;
    private final WeightSource weights;
    private final GateSpec[] stageGates;
    private final Path data;
    private final Path validationFolder;
    private final double validationSplit;
    private final Path output;
    private final Path checkpoint;
    private final boolean resume;
    private final int epochs;
    private final int batchSize;
    private final float learningRate;
    private final float target;
    private final LossForm lossForm;
    private final LabelSource labels;
    private final long seed;
    private final int latencyRuns;
    private final int resizeShorter;
    private final int cropSize;
    private final AssetCache cache;
    private final FineTuningListener listener;
    private final TrainingDevice device;

    private FineTuning(Builder b) {
        this.architecture = b.architecture;
        this.weights = b.weights;
        this.stageGates = b.stageGates.clone();
        this.data = b.data;
        this.validationFolder = b.validationFolder;
        this.validationSplit = b.validationSplit;
        this.output = b.output;
        this.checkpoint = b.checkpoint != null ? b.checkpoint : defaultCheckpoint(b.output);
        this.resume = b.resume;
        this.epochs = b.epochs;
        this.batchSize = b.batchSize;
        this.learningRate = b.learningRate;
        this.target = b.target;
        this.lossForm = b.lossForm;
        this.labels = b.labels;
        this.seed = b.seed;
        this.latencyRuns = b.latencyRuns;
        this.resizeShorter = b.resizeShorter;
        this.cropSize = b.cropSize;
        this.cache = b.cache;
        this.listener = b.listener;
        this.device = b.device;
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the default checkpoint of a model file: beside it, {@code .laud} replaced by {@code .ckpt}.
     *
     * @param model the model file
     * @return the checkpoint file
     */
    public static Path defaultCheckpoint(Path model) {
        return model.resolveSibling(baseName(model) + ".ckpt");
    }

    /**
     * Returns the best-model file of a model file: beside it, {@code <name>-best.laud}.
     *
     * @param model the model file
     * @return the best-model file
     */
    public static Path bestModelFile(Path model) {
        return model.resolveSibling(baseName(model) + "-best.laud");
    }

    private static String baseName(Path model) {
        String n = model.getFileName().toString();
        return n.endsWith(".laud") ? n.substring(0, n.length() - 5) : n;
    }

    /**
     * The Gumbel temperature of a fine-tuning run: {@code tau} decays exponentially from 5 to 0.5 over the run, and the
     * noise scale of the hard decisions follows {@code (1 + cos(pi * u / (0.7 U))) / 2} for the first 70% of the
     * {@code U} updates and 0 after, so that the last part of the run trains with the evaluation rule.
     *
     * @param totalUpdates the run's updates, positive
     * @return the shared temperature for the student's gates
     */
    public static GumbelTemperature annealedTemperature(int totalUpdates) {
        Checks.positive("totalUpdates", totalUpdates);
        double end = 0.7 * totalUpdates;
        return new GumbelTemperature(new ExponentialTemperatureTracker(5f, 0.5f, totalUpdates))
                .withNoiseSchedule(u -> u >= end ? 0f : (float) (0.5 * (1 + Math.cos(Math.PI * u / end))));
    }

    /** Returns the checkpoint file of the run. */
    public Path checkpoint() {
        return checkpoint;
    }

    /** Returns where the run trains ({@link Builder#optDevice}). */
    public TrainingDevice device() {
        return device;
    }

    /**
     * Runs the fine-tuning: loads the weights, trains (or resumes), evaluates, writes the model and measures its
     * latency.
     *
     * @return what the run produced
     * @throws WeightFileException if the weights cannot be read or a model file cannot be written
     * @throws IOException if an image or the checkpoint cannot be read or written
     * @throws TranslateException if a batch cannot be formed
     * @throws IllegalArgumentException if the data do not fit (no image, class directories that are not ImageNet
     *     classes with {@link LabelSource#IMAGENET}, a split that leaves no training image)
     */
    public FineTuningResult run() throws IOException, TranslateException, WeightFileException {
        listener.onPhase(FineTuningListener.Phase.LOADING_WEIGHTS);
        WeightSource.Loaded read = weights.read(architecture);
        int classes = read.numClasses();
        ImagePreprocessing preprocessing = weights.preprocessing(resizeShorter, cropSize);
        ImageNetLabels imagenet = classes == 1000 && Files.isRegularFile(cache.imageNetLabelsJson())
                ? ImageNetLabels.load(cache.imageNetLabelsJson()) : null;
        List<String> trainClasses = classDirectories(data, "data");
        LabelSource source = resolveLabels(imagenet, trainClasses);
        Map<String, Integer> trainMap = source == LabelSource.IMAGENET
                ? imagenet.classIndices(trainClasses).orElseThrow() : null;
        ImageFolderDataset.Builder tb = folder(data, preprocessing, trainMap).optShuffle(batchSize, seed);
        ImageFolderDataset validation = null;
        if (validationSplit > 0) {
            tb.optSplit(ImageFolderDataset.Part.TRAINING, validationSplit, seed);
            validation = folder(data, preprocessing, trainMap)
                    .optSplit(ImageFolderDataset.Part.HELD_OUT, validationSplit, seed)
                    .setSampling(batchSize, false).build();
        } else if (validationFolder != null) {
            Map<String, Integer> valMap = null;
            if (source == LabelSource.IMAGENET) {
                List<String> valClasses = classDirectories(validationFolder, "validation folder");
                valMap = imagenet.classIndices(valClasses).orElseThrow(() -> new IllegalArgumentException(
                        "the class directories " + valClasses + " of the validation folder " + validationFolder
                                + " are not all ImageNet class names or indices 0-999, as the training folder's"
                                + " are (labels imagenet)"));
            }
            validation = folder(validationFolder, preprocessing, valMap).setSampling(batchSize, false).build();
        }
        ImageFolderDataset train = tb.build();
        int steps = (int) Math.ceil(train.size() / (double) batchSize);
        listener.onSetup(new FineTuningListener.Setup(architecture, weights, Arrays.asList(stageGates),
                preprocessing, trainClasses, source, (int) train.size(),
                validation == null ? 0 : (int) validation.size(), steps, epochs));
        ModelMetadata metadata = new ModelMetadata(preprocessing, imagenet == null ? List.of() : imagenet.names());
        Device trainOn = device.resolve();
        LOG.info("training on {} (device {})", trainOn, device);
        try (NDManager manager = NDManager.newBaseManager(trainOn)) {
            GumbelTemperature tau = annealedTemperature(epochs * steps);
            GatedBackbone teacher = network(read, classes, GateMode.NONE, null, manager);
            GatedBackbone student = network(read, classes, null, tau, manager);
            return train(manager, teacher, student, tau, train, validation, source, metadata, steps);
        }
    }

    private FineTuningResult train(NDManager manager, GatedBackbone teacher, GatedBackbone student,
            GumbelTemperature tau, ImageFolderDataset train, ImageFolderDataset validation, LabelSource source,
            ModelMetadata metadata, int steps) throws IOException, TranslateException, WeightFileException {
        boolean teacherLabels = source == LabelSource.TEACHER;
        Path best = bestModelFile(output);
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.createDirectories(checkpoint.toAbsolutePath().getParent());
        EpochWatcher watcher = new EpochWatcher(listener, student, metadata, validation == null ? null : best, steps);
        try (LaudTrainer trainer = LaudTrainer.builder()
                .setNetwork(student)
                .optDevice(manager.getDevice())
                .optTemperature(tau)
                .optTeacher(teacher)
                .setLoss(LossConfig.paper(target, epochs).withForm(lossForm))
                .setConfig(FineTuneConfig.sgd(epochs, steps, learningRate))
                .optCheckpointFile(checkpoint)
                .optTeacherLabels(teacherLabels)
                .optNoiseSeed(seed)
                .addTrainingListener(watcher)
                .build()) {
            watcher.owner = trainer;
            if (resume) {
                CheckpointState state = trainer.resume(checkpoint);
                listener.onResume(checkpoint, state);
                if (validation != null && Files.isRegularFile(best)) {
                    watcher.best = bestSoFar(best, teacher, validation, teacherLabels, manager);
                }
            }
            listener.onPhase(FineTuningListener.Phase.TRAINING);
            List<EpochStats> stats = trainer.fit(train, validation);
            listener.onPhase(FineTuningListener.Phase.EVALUATING);
            FineTuningResult.Evaluation evaluation = validation != null
                    ? FineTuningEvaluation.evaluate(student, teacher, validation, teacherLabels,
                            FineTuningResult.EvaluatedOn.VALIDATION, manager)
                    : FineTuningEvaluation.evaluate(student, teacher, train, teacherLabels,
                            FineTuningResult.EvaluatedOn.TRAINING, manager);
            listener.onPhase(FineTuningListener.Phase.SAVING);
            LaudModelFile.save(output, student, metadata);
            Optional<LatencyComparison> latency = Optional.empty();
            List<Path> calibrated = validation != null && Files.isRegularFile(best) ? List.of(output, best)
                    : List.of(output);
            for (Path model : calibrated) {
                Files.deleteIfExists(LaudModel.calibrationFile(model)); // a stale one may belong to another network
            }
            if (latencyRuns > 0) {
                listener.onPhase(FineTuningListener.Phase.MEASURING_LATENCY);
                // the teacher becomes the static network with the fine-tuned weights
                FineTuningEvaluation.copyParameters(student, teacher);
                latency = Optional.of(measureLatency(teacher, student, metadata,
                        validation != null ? validation : train, calibrated, manager));
            }
            return new FineTuningResult(output, Files.isRegularFile(best) && validation != null
                    ? Optional.of(best) : Optional.empty(), checkpoint, stats.size(), epochs,
                    stats.isEmpty() ? Optional.empty() : Optional.of(stats.get(stats.size() - 1)), source,
                    evaluation, latency);
        }
    }

    /**
     * Builds and loads a network: static ({@code mode == NONE}) or with the run's stage gates and temperature.
     */
    private GatedBackbone network(WeightSource.Loaded read, int classes, GateMode mode, GumbelTemperature tau,
            NDManager manager) throws WeightFileException {
        GatedBackbone.BaseBuilder<?> b = weights.builder(architecture);
        b.optInputSize(cropSize);
        b.optNumClasses(classes);
        b.optSeed(seed);
        b.optStageGates(mode == GateMode.NONE ? Architecture.stageGates(GateMode.NONE) : stageGates);
        if (tau != null) {
            b.optTemperature(tau);
        }
        GatedBackbone net = b.build();
        int channels = net.getStem().inChannels();
        net.initialize(manager, DataType.FLOAT32, new Shape(1, channels, cropSize, cropSize));
        read.loader().load(net);
        return net;
    }

    private LabelSource resolveLabels(ImageNetLabels imagenet, List<String> classDirs) {
        boolean named = imagenet != null && imagenet.classIndices(classDirs).isPresent();
        return switch (labels) {
            case AUTO -> named ? LabelSource.IMAGENET : LabelSource.TEACHER;
            case TEACHER -> LabelSource.TEACHER;
            case IMAGENET -> {
                if (imagenet == null) {
                    throw new IllegalArgumentException("labels imagenet needs a 1000-class head and the ImageNet"
                            + " labels (" + cache.imageNetLabelsJson() + "); use labels teacher");
                }
                if (!named) {
                    throw new IllegalArgumentException("labels imagenet: the class directories " + classDirs + " of "
                            + data + " are not all ImageNet class names or indices 0-999");
                }
                yield LabelSource.IMAGENET;
            }
        };
    }

    private static ImageFolderDataset.Builder folder(Path root, ImagePreprocessing p, Map<String, Integer> map) {
        ImageFolderDataset.Builder b = ImageFolderDataset.builder().setRoot(root).optPreprocessing(p);
        if (map != null) {
            b.optClassLabels(map);
        }
        return b;
    }

    /**
     * Returns the sorted names of the class subdirectories of a folder.
     *
     * @param root the folder
     * @param what what to call it in errors
     * @return the names
     * @throws IOException if it cannot be listed
     * @throws IllegalArgumentException if it is not a directory or has no subdirectory
     */
    static List<String> classDirectories(Path root, String what) throws IOException {
        if (root == null || !Files.isDirectory(root)) {
            throw new IllegalArgumentException(what + " must be an existing directory, got " + root);
        }
        List<String> names;
        try (Stream<Path> s = Files.list(root)) {
            names = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException(what + " " + root + " has no class subdirectory (expected "
                    + root + "/<class>/<image>)");
        }
        return names;
    }

    /** Evaluates a saved best model on the validation data, to resume with its top-1 as the best so far. */
    private double bestSoFar(Path best, GatedNetwork teacher, ImageFolderDataset validation, boolean teacherLabels,
            NDManager manager) throws IOException, TranslateException {
        try (NDManager m = manager.newSubManager()) {
            GatedNetwork previous = LaudModelFile.load(best, m).network();
            double top1 = FineTuningEvaluation.evaluate(previous, teacher, validation, teacherLabels,
                    FineTuningResult.EvaluatedOn.VALIDATION, m).top1();
            LOG.info("resuming with {} as the best model so far (validation top-1 {})", best, top1);
            return top1;
        } catch (WeightFileException | IllegalArgumentException e) {
            LOG.warn("ignoring the best model {}: {}", best, e.getMessage());
            return Double.NEGATIVE_INFINITY;
        }
    }

    /**
     * Measures the latency on the first image of the data, and saves the gated model's batch-1 calibration (path
     * costs depend on the shapes, not on the weights) beside the model files, where {@link LaudModel#load} finds it.
     */
    private LatencyComparison measureLatency(GatedNetwork staticNet, GatedNetwork gated, ModelMetadata metadata,
            ImageFolderDataset data, List<Path> models, NDManager manager) throws IOException {
        LaudModel.Options cpu = new LaudModel.Options(DeviceKind.CPU, PathPolicy.AUTO, false);
        try (LaudModel s = LaudModel.of(staticNet, metadata, cpu);
                LaudModel g = LaudModel.of(gated, metadata, cpu);
                NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = data.get(m, 0).getData().head().expandDims(0);
            LatencyComparison result = LatencyComparison.measure(s, g, x, LATENCY_WARMUP, latencyRuns);
            for (Path model : models) {
                g.saveCalibration(LaudModel.calibrationFile(model));
            }
            return result;
        }
    }

    /** Builder of a {@link FineTuning}; {@link #build()} validates every setting and names the one that is wrong. */
    public static final class Builder {
        private Architecture architecture;
        private WeightSource weights;
        private GateSpec[] stageGates = Architecture.stageGates(GateMode.LAYER);
        private Path data;
        private Path validationFolder;
        private double validationSplit;
        private Path output;
        private Path checkpoint;
        private boolean resume;
        private int epochs = 1;
        private int batchSize = 8;
        private float learningRate = 1e-3f;
        private float target = 0.5f;
        private LossForm lossForm = LossForm.REFERENCE;
        private LabelSource labels = LabelSource.AUTO;
        private long seed = 1;
        private int latencyRuns = 20;
        private int resizeShorter = 256;
        private int cropSize = 224;
        private AssetCache cache = AssetCache.defaultCache();
        private FineTuningListener listener = new FineTuningListener() {};
        private TrainingDevice device = TrainingDevice.AUTO;
        private Map<String, String> settingNames = Map.of();

        private Builder() {}

        /**
         * Sets the architecture (required).
         *
         * @param architecture the architecture
         * @return this builder
         */
        public Builder setArchitecture(Architecture architecture) {
            this.architecture = architecture;
            return this;
        }

        /**
         * Sets where to train (default {@link TrainingDevice#AUTO}: a CUDA GPU when DJL's PyTorch engine has one, else
         * the CPU). {@link #build()} refuses {@link TrainingDevice#GPU} when the engine sees no GPU, saying how to get
         * one. The latency measured after training is the CPU inference engine's either way.
         *
         * @param device the device choice
         * @return this builder
         */
        public Builder optDevice(TrainingDevice device) {
            if (device == null) {
                throw new IllegalArgumentException("device must not be null");
            }
            this.device = device;
            return this;
        }

        /**
         * Sets the pretrained weights (required); they also fix the input preprocessing.
         *
         * @param weights the weights
         * @return this builder
         */
        public Builder setWeights(WeightSource weights) {
            this.weights = weights;
            return this;
        }

        /**
         * Sets the gates of the student, one spec per stage (default: {@code layer} in every stage).
         *
         * @param gates four gate specs
         * @return this builder
         */
        public Builder optStageGates(GateSpec... gates) {
            if (gates == null || gates.length != Architecture.STAGES || Arrays.asList(gates).contains(null)) {
                throw new IllegalArgumentException("stageGates must be " + Architecture.STAGES
                        + " non-null specs (one per stage), got " + (gates == null ? null : Arrays.toString(gates)));
            }
            this.stageGates = gates.clone();
            return this;
        }

        /**
         * Sets the training images (required): a folder {@code DIR/<class>/<image>}.
         *
         * @param data the folder
         * @return this builder
         */
        public Builder setData(Path data) {
            this.data = data;
            return this;
        }

        /**
         * Validates on another image folder after every epoch (with the same class directory names when the labels
         * are ImageNet classes). Excludes {@link #optValidationSplit}.
         *
         * @param folder the folder {@code DIR/<class>/<image>}
         * @return this builder
         */
        public Builder optValidationFolder(Path folder) {
            this.validationFolder = folder;
            return this;
        }

        /**
         * Holds out a seeded fraction of the training folder for validation (the seed is {@link #optSeed}'s).
         * Excludes {@link #optValidationFolder}.
         *
         * @param fraction in {@code (0, 1)}; 0 for none
         * @return this builder
         */
        public Builder optValidationSplit(double fraction) {
            this.validationSplit = fraction;
            return this;
        }

        /**
         * Sets the model file written at the end (required), e.g. {@code laudnet-resnet18.laud}; the best model goes
         * beside it ({@link FineTuning#bestModelFile}).
         *
         * @param output the {@code .laud} file
         * @return this builder
         */
        public Builder setOutput(Path output) {
            this.output = output;
            return this;
        }

        /**
         * Sets the training checkpoint, written after every epoch (default {@link FineTuning#defaultCheckpoint}).
         *
         * @param checkpoint the file
         * @return this builder
         */
        public Builder optCheckpoint(Path checkpoint) {
            this.checkpoint = checkpoint;
            return this;
        }

        /**
         * Continues from the checkpoint (weights, optimizer state, epoch, update, temperature, data order) instead of
         * starting afresh (default false); the checkpoint must exist.
         *
         * @param resume whether to resume
         * @return this builder
         */
        public Builder optResume(boolean resume) {
            this.resume = resume;
            return this;
        }

        /**
         * Sets the epochs of the whole run (default 1).
         *
         * @param epochs positive
         * @return this builder
         */
        public Builder optEpochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        /**
         * Sets the batch size (default 8).
         *
         * @param batchSize positive
         * @return this builder
         */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Sets the base learning rate of SGD (default 1e-3; cosine schedule to 0).
         *
         * @param learningRate positive
         * @return this builder
         */
        public Builder optLearningRate(float learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /**
         * Sets the target MACs ratio {@code t} of the cost loss (default 0.5).
         *
         * @param target in {@code (0, 1]}
         * @return this builder
         */
        public Builder optTarget(float target) {
            this.target = target;
            return this;
        }

        /**
         * Sets the loss variant (default {@link LossForm#REFERENCE}, the reference training script's loss).
         *
         * @param form the loss form
         * @return this builder
         */
        public Builder optLossForm(LossForm form) {
            if (form == null) {
                throw new IllegalArgumentException("lossForm must not be null");
            }
            this.lossForm = form;
            return this;
        }

        /**
         * Sets where the labels come from (default {@link LabelSource#AUTO}).
         *
         * @param labels the source
         * @return this builder
         */
        public Builder optLabels(LabelSource labels) {
            this.labels = labels;
            return this;
        }

        /**
         * Sets the seed of the data order, the validation split and the gates' noise (default 1).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Sets the timed runs of each network in the final latency measurement (default 20; 0 skips it).
         *
         * @param runs non-negative
         * @return this builder
         */
        public Builder optLatencyRuns(int runs) {
            this.latencyRuns = runs;
            return this;
        }

        /**
         * Sets the image size: shorter side after resizing and the centre crop, which is the network's input side
         * (default 256 and 224, the weights' own). A smaller crop trains and runs faster; the networks here take any
         * side from 32 on.
         *
         * @param resizeShorter the shorter side, at least {@code cropSize}
         * @param cropSize the input side, at least 32
         * @return this builder
         */
        public Builder optImageSize(int resizeShorter, int cropSize) {
            this.resizeShorter = resizeShorter;
            this.cropSize = cropSize;
            return this;
        }

        /**
         * Sets the asset cache of the Keras weights and of the ImageNet labels (default
         * {@link AssetCache#defaultCache()}).
         *
         * @param cache the cache
         * @return this builder
         */
        public Builder optAssetCache(AssetCache cache) {
            this.cache = cache;
            return this;
        }

        /**
         * Sets the progress listener (default none).
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder optListener(FineTuningListener listener) {
            this.listener = listener;
            return this;
        }

        /**
         * Sets how the errors of {@link #build()} name the settings. By default a setting is named after its method:
         * {@code architecture}, {@code weights}, {@code data}, {@code validationFolder}, {@code validationSplit},
         * {@code output}, {@code resume}, {@code epochs}, {@code batchSize}, {@code learningRate}, {@code target},
         * {@code latencyRuns}, {@code resizeShorter} and {@code cropSize} (the two sides of
         * {@link #optImageSize}); a front end such as a command line maps them to its own names (e.g.
         * {@code epochs -> --epochs}), so that its users read the errors in its terms.
         *
         * @param names the names to use instead, keyed by the default names; settings not in the map keep theirs
         * @return this builder
         */
        public Builder optSettingNames(Map<String, String> names) {
            if (names == null) {
                throw new IllegalArgumentException("names must not be null");
            }
            this.settingNames = Map.copyOf(names);
            return this;
        }

        private String name(String setting) {
            return settingNames.getOrDefault(setting, setting);
        }

        /**
         * Validates the settings and returns the fine-tuning.
         *
         * @return the fine-tuning
         * @throws IllegalArgumentException naming the setting and value that are missing or invalid, or GPU training
         *     asked for where DJL's PyTorch engine sees no GPU (the message says how to get one)
         */
        public FineTuning build() {
            if (architecture == null) {
                throw new IllegalArgumentException(name("architecture") + " must be set (one of "
                        + Architecture.names() + ")");
            }
            if (weights == null) {
                throw new IllegalArgumentException(name("weights") + " must be set");
            }
            weights.checkArchitecture(architecture, name("weights"), name("architecture"));
            if (data == null || !Files.isDirectory(data)) {
                throw new IllegalArgumentException(name("data") + " must be an existing directory, got " + data);
            }
            if (output == null) {
                throw new IllegalArgumentException(name("output") + " must be set");
            }
            if (validationFolder != null && validationSplit != 0) {
                throw new IllegalArgumentException(name("validationFolder") + " and " + name("validationSplit")
                        + " exclude each other, got " + name("validationFolder") + " " + validationFolder + " and "
                        + name("validationSplit") + " " + validationSplit);
            }
            if (validationFolder != null && !Files.isDirectory(validationFolder)) {
                throw new IllegalArgumentException(name("validationFolder") + " must be an existing directory, got "
                        + validationFolder);
            }
            if (!(validationSplit == 0 || validationSplit > 0 && validationSplit < 1)) {
                throw new IllegalArgumentException(name("validationSplit") + " must be in (0, 1), got "
                        + validationSplit);
            }
            Checks.positive(name("epochs"), epochs);
            Checks.positive(name("batchSize"), batchSize);
            if (!(learningRate > 0) || !Float.isFinite(learningRate)) {
                throw new IllegalArgumentException(name("learningRate") + " must be positive and finite, got "
                        + learningRate);
            }
            if (!(target > 0 && target <= 1)) {
                throw new IllegalArgumentException(name("target") + " must be in (0, 1], got " + target);
            }
            Checks.nonNegative(name("latencyRuns"), latencyRuns);
            if (cropSize < 32) {
                throw new IllegalArgumentException(name("cropSize") + " must be at least 32, got " + cropSize);
            }
            if (resizeShorter < cropSize) {
                throw new IllegalArgumentException(name("resizeShorter") + " must be at least the crop size "
                        + cropSize + ", got " + resizeShorter);
            }
            if (labels == null || cache == null || listener == null) {
                throw new IllegalArgumentException("labels, cache and listener must not be null");
            }
            Path ckpt = checkpoint != null ? checkpoint : defaultCheckpoint(output);
            if (resume && !Files.isRegularFile(ckpt)) {
                throw new IllegalArgumentException(name("resume") + " needs the checkpoint " + ckpt
                        + ", which does not exist");
            }
            if (device == TrainingDevice.GPU) {
                try {
                    device.resolve();
                } catch (IllegalStateException e) {
                    throw new IllegalArgumentException(name("device") + " gpu: " + e.getMessage(), e);
                }
            }
            return new FineTuning(this);
        }
    }
}
