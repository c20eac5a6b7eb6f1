package org.laudnet.bench.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.laudnet.bench.demo.GateDemo;
import org.laudnet.bench.demo.GateDemo.DemoRow;
import org.laudnet.bench.experiment.ExperimentConfig;
import org.laudnet.bench.experiment.FashionMnistExperiment;
import org.laudnet.bench.experiment.ModelResult;
import org.laudnet.bench.experiment.ResultsReport;
import org.laudnet.core.util.LaudnetHome;
import org.laudnet.models.data.IdxDataset;
import org.laudnet.models.weights.AssetCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code laudnet demo}: the end-to-end demonstration. Checks (and if needed fetches) Fashion-MNIST, trains a small
 * static network, fine-tunes a spatial and a layer-skipping LAUD variant at {@code t = 0.5} with distillation, and
 * prints top-1, MACs ratio and measured latency of each, plus where the mask picture (of the spatial variant) and the
 * accuracy/latency plot were written.
 * {@code laudnet demo --gates} runs the single-block gate demonstration instead.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Trains a small static network on Fashion-MNIST, fine-tunes a spatial and a layer-skipping LAUD"
                + " variant at t = 0.5 from it, and prints accuracy, MACs and measured CPU latency of each (about five"
                + " minutes on 2 cores)."
                + " With --gates: one gated ResNet-50 bottleneck per mode on a random batch instead.")
