package org.laudnet.bench.cli;

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
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.ExecutorOptions;
import org.laudnet.core.exec.GateReport;
import org.laudnet.core.exec.NetworkExecution;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.models.imagenet.CaffePreprocessing;
import org.laudnet.models.imagenet.ImageNetClassifier;
import org.laudnet.models.imagenet.ImageNetClassifier.Classification;
import org.laudnet.models.imagenet.ImageNetClassifier.Prediction;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.io.LaudModelFile;
import org.laudnet.models.io.LoadedNetwork;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.ImageNetLabels;
import org.laudnet.models.weights.KerasResNet50Importer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code laudnet classify}: top-5 ImageNet labels of photos with the pretrained ResNet-50 (optionally gated, optionally
 * saved as a LAUD model file with {@code --save}, which records the Caffe preprocessing and the ImageNet labels), or
 * with a saved LAUD model of any architecture ({@code --model FILE.laud}), which runs through the inference engine
 * ({@link PlanRuntime} on the DJL backend) and reports its per-block densities, paths and MACs.
 */
@Command(
        name = "classify",
        mixinStandardHelpOptions = true,
        description = "Prints the top-5 ImageNet labels with probabilities for each image (Keras/Caffe preprocessing:"
                + " shorter side 256, centre crop 224, BGR mean subtraction). Weights come from the asset cache"
                + " (scripts/fetch-assets weights), or from a saved LAUD model file (--model).")
public final class ClassifyCommand implements Callable<Integer> {

    @Option(names = "--weights", defaultValue = "resnet50-imagenet",
            description = "Pretrained weights; 'resnet50-imagenet' is the Keras ResNet-50 (default: ${DEFAULT-VALUE}).")
    String weights;

    @Option(names = "--gates", split = ",",
            description = "Run as a LAUD network with fresh (open) gates, one spec per stage:"
                    + " none, layer, spatial:S, channel:G or both:S:G, e.g. --gates layer,channel:4,spatial:2,none.")
    List<String> gates;

    @Option(names = "--top", defaultValue = "5", description = "How many labels to print (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--model", paramLabel = "FILE.laud",
            description = "Run a saved LAUD model file (any architecture) instead of the pretrained weights, through"
                    + " the inference engine, with the preprocessing and labels the file records. Prints per-block"
                    + " densities, paths and the MACs next to the labels.")
    Path model;

    /** How a saved model (--model) is executed. */
    enum RunMode {
        /** The inference engine, each block's path chosen by its measured cost model. */
        AUTO,
        /** The inference engine forced to each block's sparse path where the block has one. */
        SPARSE,
        /** The inference engine forced to the dense path (BatchNorm folded, masks applied by multiplication). */
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
            description = "With --model: auto (inference engine, path per block by cost model), sparse (sparse"
                    + " paths forced), dense (the engine's dense path) or masked (the network's masked-dense eval"
                    + " forward, the reference) (default: ${DEFAULT-VALUE}).")
    RunMode mode;

    @Option(names = "--save", paramLabel = "FILE.laud",
            description = "Write the loaded (possibly gated, see --gates) ResNet-50 as a LAUD model file, with its"
                    + " Caffe preprocessing and the ImageNet labels.")
    Path save;

    @Parameters(arity = "0..*", paramLabel = "IMAGE", description = "Image files (JPEG, PNG, ...).")
    List<Path> images = List.of();

    @Override
    public Integer call() throws Exception {
        if (images.isEmpty() && save == null) {
            throw new IllegalArgumentException("at least one IMAGE is required (unless --save is given)");
        }
        if (model != null) {
            if (gates != null || save != null) {
                throw new IllegalArgumentException("--model cannot be combined with --gates or --save, got --model "
                        + model);
            }
            return classifySaved();
        }
        if (!weights.equals("resnet50-imagenet")) {
            throw new IllegalArgumentException("--weights must be resnet50-imagenet, got " + weights);
        }
        LaudResNet.Builder builder = KerasResNet50Importer.builder();
        if (gates != null) {
            builder.optStageGates(gates.stream().map(ClassifyCommand::parseGate).toArray(GateSpec[]::new));
        }
        PrintStream out = System.out;
        try (ImageNetClassifier classifier = ImageNetClassifier.load(AssetCache.defaultCache(), builder)) {
            if (save != null) {
                LaudModelFile.save(save, classifier.network(),
                        new ModelMetadata(ImagePreprocessing.caffe(), classifier.labels().names()));
                out.printf("saved %s%n", save);
            }
            for (Path image : images) {
                Classification c = classifier.classify(image, top);
                out.printf("%s  (MACs ratio %.3f)%n", image, c.macsRatio());
                for (Prediction p : c.top()) {
                    out.printf("  %6.4f  %-4d %s%n", p.probability(), p.index(), p.label());
                }
            }
        }
        return 0;
    }

