package org.laudnet.bench.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import org.laudnet.bench.blocks.BlockBenchmark;
import org.laudnet.bench.blocks.BlockProfile;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.latency.cpu.CpuBackends;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code bench} command: benchmarks of this project ({@code bench blocks}: dense vs dynamic blocks on CPU;
 * {@code bench network}: whole gated networks against the static one;
 * {@code bench model-memory}: memory and calibration time of one model shared by predictor threads;
 * {@code bench native-memory}: native memory and DJL resources over a long run of one predictor; {@code bench spark}:
 * images/s of the Spark transformer on local[1] and local[2] against the in-process predictor; {@code bench backends}:
 * ResNet-50 through CPU backends side by side; {@code bench serve}: the HTTP model server under load;
 * {@code bench gated-model}: the pretrained ResNet-50 with synthetic gates at a target density, for those benchmarks).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchCommand.Blocks.class, NetworkCommand.class, ModelMemoryCommand.class,
            NativeMemoryCommand.class, SparkBenchCommand.class, BackendsCommand.class, BenchServeCommand.class,
            GatedModelCommand.class})
public final class BenchCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Prints the usage: {@code bench} needs a subcommand. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Runs {@code bench} as a stand-alone command line.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchCommand()).execute(args));
    }

    /** {@code bench blocks}: times ResNet-50 bottlenecks, dense against gated, and writes JSON and markdown. */
    @Command(name = "blocks", mixinStandardHelpOptions = true,
            description = "Dense vs dynamic ResNet-50 bottlenecks (all four stages) on this CPU, through one engine"
                    + " backend (--backend).")
    public static final class Blocks implements Callable<Integer> {

        @CommandLine.Spec
        private CommandLine.Model.CommandSpec spec;

        @Option(names = "--json", description = "JSON output file (default: markdown file with .json).")
        private Path json;

        @Option(names = "--markdown", description = "Markdown output file (default: ${DEFAULT-VALUE}).",
                defaultValue = "docs/results/blocks-cpu.md")
        private Path markdown;

        @Option(names = "--runs", description = "Timed runs per configuration, each after an untimed primer call of"
                + " the same executor (default: ${DEFAULT-VALUE}).", defaultValue = "12")
        private int runs;

        @Option(names = "--warmup", description = "Untimed warm-up rounds per configuration (default:"
                + " ${DEFAULT-VALUE}).", defaultValue = "2")
        private int warmup;

        @Option(names = "--batches", split = ",", description = "Batch sizes (default: ${DEFAULT-VALUE}).",
                defaultValue = "1,8")
        private int[] batches;

        @Option(names = "--densities", split = ",", description = "Densities (default: ${DEFAULT-VALUE}).",
                defaultValue = "0.1,0.25,0.5,0.75,1.0")
        private double[] densities;

        @Option(names = "--quick", description = "Few runs, batch 1, densities 0.5 and 1.0 (development).")
        private boolean quick;

        @Option(names = "--stages", split = ",", description = "ResNet-50 stages to run (default: ${DEFAULT-VALUE}).",
                defaultValue = "1,2,3,4")
        private int[] stages;

        @Option(names = "--modes", split = ",", description = "Gate modes to run, of LAYER, SPATIAL and CHANNEL"
                + " (default: ${DEFAULT-VALUE}).", defaultValue = "LAYER,SPATIAL,CHANNEL")
        private GateMode[] modes;

        @Option(names = "--profile", description = "Also profile each stage per phase at --profile-density "
                + "(static, LAYER, SPATIAL S=4/2, CHANNEL G=4) and add the table to the markdown.")
        private boolean profile;

        @Option(names = "--profile-only", description = "Only profile (no latency table).")
        private boolean profileOnly;

        @Option(names = "--profile-density", description = "Density of the profile (default: ${DEFAULT-VALUE}).",
                defaultValue = "0.5")
        private double profileDensity;

        @Option(names = "--profile-policy", defaultValue = "AUTO",
                description = "Path policy of the profiled gated blocks: AUTO (what the executor chooses) or SPARSE"
                        + " (the sparse path even where AUTO falls back to dense) (default: ${DEFAULT-VALUE}).")
        private PathPolicy profilePolicy;

        @Option(names = "--note", description = "Text placed under the markdown title (e.g. a reduced-run notice).",
                defaultValue = "")
        private String note;

        @Option(names = "--backend", defaultValue = CpuBackends.FASTEST,
                description = "CPU backend the static and gated blocks run on: fastest (what an AUTO executor runs on"
                        + " the CPU), djl-cpu, onednn, java (default: ${DEFAULT-VALUE}).")
        private String backend;

        /** Runs the benchmark and writes the reports. */
        @Override
        public Integer call() throws Exception {
            OptionChecks.positive(spec, "--runs", runs);
            OptionChecks.nonNegative(spec, "--warmup", warmup);
            for (int b : batches) {
                OptionChecks.positive(spec, "--batches", b);
            }
            for (double d : densities) {
                OptionChecks.fraction(spec, "--densities", d);
            }
            OptionChecks.fraction(spec, "--profile-density", profileDensity);
            LatencyCommand.checkBackendOption(spec, backend);
            String name = backend;
            Function<NDManager, Backend<?>> backends = m -> CpuBackends.create(name, m);
            List<BlockBenchmark.StageShape> shapes = new ArrayList<>();
            for (int st : stages) {
                if (st < 1 || st > BlockBenchmark.RESNET50_STAGES.size()) {
                    throw OptionChecks.bad(spec, "--stages must lie in 1.." + BlockBenchmark.RESNET50_STAGES.size()
                            + ", got " + st);
                }
                shapes.add(BlockBenchmark.RESNET50_STAGES.get(st - 1));
            }
            Path jsonFile = json != null ? json : Path.of(markdown.toString().replaceAll("\\.md$", "") + ".json");
            InputFiles.outputFile(spec, "--markdown", markdown);
            if (!profileOnly) {
                InputFiles.outputFile(spec, "--json", jsonFile);
            }
            EnumSet<GateMode> modeSet = EnumSet.noneOf(GateMode.class);
            for (GateMode mode : modes) {
                if (!BlockBenchmark.BENCHED_MODES.contains(mode)) {
                    throw OptionChecks.bad(spec, "--modes must name LAYER, SPATIAL or CHANNEL, got " + mode);
                }
                modeSet.add(mode);
            }
            // refuse a backend that cannot run here before any timing
            try (NDManager manager = NDManager.newBaseManager();
                    Backend<?> b = LatencyCommand.backendOption(spec, backend, manager)) {
                System.out.println("backend " + b.id() + ": " + b.description());
            }
            BlockBenchmark.Config config = quick
                    ? new BlockBenchmark.Config(5, 2, new int[] {1}, new double[] {0.5, 1.0}, shapes, 42L, modeSet)
                    : new BlockBenchmark.Config(runs, warmup, batches, densities, shapes, 42L, modeSet);
            BlockBenchmark bench = new BlockBenchmark(config, backends);
            List<BlockBenchmark.Row> rows = profileOnly ? List.of() : bench.run();
            List<BlockProfile.Entry> prof = profile || profileOnly
                    ? BlockProfile.run(shapes, config.batches(), profileDensity, config.runs(), config.warmup(), 42L,
                            profilePolicy, backends)
                    : List.of();
            bench.writeMarkdown(rows, prof, note, markdown);
            if (!profileOnly) {
                bench.writeJson(rows, jsonFile);
            }
            return 0;
        }
    }
}
