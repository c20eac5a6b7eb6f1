package org.laudnet.bench.cli;

import ai.djl.modality.Classifications;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.laudnet.core.block.ChannelGranularity;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.GateReport;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.inference.ClassificationTranslator;
import org.laudnet.models.inference.GatedClassifications;
import org.laudnet.models.inference.ImageInputs;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.inference.LaudPredictor;
import org.laudnet.models.inference.PretrainedModels;
import org.laudnet.models.train.Architecture;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.ImageNetLabels;
import org.laudnet.models.weights.torch.TorchWeights;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code laudnet classify}: the top-k classes of images with a LAUD model, through the model API: a saved model file
 * ({@code --model FILE.laud}, any architecture, with the preprocessing and labels it records) or a pretrained model
 * ({@code --weights}: the Keras ImageNet ResNet-50, or a PyTorch checkpoint of an {@code --arch} read by the
 * restricted checkpoint reader, with torchvision preprocessing; optionally with per-stage gates, fresh or the
 * checkpoint's; optionally saved with {@code --save}), loaded as a
 * {@link LaudModel} and run by its classifier ({@link LaudModel#newClassifier}) under the path policy of
 * {@code --mode}; {@code --mode masked} runs the network's masked-dense eval forward instead, the reference. Prints the
 * classes with their probabilities, the MACs, per-block densities and (engine modes) the paths of every image.
 */
@Command(
        name = "classify",
        mixinStandardHelpOptions = true,
        description = "Prints the top classes with probabilities for each image, with the MACs ratio, the per-block"
                + " densities and paths. The model is a saved LAUD model file (--model) with the preprocessing and"
                + " labels it records, the pretrained ResNet-50 of the asset cache (scripts/fetch-assets weights;"
                + " Keras/Caffe preprocessing: shorter side 256, centre crop 224, BGR mean subtraction), or a PyTorch"
                + " checkpoint with --arch (torchvision preprocessing: shorter side 256, centre crop 224, RGB,"
                + " ImageNet mean and standard deviation).")
public final class ClassifyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--weights", defaultValue = PretrainedModels.RESNET50_IMAGENET,
            paramLabel = "resnet50-imagenet|FILE.pth",
            description = "Pretrained model when no --model is given: 'resnet50-imagenet' (the Keras ResNet-50 of the"
                    + " asset cache) or a PyTorch checkpoint (.pth, .pt, .pth.tar: a torchvision state dict or a"
                    + " LAUDNet checkpoint, with --arch; torchvision preprocessing) (default: ${DEFAULT-VALUE}).")
    String weights;

    @Option(names = "--arch", paramLabel = "ARCH",
            description = "Architecture of a PyTorch checkpoint given as --weights: resnet18, resnet34, resnet50,"
                    + " resnet101, regnety-400mf or regnety-800mf.")
    String arch;

    @Option(names = "--gates", split = ",",
            description = "Run the pretrained model with fresh (open) gates, one spec per stage:"
                    + " none, layer, spatial:S, channel:G or both:S:G, e.g. --gates layer,channel:4,spatial:2,none.")
    List<String> gates;

    @Option(names = "--channel-mask-placement", paramLabel = "after-activation|before-norm",
            description = "Where channel gates apply their mask: after-activation (ReLU(BN(conv)) x mask, skipped"
                    + " channels are 0) or before-norm (the reference's ReLU(BN(conv x mask)); ResNets only)."
                    + " Default: before-norm for a LAUDNet checkpoint with channel gates (the reference's"
                    + " semantics), the gate specs' after-activation otherwise.")
    String channelMaskPlacement;

    @Option(names = "--top", defaultValue = "5", description = "How many classes to print (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--model", paramLabel = "FILE.laud",
            description = "Run a saved LAUD model file (any architecture) instead of the pretrained weights, with the"
                    + " preprocessing and labels the file records.")
    Path model;

    /** How the model is executed. */
    enum RunMode {
        /** The model's classifier, each block's path chosen by its measured cost model. */
        AUTO,
        /** The model's classifier forced to each block's sparse path where the block has one. */
        SPARSE,
        /** The model's classifier forced to the dense path (BatchNorm folded, masks applied by multiplication). */
        DENSE,
        /** The network's own eval-mode forward: the masked-dense reference, no executor. */
        MASKED;

        PathPolicy policy() {
            return switch (this) {
                case AUTO -> PathPolicy.AUTO;
                case SPARSE -> PathPolicy.SPARSE;
                case DENSE -> PathPolicy.DENSE;
                case MASKED -> throw new IllegalStateException("MASKED runs no executor");
            };
        }
    }

    @Option(names = "--mode", defaultValue = "AUTO",
            description = "auto (the model's classifier, path per block by cost model), sparse (sparse paths"
                    + " forced), dense (the engine's dense path) or masked (the network's masked-dense eval forward,"
                    + " the reference) (default: ${DEFAULT-VALUE}).")
    RunMode mode;

    @Option(names = "--save", paramLabel = "FILE.laud",
            description = "Write the pretrained model (possibly gated, see --gates) as a LAUD model file, with its"
                    + " preprocessing and labels.")
    Path save;

    @Parameters(arity = "0..*", paramLabel = "IMAGE", description = "Image files (JPEG, PNG, BMP, GIF).")
    List<Path> images = List.of();

    @Override
    public Integer call() throws Exception {
        if (images.isEmpty() && save == null) {
            throw OptionChecks.bad(spec, "at least one IMAGE is required (unless --save is given)");
        }
        OptionChecks.positive(spec, "--top", top);
        if (model != null && (gates != null || save != null || channelMaskPlacement != null)) {
            throw OptionChecks.bad(spec, "--model cannot be combined with --gates, --channel-mask-placement or"
                    + " --save, got --model " + model);
        }
        ChannelMaskPlacement placement = placement();
        GateSpec[] specs = model != null ? null : pretrainedGates();
        InputFiles.outputFile(spec, "--save", save);
        if (model != null) {
            InputFiles.file("--model", model);
        } else if (TorchWeights.isCheckpointName(weights)) {
            InputFiles.file("--weights", Path.of(weights));
        }
        for (Path image : images) {
            InputFiles.file(null, image);
        }
        LaudModel.Options options = LaudModel.Options.defaults()
                .withPolicy(mode == RunMode.MASKED ? PathPolicy.AUTO : mode.policy());
        PrintStream out = System.out;
        try (LaudModel m = model != null ? LaudModel.load(model, options) : pretrained(options, placement, specs)) {
            if (save != null) {
                m.save(save);
                out.printf("saved %s%n", save);
            }
            if (images.isEmpty()) {
                return 0;
            }
            out.printf("%s: %s, run %s%n", model != null ? model : weights, m.network().getFamily().id(),
                    mode == RunMode.MASKED ? "masked dense (the network's eval forward)"
                            : "through the model's classifier, path policy " + mode.policy());
            List<String> labels = labels(m);
            if (mode == RunMode.MASKED) {
                classifyMasked(out, m, labels);
            } else {
                classify(out, m, labels);
            }
        }
        return 0;
    }

    /** Parses {@code --channel-mask-placement}; null when not given (chosen by the weights). */
    private ChannelMaskPlacement placement() {
        if (channelMaskPlacement == null) {
            return null;
        }
        return switch (channelMaskPlacement.trim().toLowerCase(Locale.ROOT)) {
            case "after-activation" -> ChannelMaskPlacement.AFTER_ACTIVATION;
            case "before-norm" -> ChannelMaskPlacement.BEFORE_NORM;
            default -> throw OptionChecks.bad(spec, "--channel-mask-placement must be after-activation or"
                    + " before-norm, got '" + channelMaskPlacement + "'");
        };
    }

    /** Checks {@code --weights} and {@code --arch} and parses {@code --gates} for the pretrained model. */
    private GateSpec[] pretrainedGates() {
        if (TorchWeights.isCheckpointName(weights)) {
            if (arch == null) {
                throw OptionChecks.bad(spec, "--arch is required with a PyTorch checkpoint (--weights " + weights
                        + "): one of " + Architecture.names());
            }
            try {
                Architecture.parse(arch);
            } catch (IllegalArgumentException e) {
                throw OptionChecks.bad(spec, "--arch must be one of " + Architecture.names() + ", got '" + arch
                        + "'");
            }
        } else if (!PretrainedModels.NAMES.contains(weights)) {
            throw OptionChecks.bad(spec, "--weights must be one of " + PretrainedModels.NAMES + " or a PyTorch"
                    + " checkpoint (.pth, .pt, .pth.tar), got '" + weights + "'");
        } else if (arch != null) {
            throw OptionChecks.bad(spec, "--arch applies to PyTorch checkpoints only; --weights " + weights
                    + " is a ResNet-50, got --arch " + arch);
        }
        if (gates == null) {
            return new GateSpec[0];
        }
        if (gates.size() != Architecture.STAGES) {
            throw OptionChecks.bad(spec, "--gates must be empty or have " + Architecture.STAGES + " specs (one per"
                    + " stage), got " + String.join(",", gates));
        }
        try {
            return parseGates(gates, Architecture.RESNET50);
        } catch (IllegalArgumentException e) {
            throw OptionChecks.bad(spec, "--gates " + String.join(",", gates) + ": " + e.getMessage());
        }
    }

    /**
     * Loads the pretrained model; weights missing from the asset cache are an {@link EnvironmentException}, and the
     * library's argument errors ({@code name ...}, {@code stageGates ...}) become parameter errors naming the options.
     */
    private LaudModel pretrained(LaudModel.Options options, ChannelMaskPlacement placement, GateSpec[] specs)
            throws Exception {
        AssetCache cache = AssetCache.defaultCache();
        if (TorchWeights.isCheckpointName(weights)) {
            Path json = cache.imageNetLabelsJson();
            List<String> imageNet = Files.isRegularFile(json) ? ImageNetLabels.load(json).names() : List.of();
            // ImageNet labels travel with a 1000-class model (e.g. into --save); other heads have none
            return LaudModel.fromPyTorch(Path.of(weights), Architecture.parse(arch),
                    classes -> classes == imageNet.size() ? imageNet : List.of(), options, placement, specs);
        }
        if (placement != null) {
            for (int s = 0; s < specs.length; s++) {
                specs[s] = specs[s].withChannelMaskPlacement(placement);
            }
        }
        return ServeCommand.pretrained(spec, weights, options, specs);
    }

    /**
     * Classifies through the model's classifier (the model API), as a deployment would; a model file without a
     * recorded preprocessing gets the {@link #preprocessing fallback} through an explicit translator.
     */
    private void classify(PrintStream out, LaudModel m, List<String> labels) throws Exception {
        try (LaudPredictor<Path, GatedClassifications> p = m.metadata().preprocessing() != null
                ? m.newClassifier(Path.class, top)
                : m.newPredictor(new ClassificationTranslator<>(preprocessing(m), m.classNames(), top,
                        ImageInputs.forType(Path.class)))) {
            for (Path image : images) {
                GatedClassifications c = p.predict(image);
                GateReport report = c.gateReport();
                printMacs(out, image, report.dynamicMacs(), report.staticMacs());
                out.printf("  block densities d3*dc: %s%n", report.blocks().stream()
                        .map(e -> String.format(Locale.ROOT, "%.2f", e.densities().d3() * e.densities().dc()))
                        .collect(Collectors.joining(" ")));
                out.printf("  block paths: %s%n", report.paths().stream().map(Enum::name)
                        .collect(Collectors.joining(",")));
                printTop(out, c.getProbabilities(), labels);
            }
        }
    }

    /** Classifies with the network's masked-dense eval forward (the reference the engine is checked against). */
    private void classifyMasked(PrintStream out, LaudModel m, List<String> labels) throws Exception {
        GatedNetwork net = m.network();
        ImagePreprocessing p = preprocessing(m);
        Shape shape = new Shape(1, p.channels(), p.cropSize(), p.cropSize());
        try (NDManager manager = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(manager, false);
            for (Path image : images) {
                try (NDManager step = manager.newSubManager()) {
                    NDArray x = step.create(p.apply(ImageInputs.read(image)), shape);
                    NetworkResult r = net.run(ps, x, false);
                    printMacs(out, image, r.dynamicMacs().getFloat(), net.staticMacs());
                    out.printf("  block densities d3*dc: %s%n", r.blocks().stream().map(d -> String.format(
                            Locale.ROOT, "%.2f", d.d3().getFloat() * d.dc().getFloat()))
                            .collect(Collectors.joining(" ")));
                    float[] probs = r.logits().softmax(1).toFloatArray();
                    printTop(out, IntStream.range(0, probs.length).mapToObj(i -> (double) probs[i]).toList(), labels);
                }
            }
        }
    }

    private static void printMacs(PrintStream out, Path image, double macs, long staticMacs) {
        out.printf("%s  (MACs %.3f G of %.3f G, ratio %.3f)%n", image, macs / 1e9, staticMacs / 1e9,
                macs / staticMacs);
    }

    /**
     * The preprocessing the model records; for files without one, the Caffe preprocessing scaled to the input size
     * (shorter side {@code S * 256 / 224}, BGR mean subtraction; gray for one-channel networks).
     */
    static ImagePreprocessing preprocessing(LaudModel m) {
        ImagePreprocessing p = m.metadata().preprocessing();
        if (p != null) {
            return p;
        }
        int size = m.network().getInputSize();
        if (m.network().getStem().inChannels() == 1) {
            return ImagePreprocessing.normalized(size, ImagePreprocessing.ChannelOrder.GRAY, new float[] {0f},
                    new float[] {1f});
        }
        ImagePreprocessing caffe = ImagePreprocessing.caffe();
        return new ImagePreprocessing(Math.max(size, size * 256 / 224), size, caffe.channelOrder(), caffe.mean(),
                caffe.std());
    }

    /**
     * The class names to print: the model's, else the ImageNet labels of the asset cache for a 1000-class model, else
     * none (null).
     */
    private static List<String> labels(LaudModel m) throws Exception {
        if (m.metadata().hasLabels()) {
            return m.metadata().labels();
        }
        Path json = AssetCache.defaultCache().imageNetLabelsJson();
        return m.network().getNumClasses() == 1000 && Files.isRegularFile(json) ? ImageNetLabels.load(json).names()
                : null;
    }

    /**
     * Prints the {@code --top} most probable classes ({@link Classifications#topK}: ties in class order), each with its
     * probability, index and label.
     *
     * @param probabilities the softmax probabilities, in class order
     * @param labels the labels to print, in class order, or null for none
     */
    private void printTop(PrintStream out, List<Double> probabilities, List<String> labels) {
        // classes named by their indices: the labels may repeat (ImageNet has two cranes)
        List<String> indices = IntStream.range(0, probabilities.size()).mapToObj(Integer::toString).toList();
        for (Classifications.Classification c : new Classifications(indices, probabilities).topK(top)) {
            int i = Integer.parseInt(c.getClassName());
            out.printf("  %6.4f  %-4d %s%n", c.getProbability(), i,
                    labels == null ? "" : labels.get(i).replace('_', ' '));
        }
    }

    /**
     * Parses one stage's gate spec: {@code none}, {@code layer}, {@code spatial:S}, {@code channel:G} or
     * {@code both:S:G}, with the channel granularity given as groups only ({@code G} or {@code groups=G}).
     *
     * @param text the spec
     * @return the gate spec
     * @throws IllegalArgumentException naming the spec when it is not one of these
     */
    static GateSpec parseGate(String text) {
        return parseGate(text, 0);
    }

    /**
     * Parses one stage's gate spec: {@code none}, {@code layer}, {@code spatial:S}, {@code channel:C} or
     * {@code both:S:C}, where the channel granularity {@code C} is the number of groups ({@code G} or
     * {@code groups=G}) or, as the reference implementation gives it, the channels per group ({@code cpg=K}, which
     * needs the stage width: {@code G = width / K}; see {@link ChannelGranularity}).
     *
     * @param text the spec
     * @param stageWidth the stage's block width {@code w}, or 0 when unknown (then {@code cpg=K} is refused)
     * @return the gate spec
     * @throws IllegalArgumentException naming the spec when it is not one of these
     */
    static GateSpec parseGate(String text, int stageWidth) {
        String[] parts = text.trim().toLowerCase(Locale.ROOT).split(":");
        try {
            return switch (parts[0]) {
                case "none" -> GateSpec.none();
                case "layer" -> GateSpec.layer();
                case "spatial" -> GateSpec.spatial(Integer.parseInt(parts[1]));
                case "channel" -> GateSpec.channel(groups(parts[1], stageWidth));
                case "both" -> GateSpec.both(Integer.parseInt(parts[1]), groups(parts[2], stageWidth));
                default -> throw new IllegalArgumentException("gate spec '" + text
                        + "' must be none, layer, spatial:S, channel:G or both:S:G (G or groups=G groups, or"
                        + " cpg=K channels per group)");
            };
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            throw new IllegalArgumentException("gate spec '" + text
                    + "' must be none, layer, spatial:S, channel:G or both:S:G (G or groups=G groups, or cpg=K"
                    + " channels per group)", e);
        }
    }

    private static int groups(String text, int stageWidth) {
        ChannelGranularity c = ChannelGranularity.parse(text);
        if (c.kind() == ChannelGranularity.Kind.GROUPS) {
            return c.value();
        }
        if (stageWidth <= 0) {
            throw new IllegalArgumentException("'" + text + "' (channels per group) needs the stage width, which"
                    + " this command does not know; give the number of groups");
        }
        return c.groups(stageWidth);
    }

    /**
     * Parses one gate spec per stage of an architecture, resolving channels-per-group granularities with its stage
     * widths.
     *
     * @param texts one spec per stage
     * @param architecture the architecture
     * @return the gate specs
     * @throws IllegalArgumentException naming the first bad spec
     */
    static GateSpec[] parseGates(List<String> texts, Architecture architecture) {
        int[] widths = architecture.stageWidths();
        GateSpec[] out = new GateSpec[texts.size()];
        for (int s = 0; s < out.length; s++) {
            out[s] = parseGate(texts.get(s), s < widths.length ? widths[s] : 0);
        }
        return out;
    }
}