    /** Classifies the images with a saved model file. */
    private int classifySaved() throws Exception {
        PrintStream out = System.out;
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedNetwork loaded = LaudModelFile.load(model, manager);
            GatedNetwork net = loaded.network();
            ModelMetadata metadata = loaded.metadata();
            long staticMacs = net.staticMacs();
            ParameterStore ps = new ParameterStore(manager, false);
            out.printf("%s: %s, run %s%n", model, net.getFamily().id(), mode == RunMode.MASKED
                    ? "masked dense (the network's eval forward)"
                    : "through the inference engine, path policy " + mode.policy());
            List<String> labels = labels(metadata, net.getNumClasses());
            Preprocessor preprocessor = preprocessor(metadata, net);
            PlanRuntime<?> runtime = mode == RunMode.MASKED ? null
                    : PlanRuntime.create(InferencePlan.of(net), DjlBackend.create(manager));
            try (NetworkExecutor executor = runtime == null ? null
                    : runtime.newExecutor(ExecutorOptions.defaults().withPolicy(mode.policy()))) {
                for (Path image : images) {
                    try (NDManager step = manager.newSubManager()) {
                        NDArray x = preprocessor.load(step, image);
                        NDArray logits;
                        double macs;
                        String densities;
                        String paths = null;
                        if (executor != null) {
                            NetworkExecution r = executor.run(x);
                            GateReport report = r.report();
                            logits = r.logits();
                            macs = report.dynamicMacs();
                            densities = report.blocks().stream().map(e -> String.format(Locale.ROOT, "%.2f",
                                    e.densities().d3() * e.densities().dc())).collect(Collectors.joining(" "));
                            paths = report.paths().stream().map(Enum::name).collect(Collectors.joining(","));
                        } else {
                            NetworkResult r = net.run(ps, x, false);
                            logits = r.logits();
                            macs = r.dynamicMacs().getFloat();
                            densities = r.blocks().stream().map(d -> String.format(Locale.ROOT, "%.2f",
                                    d.d3().getFloat() * d.dc().getFloat())).collect(Collectors.joining(" "));
                        }
                        out.printf("%s  (MACs %.3f G of %.3f G, ratio %.3f)%n", image, macs / 1e9, staticMacs / 1e9,
                                macs / staticMacs);
                        out.printf("  block densities d3*dc: %s%n", densities);
                        if (paths != null) {
                            out.printf("  block paths: %s%n", paths);
                        }
                        printTop(out, logits.softmax(1).toFloatArray(), labels);
                    }
                }
            } finally {
                if (runtime != null) {
                    runtime.close();
                }
            }
        }
        return 0;
    }

    /** Turns an image file into the network's input {@code (1, C, S, S)}. */
    @FunctionalInterface
    private interface Preprocessor {
        NDArray load(NDManager manager, Path image) throws java.io.IOException;
    }

    /**
     * The preprocessing the model file records; for files without one, the Caffe preprocessing scaled to the input
     * size (what this command always used).
     */
    private static Preprocessor preprocessor(ModelMetadata metadata, GatedNetwork net) {
        ImagePreprocessing p = metadata.preprocessing();
        if (p != null) {
            Shape shape = new Shape(1, p.channels(), p.cropSize(), p.cropSize());
            return (manager, image) -> manager.create(p.apply(CaffePreprocessing.read(image)), shape);
        }
        int size = net.getInputSize();
        CaffePreprocessing caffe = new CaffePreprocessing(size * 256 / 224, size);
        return caffe::load;
    }

    /**
     * The class names to print: the model file's, else the ImageNet labels of the asset cache for a 1000-class
     * model, else none.
     */
    private static List<String> labels(ModelMetadata metadata, int classes) throws Exception {
        if (metadata.hasLabels()) {
            return metadata.labels();
        }
        Path json = AssetCache.defaultCache().imageNetLabelsJson();
        return classes == 1000 && Files.isRegularFile(json) ? ImageNetLabels.load(json).names() : null;
    }

    private void printTop(PrintStream out, float[] p, List<String> labels) {
        boolean[] used = new boolean[p.length];
        for (int t = 0; t < Math.min(top, p.length); t++) {
            int best = -1;
            for (int i = 0; i < p.length; i++) {
                if (!used[i] && (best < 0 || p[i] > p[best])) {
                    best = i;
                }
            }
            used[best] = true;
            out.printf("  %6.4f  %-4d %s%n", p[best], best, labels == null ? "" : labels.get(best).replace('_', ' '));
        }
    }

    /**
     * Parses one stage's gate spec: {@code none}, {@code layer}, {@code spatial:S}, {@code channel:G} or
     * {@code both:S:G}.
     *
     * @param text the spec
     * @return the gate spec
     */
    static GateSpec parseGate(String text) {
        String[] parts = text.trim().toLowerCase().split(":");
        try {
            return switch (parts[0]) {
                case "none" -> GateSpec.none();
                case "layer" -> GateSpec.layer();
                case "spatial" -> GateSpec.spatial(Integer.parseInt(parts[1]));
                case "channel" -> GateSpec.channel(Integer.parseInt(parts[1]));
                case "both" -> GateSpec.both(Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
                default -> throw new IllegalArgumentException("unknown gate mode '" + parts[0] + "'");
            };
        } catch (ArrayIndexOutOfBoundsException | NumberFormatException e) {
            throw new IllegalArgumentException("gate spec '" + text
                    + "' must be none, layer, spatial:S, channel:G or both:S:G", e);
        }
    }
}