public final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--gates", description = "Run the single-block gate demo (training vs eval masks per mode).")
    boolean gates;

    @Option(names = "--out", defaultValue = "laudnet-demo",
            description = "Directory for the report and pictures (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--batch", defaultValue = "4", description = "--gates: batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seed", defaultValue = "42",
            description = "--gates: seed of inputs, weights and gate noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--tau", defaultValue = "1.0",
            description = "--gates: Gumbel temperature in training mode (default: ${DEFAULT-VALUE}).")
    float tau;

    @Option(
            names = "--keep-bias-shift",
            defaultValue = "0",
            description = "--gates: added to every gate's initial keep-logit bias (default: ${DEFAULT-VALUE}, the"
                    + " paper's open gates; try -5 to see half-closed gates).")
    float keepBiasShift;

    @Override
    public Integer call() throws Exception {
        OptionChecks.positive(spec, "--batch", batch);
        if (!(tau > 0 && Float.isFinite(tau))) {
            throw OptionChecks.bad(spec, "--tau must be positive and finite, got " + tau);
        }
        OptionChecks.finite(spec, "--keep-bias-shift", keepBiasShift);
        if (gates) {
            return gateDemo(System.out);
        }
        InputFiles.outputDirectory(spec, "--out", out);
        PrintStream o = System.out;
        o.println("LAUDNet demo: static vs latency-aware dynamic network on Fashion-MNIST (CPU)");
        Path dir = ensureFashionMnist(LaudnetHome.current());
        ExperimentConfig c = ExperimentConfig.demo(dir, out);
        o.printf(Locale.ROOT, "Plan: train the static net %d epochs on %d images, fine-tune %s LAUD variants"
                + " (t = 0.5) %d epochs each, evaluate on %d test images, measure latency.%n", c.staticEpochs(),
                c.trainImages(), String.join(" and ", c.modes().stream().map(m -> m.name().toLowerCase()).toList()),
                c.fineTuneEpochs(), c.testImages());
        FashionMnistExperiment.Result r = new FashionMnistExperiment(c, o::println).run();
        o.println();
        o.println("Summary (eval mode; latency = median through the inference engine, ratio vs the static network"
                + " measured interleaved with it, whose median follows \"of\"):");
        o.print(ResultsReport.table(r));
        o.println();
        for (ModelResult d : r.dynamic()) {
            o.printf(Locale.ROOT, "%s computes %.0f%% of the static MACs and runs in %.2fx (batch 1) / %.2fx"
                            + " (batch 64) of the static latency, at %+.2f points top-1.%n", d.name(),
                    100 * d.macsRatio(), d.latencyRatio1(), d.latencyRatio64(),
                    100 * (d.top1() - r.staticModel().top1()));
        }
        o.println();
        if (r.masks() != null) {
            o.println("mask picture (pixels each stage computed): " + r.masks().toAbsolutePath());
        }
        o.println("accuracy/latency plot:                     " + r.plot().toAbsolutePath());
        o.println("report:                                    " + r.report().toAbsolutePath());
        o.printf(Locale.ROOT, "total %.0f s on %s, %d threads%n", r.totalSeconds(), r.machine(), r.threads());
        return 0;
    }

    private int gateDemo(PrintStream out) {
        out.printf("LAUDNet gate demo: ResNet-50 layer1 bottleneck (Cin 256, width 64, 56x56), batch %d, seed %d%n",
                batch, seed);
        List<DemoRow> rows = new GateDemo(batch, seed, tau, keepBiasShift).run();
        out.println();
        out.printf("%-14s %-6s %7s %7s %7s %7s %12s %14s %7s%n",
                "mode", "phase", "d1", "d2", "d3", "dc", "dense MACs", "dynamic MACs", "ratio");
        for (DemoRow r : rows) {
            out.printf("%-14s %-6s %7.3f %7.3f %7.3f %7.3f %12s %14s %7.3f%n",
                    r.label(), r.phase(), r.d1(), r.d2(), r.d3(), r.dc(),
                    mega(r.denseMacs()), mega(r.dynamicMacs()), r.dynamicMacs() / r.denseMacs());
        }
        out.println();
        out.println("d1/d2/d3: fraction of conv1/conv2/conv3 outputs computed; dc: fraction of channel groups kept.");
        out.println("Dynamic MACs include the maskers; training uses hard Gumbel-softmax, eval the keep >= skip rule.");
        return 0;
    }

    private static String mega(double macs) {
        return String.format("%.1fM", macs / 1e6);
    }

    /**
     * Returns the Fashion-MNIST directory of the asset cache in a LAUDNet home, running
     * {@code scripts/fetch-assets fashion-mnist} first if a file is missing (the script is looked up next to the
     * installed jar and in the working directory, and is given the home as {@code LAUDNET_HOME}, so that it fills the
     * directory this process reads).
     *
     * @param home the LAUDNet home
     * @return the directory holding the four IDX files
     * @throws EnvironmentException if the data is missing and cannot be fetched (the message says how to fetch it)
     * @throws IOException if the home is not writable (the message names it and its setting), or the fetch script
     *     cannot be started
     * @throws InterruptedException if interrupted while fetching
     */
    static Path ensureFashionMnist(LaudnetHome home) throws IOException, InterruptedException {
        Path dir = AssetCache.in(home).fashionMnistDir();
        if (hasFashionMnist(dir)) {
            return dir;
        }
        Path script = findFetchScript();
        String how = "run 'scripts/fetch-assets fashion-mnist' (it needs apt-get access to Debian's"
                + " dataset-fashion-mnist package), or put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,"
                + " t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz into " + dir;
        if (script == null) {
            throw new EnvironmentException("Fashion-MNIST is missing from " + dir + ": " + how);
        }
        home.requireWritable();
        System.out.println("Fashion-MNIST not found in " + dir + "; fetching it with " + script + " ...");
        List<String> cmd = new ArrayList<>(List.of(script.toString(), "fashion-mnist"));
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().put(LaudnetHome.ENV, home.directory().toString());
        int code = pb.start().waitFor();
        if (code != 0 || !hasFashionMnist(dir)) {
            throw new EnvironmentException("fetching Fashion-MNIST failed (exit " + code + "): " + how);
        }
        return dir;
    }

    private static boolean hasFashionMnist(Path dir) {
        for (String f : List.of(IdxDataset.TRAIN_IMAGES, IdxDataset.TRAIN_LABELS, IdxDataset.TEST_IMAGES,
                IdxDataset.TEST_LABELS)) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                return false;
            }
        }
        return true;
    }

    private static Path findFetchScript() {
        List<Path> candidates = new ArrayList<>();
        try {
            Path jar = Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path p = jar.toAbsolutePath();
            for (int i = 0; i < 4 && p != null; i++) {
                candidates.add(p.resolve("scripts/fetch-assets"));
                p = p.getParent();
            }
        } catch (java.net.URISyntaxException | RuntimeException e) {
            // fall back to the working directory
        }
        candidates.add(Path.of("scripts/fetch-assets").toAbsolutePath());
        for (Path c : candidates) {
            if (Files.isExecutable(c)) {
                return c;
            }
        }
        return null;
    }
}
