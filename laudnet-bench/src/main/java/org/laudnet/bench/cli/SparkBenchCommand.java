package org.laudnet.bench.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.laudnet.bench.experiment.FashionMnistExperiment;
import org.laudnet.bench.spark.SparkBenchmark;
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
 * {@code laudnet bench spark}: {@link SparkBenchmark} on the asset photos with the pretrained ResNet-50 (static) and a
 * gated model ({@code --gated FILE.laud}, or the pretrained ResNet-50 with the fresh gates of {@code --gates}, saved to
 * a temporary model file); prints each measurement and writes a markdown report.
 */
@Command(name = "spark", mixinStandardHelpOptions = true,
        description = "Images/s of the Spark transformer on local[1] and local[2] against the in-process predictor on"
                + " the same images, static and gated model.")
public final class SparkBenchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--weights", defaultValue = PretrainedModels.RESNET50_IMAGENET,
            description = "The static model: a pretrained model (default: ${DEFAULT-VALUE}).")
    String weights;

    @Option(names = "--gated", paramLabel = "FILE.laud",
            description = "The gated model file, e.g. a fine-tuned LAUD model or one whose gates skip made by 'bench"
                    + " gated-model' (default: the pretrained model with the fresh gates of --gates).")
    Path gated;

    @Option(names = "--gates", split = ",", defaultValue = "layer,channel:4,layer,layer",
            description = "Per-stage gates of the pretrained model when no --gated is given (default:"
                    + " ${DEFAULT-VALUE}; fresh gates are open, so its MACs ratio is the static one plus the maskers).")
    List<String> gates;

    @Option(names = "--images", defaultValue = "56", description = "Images per pass (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--batch", defaultValue = "8", description = "Images per call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--runs", defaultValue = "5", description = "Timed passes (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "1", description = "Warm-up passes (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--task-threads", defaultValue = "1",
            description = "Intra-op threads per task and of the in-process predictor (default: ${DEFAULT-VALUE}).")
    int taskThreads;

    @Option(names = "--markdown", defaultValue = "docs/results/spark.md",
            description = "Markdown report (default: ${DEFAULT-VALUE}).")
    Path markdown;

    @Option(names = "--note", defaultValue = "", description = "Text placed under the report's title.")
    String note;

    @Override
    public Integer call() throws Exception {
        OptionChecks.positive(spec, "--images", images);
        OptionChecks.positive(spec, "--batch", batch);
        OptionChecks.positive(spec, "--runs", runs);
        OptionChecks.nonNegative(spec, "--warmup", warmup);
        OptionChecks.positive(spec, "--task-threads", taskThreads);
        if (!PretrainedModels.NAMES.contains(weights)) {
            throw OptionChecks.bad(spec, "--weights must be one of " + PretrainedModels.NAMES + ", got '" + weights
                    + "'");
        }
        GateSpec[] specs;
        try {
            specs = gates.stream().map(ClassifyCommand::parseGate).toArray(GateSpec[]::new);
        } catch (IllegalArgumentException e) {
            throw OptionChecks.bad(spec, "--gates " + String.join(",", gates) + ": " + e.getMessage());
        }
        if (gated == null && specs.length != Architecture.STAGES) {
            throw OptionChecks.bad(spec, "--gates must have " + Architecture.STAGES + " specs (one per ResNet-50"
                    + " stage), got " + String.join(",", gates));
        }
        if (gated != null) {
            InputFiles.file("--gated", gated);
        }
        InputFiles.outputFile(spec, "--markdown", markdown);
        AssetCache cache = AssetCache.defaultCache();
        if (!cache.hasResNet50()) {
            throw new EnvironmentException("the ImageNet ResNet-50 is not in " + cache.resnet50Dir()
                    + "; fetch it with 'scripts/fetch-assets weights'");
        }
        List<Path> photos = new ArrayList<>();
        for (String p : AssetCache.PHOTOS) {
            Path f = cache.photo(p);
            if (!Files.isRegularFile(f)) {
                throw new EnvironmentException("the photo " + f + " is missing; fetch it with"
                        + " 'scripts/fetch-assets photos'");
            }
            photos.add(f);
        }
        // before the engine starts: every task and the in-process predictor get the same intra-op threads
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(taskThreads));
        PrintStream o = System.out;
        Path temp = null;
        try {
            Path gatedFile = gated;
            if (gatedFile == null) {
                temp = Files.createTempFile("laudnet-spark-bench-", ".laud");
                try (LaudModel pretrained = PretrainedModels.load(weights, specs)) {
                    pretrained.save(temp);
                }
                gatedFile = temp;
            }
            SparkBenchmark.Settings s = new SparkBenchmark.Settings(List.of(
                    new SparkBenchmark.Model("static (`" + weights + "`)", weights),
                    new SparkBenchmark.Model(gated != null ? "gated (`" + gated.getFileName() + "`)"
                            : "gated (`" + weights + "`, fresh gates " + String.join(",", gates) + ")",
                            gatedFile.toAbsolutePath().toString())),
                    SparkBenchmark.read(photos), images, batch, runs, warmup, List.of("local[1]", "local[2]"));
            List<SparkBenchmark.ModelResult> rows = SparkBenchmark.run(s, o::println);
            String command = "scripts/laudnet bench spark" + (gated != null ? " --gated " + gated.getFileName()
                    : " --gates " + String.join(",", gates)) + " --images " + images + " --batch " + batch + " --runs "
                    + runs + " --warmup " + warmup + " --task-threads " + taskThreads;
            String md = SparkBenchmark.markdown(rows, s, FashionMnistExperiment.machine(), taskThreads, command,
                    note);
            AtomicFiles.write(markdown, out -> out.write(md.getBytes(StandardCharsets.UTF_8)));
            o.println("report: " + markdown);
            return 0;
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    System.err.println("cannot delete " + temp + ": " + e.getMessage());
                }
            }
        }
    }
}
