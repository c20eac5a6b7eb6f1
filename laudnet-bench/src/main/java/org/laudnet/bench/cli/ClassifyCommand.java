package org.laudnet.bench.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.laudnet.core.block.GateSpec;
import org.laudnet.models.imagenet.ImageNetClassifier;
import org.laudnet.models.imagenet.ImageNetClassifier.Classification;
import org.laudnet.models.imagenet.ImageNetClassifier.Prediction;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.KerasResNet50Importer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code laudnet classify}: top-5 ImageNet labels of photos with the pretrained ResNet-50. */
@Command(
        name = "classify",
        mixinStandardHelpOptions = true,
        description = "Prints the top-5 ImageNet labels with probabilities for each image (Keras/Caffe preprocessing:"
                + " shorter side 256, centre crop 224, BGR mean subtraction). Weights come from the asset cache"
                + " (scripts/fetch-assets weights).")
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

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files (JPEG, PNG, ...).")
    List<Path> images;

    @Override
    public Integer call() throws Exception {
        if (!weights.equals("resnet50-imagenet")) {
            throw new IllegalArgumentException("--weights must be resnet50-imagenet, got " + weights);
        }
        LaudResNet.Builder builder = KerasResNet50Importer.builder();
        if (gates != null) {
            builder.optStageGates(gates.stream().map(ClassifyCommand::parseGate).toArray(GateSpec[]::new));
        }
        PrintStream out = System.out;
        try (ImageNetClassifier classifier = ImageNetClassifier.load(AssetCache.defaultCache(), builder)) {
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
