package org.laudnet.bench.cli;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.laudnet.bench.experiment.FashionMnistExperiment;
import org.laudnet.bench.memory.NativeMemoryBenchmark;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.util.AtomicFiles;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.ResNetDepth;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

/**
 * {@code laudnet bench native-memory}: runs {@link NativeMemoryBenchmark} (10,000 batch-1 inferences through one
 * predictor, RSS, heap and DJL resource counts every 500 calls) on a model file or on a gated ResNet with seeded random
 * weights (default: a ResNet-50 at input 64, whose bottlenecks run every sparse path, about 35 ms of one core per
 * inference), prints each sample and writes a markdown report.
 */
@Command(name = "native-memory", mixinStandardHelpOptions = true,
        description = "Resident memory, heap and live DJL managers/arrays over a long run of batch-1 inferences of"
                + " one predictor; reports the RSS growth after warm-up (Linux). For native memory alone, fix and"
                + " pre-touch the heap: LAUDNET_JAVA_OPTS=\"-Xms768m -Xmx768m -XX:+AlwaysPreTouch\".")
public final class NativeMemoryCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "FILE.laud",
            description = "The model file (default: a gated ResNet of --depth with seeded random weights).")
    Path model;

    @Option(names = "--depth", defaultValue = "50",
            description = "ResNet depth of the built network: 18, 34, 50 or 101 (default: ${DEFAULT-VALUE}; spatial"
                    + " gates run sparse on bottleneck blocks only, so 18 and 34 compute them densely).")
    int depth;

    @Option(names = "--input-size", defaultValue = "64",
            description = "Input side of the built network (default: ${DEFAULT-VALUE}).")
    int inputSize;

    @Option(names = "--classes", defaultValue = "1000",
            description = "Classes of the built network (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--gates", split = ",", defaultValue = "spatial:2,spatial:2,channel:4,layer",
            description = "Per-stage gates of the built network (default: ${DEFAULT-VALUE}).")
    List<String> gates;

    @Option(names = "--gate-density", paramLabel = "D",
            description = "Replace the gates' decisions by random ones, each unit open with probability D (default:"
                    + " 0.5 for the built network, whose gates are untrained; a model file's own gates).")
    Double gateDensity;

    @Option(names = "--own-gates", description = "Use the built network's own (untrained) gate decisions.")
    boolean ownGates;

    @Option(names = "--policy", defaultValue = "AUTO",
            description = "Path policy: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    PathPolicy policy;

    @Option(names = "--inferences", defaultValue = "10000",
            description = "Batch-1 inferences (default: ${DEFAULT-VALUE}).")
    int inferences;

    @Option(names = "--warmup", defaultValue = "1000",
            description = "Inferences before the reference sample (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--interval", defaultValue = "500",
            description = "Inferences between samples (default: ${DEFAULT-VALUE}).")
    int interval;

    @Option(names = "--distinct-inputs", defaultValue = "0",
            description = "0: a fresh random input every call; N: N inputs in turn (default: ${DEFAULT-VALUE}).")
    int distinctInputs;

    @Option(names = "--seed", defaultValue = "7",
            description = "Seed of the weights, inputs and gate decisions (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--markdown", defaultValue = "docs/results/native-memory.md",
            description = "Markdown report (default: ${DEFAULT-VALUE}).")
    Path markdown;

    /** Runs the benchmark. */
    @Override
    public Integer call() throws Exception {
        if (model != null) {
            InputFiles.file("--model", model);
        }
        if (model == null && !java.util.List.of(18, 34, 50, 101).contains(depth)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--depth must be 18, 34, 50 or 101, got "
                    + depth);
        }
        OptionChecks.positive(spec, "--inferences", inferences);
        OptionChecks.positive(spec, "--input-size", inputSize);
        OptionChecks.positive(spec, "--classes", classes);
        InputFiles.outputFile(spec, "--markdown", markdown);
        PrintStream o = System.out;
        OptionalDouble density = gateDensity != null ? OptionalDouble.of(gateDensity)
                : model == null && !ownGates ? OptionalDouble.of(0.5) : OptionalDouble.empty();
        NativeMemoryBenchmark.Settings s = new NativeMemoryBenchmark.Settings(inferences, warmup, interval, seed,
                distinctInputs, density);
        LaudModel.Options options = LaudModel.Options.defaults().withPolicy(policy);
        String description;
        LaudModel m;
        if (model != null) {
            m = LaudModel.load(model, options);
            description = describe(model.getFileName().toString(), m.network());
        } else {
            GateSpec[] specs = gates.stream().map(ClassifyCommand::parseGate).toArray(GateSpec[]::new);
            ResNetDepth d = ResNetDepth.of(depth);
            m = LaudModel.create("resnet" + depth, ModelMetadata.none(), options, manager -> {
                GatedBackbone net = LaudResNet.builder().setDepth(d).optStageGates(specs).optInputSize(inputSize)
                        .optNumClasses(classes).optSeed(seed).build();
                net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, inputSize, inputSize));
                return net;
            });
            description = describe("gated ResNet-" + depth + " with seeded random weights (seed " + seed
                    + "), stage gates " + String.join(",", gates), m.network());
        }
        NativeMemoryBenchmark.Result r;
        try (LaudModel closing = m) {
            o.println("model: " + description);
            r = NativeMemoryBenchmark.run(closing, description, s, o::println);
        }
        String threadsEnv = System.getenv("LAUDNET_THREADS");
        String javaOpts = System.getenv("LAUDNET_JAVA_OPTS");
        String command = (threadsEnv != null ? "LAUDNET_THREADS=" + threadsEnv + " " : "")
                + (javaOpts != null && !javaOpts.isBlank() ? "LAUDNET_JAVA_OPTS=\"" + javaOpts.trim() + "\" " : "")
                + "scripts/laudnet bench native-memory"
                + (model != null ? " --model " + model.getFileName()
                        : " --depth " + depth + " --input-size " + inputSize + " --classes " + classes + " --gates "
                                + String.join(",", gates) + (ownGates ? " --own-gates" : ""))
                + (gateDensity != null ? " --gate-density " + gateDensity : "") + " --policy " + policy
                + " --inferences " + inferences + " --warmup " + warmup + " --interval " + interval
                + " --distinct-inputs " + distinctInputs + " --seed " + seed;
        String md = NativeMemoryBenchmark.markdown(r, s, machine(), FashionMnistExperiment.threads(),
                policy.toString(), command);
        Path dir = markdown.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        AtomicFiles.write(markdown, out -> out.write(md.getBytes(StandardCharsets.UTF_8)));
        o.printf(Locale.ROOT, "RSS growth after warm-up: %+.2f %% (%s the %.0f %% limit)%n", r.rssGrowthPercent(),
                r.rssWithinLimit() ? "within" : "NOT within", NativeMemoryBenchmark.RSS_GROWTH_LIMIT_PERCENT);
        o.println("report: " + markdown);
        return 0;
    }

    private static String describe(String what, GatedNetwork net) {
        return String.format(Locale.ROOT, "%s; architecture %s, input %d x %d x %d, %d classes", what,
                net.getFamily().id(), net.getStem().inChannels(), net.getInputSize(), net.getInputSize(),
                net.getNumClasses());
    }

    /** The CPU from {@code lscpu} (model name, CPUs, sockets x cores x threads), else from /proc/cpuinfo. */
    static String machine() {
        Map<String, String> fields = new LinkedHashMap<>();
        try {
            Process p = new ProcessBuilder("lscpu").redirectErrorStream(true).start();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    int colon = line.indexOf(':');
                    if (colon > 0) {
                        fields.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                    }
                }
            }
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            return FashionMnistExperiment.machine();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return FashionMnistExperiment.machine();
        }
        if (!fields.containsKey("Model name") || !fields.containsKey("CPU(s)")) {
            return FashionMnistExperiment.machine();
        }
        return String.format(Locale.ROOT, "%s (lscpu: %s CPUs, %s socket(s) x %s core(s) x %s thread(s)), %s %s,"
                + " Java %s", fields.get("Model name"), fields.get("CPU(s)"), fields.getOrDefault("Socket(s)", "?"),
                fields.getOrDefault("Core(s) per socket", "?"), fields.getOrDefault("Thread(s) per core", "?"),
                System.getProperty("os.name"), System.getProperty("os.arch"), System.getProperty("java.version"));
    }
}
