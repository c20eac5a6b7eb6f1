package org.laudnet.bench.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.laudnet.bench.experiment.FashionMnistExperiment;
import org.laudnet.bench.memory.ModelMemoryBenchmark;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.util.AtomicFiles;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.inference.PretrainedModels;
import org.laudnet.models.train.Architecture;
import org.laudnet.models.weights.AssetCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code laudnet bench model-memory}: runs {@link ModelMemoryBenchmark} on a model file, or on the pretrained ImageNet
 * ResNet-50 with fresh gates (saved to a temporary model file first), prints each step and writes a markdown report.
 */
@Command(name = "model-memory", mixinStandardHelpOptions = true,
        description = "Resident memory and calibration time of one LaudModel shared by predictor threads, and over"
                + " repeated load/close cycles (Linux).")
public final class ModelMemoryCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "FILE.laud",
            description = "The model file (default: the pretrained ResNet-50 with the gates of --gates).")
    Path model;

    @Option(names = "--gates", split = ",", defaultValue = "layer,channel:4,layer,layer",
            description = "Per-stage gates of the pretrained ResNet-50 when no --model is given"
                    + " (default: ${DEFAULT-VALUE}).")
    List<String> gates;

    @Option(names = "--image", description = "The image every call classifies (default: the eagle photo of the"
            + " asset cache, scripts/fetch-assets photos).")
    Path image;

    @Option(names = "--threads", defaultValue = "4", description = "Worker threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--calls", defaultValue = "25",
            description = "Calls per worker thread and round (default: ${DEFAULT-VALUE}).")
    int calls;

    @Option(names = "--rounds", defaultValue = "8", description = "Rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--cycles", defaultValue = "5",
            description = "Load/calibrate/classify/close cycles (default: ${DEFAULT-VALUE}).")
    int cycles;

    @Option(names = "--calibrate", split = ",", defaultValue = "1,8",
            description = "Batch sizes calibrated before the rounds (default: ${DEFAULT-VALUE}).")
    int[] calibrate;

    @Option(names = "--markdown", defaultValue = "docs/results/model-api-memory.md",
            description = "Markdown report (default: ${DEFAULT-VALUE}).")
    Path markdown;

    /** Runs the benchmark. */
    @Override
    public Integer call() throws Exception {
        PrintStream o = System.out;
        OptionChecks.positive(spec, "--threads", threads);
        OptionChecks.positive(spec, "--calls", calls);
        OptionChecks.positive(spec, "--rounds", rounds);
        OptionChecks.nonNegative(spec, "--cycles", cycles);
        for (int b : calibrate) {
            OptionChecks.positive(spec, "--calibrate", b);
        }
        GateSpec[] specs;
        try {
            specs = gates.stream().map(ClassifyCommand::parseGate).toArray(GateSpec[]::new);
        } catch (IllegalArgumentException e) {
            throw OptionChecks.bad(spec, "--gates " + String.join(",", gates) + ": " + e.getMessage());
        }
        if (model == null && specs.length != 0 && specs.length != Architecture.STAGES) {
            throw OptionChecks.bad(spec, "--gates must be empty or have " + Architecture.STAGES + " specs (one per"
                    + " ResNet-50 stage), got " + String.join(",", gates));
        }
        if (model != null) {
            InputFiles.file("--model", model);
        }
        AssetCache cache = AssetCache.defaultCache();
        Path img;
        if (image != null) {
            img = InputFiles.file("--image", image);
        } else {
            img = cache.photo("eagle");
            if (!Files.isRegularFile(img)) {
                throw new EnvironmentException("the photo " + img + " is missing; fetch it with"
                        + " 'scripts/fetch-assets photos' (or give an image with --image)");
            }
        }
        InputFiles.outputFile(spec, "--markdown", markdown);
        if (model == null && !cache.hasResNet50()) {
            throw new EnvironmentException("the ImageNet ResNet-50 is not in " + cache.resnet50Dir()
                    + "; fetch it with 'scripts/fetch-assets weights' (or give a model with --model)");
        }
        Path file = model;
        Path temp = null;
        try {
            if (file == null) {
                temp = Files.createTempFile("laudnet-memory-", ".laud");
                try (LaudModel pretrained = PretrainedModels.load(PretrainedModels.RESNET50_IMAGENET, specs)) {
                    pretrained.save(temp);
                }
                file = temp;
                o.println("model: " + PretrainedModels.RESNET50_IMAGENET + " with gates " + String.join(",", gates));
            }
            ModelMemoryBenchmark.Settings s = new ModelMemoryBenchmark.Settings(file, img, threads, calls, rounds,
                    cycles, calibrate);
            ModelMemoryBenchmark.Result r = ModelMemoryBenchmark.run(s, o::println);
            String command = "scripts/laudnet bench model-memory"
                    + (model != null ? " --model " + model.getFileName() : " --gates " + String.join(",", gates))
                    + " --threads " + threads + " --calls " + calls + " --rounds " + rounds + " --cycles " + cycles
                    + " --calibrate " + Arrays.stream(calibrate).mapToObj(String::valueOf)
                            .collect(Collectors.joining(","));
            String md = ModelMemoryBenchmark.markdown(r, s, FashionMnistExperiment.machine(),
                    FashionMnistExperiment.threads(), command);
            AtomicFiles.write(markdown, out -> out.write(md.getBytes(StandardCharsets.UTF_8)));
            o.println("report: " + markdown);
            return 0;
        } finally {
            if (temp != null) {
                deleteQuietly(temp);
            }
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            System.err.println("cannot delete " + p + ": " + e.getMessage());
        }
    }
}
