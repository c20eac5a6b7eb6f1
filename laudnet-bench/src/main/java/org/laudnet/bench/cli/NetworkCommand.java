package org.laudnet.bench.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.laudnet.bench.blocks.BlockBenchmark;
import org.laudnet.bench.network.NetworkArch;
import org.laudnet.bench.network.NetworkBenchmark;
import org.laudnet.bench.network.NetworkMode;
import org.laudnet.bench.network.NetworkReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench network}: whole-network CPU latency of a gated network at imposed densities against the static network
 * through the executors, its plain DJL forward and optionally an ONNX Runtime peer ({@link NetworkBenchmark}); writes
 * markdown, JSON and a PNG plot.
 */
@Command(name = "network", mixinStandardHelpOptions = true,
        description = "Whole-network latency of gated ResNet/RegNetY networks vs the static network on this CPU.")
public final class NetworkCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--arch", defaultValue = "resnet50",
            description = "resnet50, resnet101 or regnety-800mf (default: ${DEFAULT-VALUE}).")
    private String arch;

    @Option(names = "--batches", split = ",", defaultValue = "1,8",
            description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    private int[] batches;

    @Option(names = "--densities", split = ",", defaultValue = "0.25,0.5,0.75,1.0",
            description = "Imposed per-block densities (default: ${DEFAULT-VALUE}).")
    private double[] densities;

    @Option(names = "--modes", split = ",", defaultValue = "layer,channel,spatial,both",
            description = "Gate modes (default: ${DEFAULT-VALUE}).")
    private List<String> modes;

    @Option(names = "--runs", defaultValue = "10",
            description = "Timed calls per engine and row, medians (default: ${DEFAULT-VALUE}).")
    private int runs;

    @Option(names = "--warmup", defaultValue = "1",
            description = "Warm-up rounds per row, each of three calls per engine (default: ${DEFAULT-VALUE}).")
    private int warmup;

    @Option(names = "--profile-density", defaultValue = "0.5",
            description = "Density of the batch-1 per-phase profile (default: ${DEFAULT-VALUE}).")
    private double profileDensity;

    @Option(names = "--no-profile", description = "Skip the per-phase profile.")
    private boolean noProfile;

    @Option(names = "--backend", defaultValue = "djl-cpu",
            description = "Engine backend id (default: ${DEFAULT-VALUE}; others: java, or a provider's id).")
    private String backend;

    @Option(names = "--peer-onnx", paramLabel = "FILE",
            description = "ONNX file of the same static network: adds ONNX Runtime as a peer (scripts/export-onnx).")
    private Path peerOnnx;

    @Option(names = "--out", defaultValue = "docs/results/network-cpu.md",
            description = "Markdown report (default: ${DEFAULT-VALUE}); the plot goes beside it as .png.")
    private Path out;

    @Option(names = "--json", description = "JSON output file (default: the markdown file with .json).")
    private Path json;

    @Option(names = "--note", defaultValue = "", description = "Text placed under the markdown title.")
    private String note;

    /** Runs the benchmark and writes the reports. */
    @Override
    public Integer call() throws Exception {
        NetworkArch a;
        try {
            a = NetworkArch.parse(arch);
        } catch (IllegalArgumentException e) {
            throw OptionChecks.bad(spec, e.getMessage());
        }
        List<NetworkMode> ms = new ArrayList<>();
        for (String m : modes) {
            try {
                ms.add(NetworkMode.parse(m));
            } catch (IllegalArgumentException e) {
                throw OptionChecks.bad(spec, e.getMessage());
            }
        }
        OptionChecks.positive(spec, "--runs", runs);
        OptionChecks.nonNegative(spec, "--warmup", warmup);
        for (int b : batches) {
            OptionChecks.positive(spec, "--batches", b);
            if (b > 256) {
                throw OptionChecks.bad(spec, "--batches must be at most 256, got " + b);
            }
        }
        for (double d : densities) {
            OptionChecks.fraction(spec, "--densities", d);
        }
        OptionChecks.fraction(spec, "--profile-density", profileDensity);
        if (peerOnnx != null) {
            InputFiles.file("--peer-onnx", peerOnnx);
        }
        Path jsonFile = json != null ? json : Path.of(out.toString().replaceAll("\\.md$", "") + ".json");
        Path png = Path.of(out.toString().replaceAll("\\.md$", "") + ".png");
        InputFiles.outputFile(spec, "--out", out);
        InputFiles.outputFile(spec, "--json", jsonFile);
        NetworkBenchmark.Config config = new NetworkBenchmark.Config(a, batches, densities, ms, runs, warmup, 42L,
                backend, peerOnnx, noProfile ? Double.NaN : profileDensity);
        PrintStream o = System.out;
        NetworkBenchmark.Result r;
        try {
            r = new NetworkBenchmark(config).run(o::println);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("no backend with id")) {
                throw OptionChecks.bad(spec, "--backend: " + e.getMessage());
            }
            throw e;
        }
        Map<String, String> env = new LinkedHashMap<>();
        env.put("machine", NativeMemoryCommand.machine());
        env.put("threads", Integer.toString(BlockBenchmark.threads()));
        env.put("jvm", BlockBenchmark.jvm());
        env.put("djl", "0.36.0, PyTorch 2.7.1");
        env.put("backend", backend);
        env.put("date", java.time.Instant.now().toString());
        String command = "scripts/laudnet bench network --arch " + a.id() + " --batches "
                + join(batches) + " --densities " + join(densities) + " --modes " + String.join(",", modes)
                + " --runs " + runs + " --warmup " + warmup + " --backend " + backend
                + (peerOnnx != null ? " --peer-onnx " + peerOnnx.getFileName() : "");
        NetworkReport.writeJson(r, config, env, jsonFile);
        NetworkReport.writePlot(r, a.id() + ": latency ratio vs MACs ratio (" + BlockBenchmark.threads()
                + " threads)", png);
        NetworkReport.writeMarkdown(r, config, env, command, note, png.getFileName().toString(), out);
        o.println("report: " + out + ", " + jsonFile + ", " + png);
        return 0;
    }

    private static String join(int[] v) {
        StringBuilder sb = new StringBuilder();
        for (int x : v) {
            sb.append(sb.length() == 0 ? "" : ",").append(x);
        }
        return sb.toString();
    }

    private static String join(double[] v) {
        StringBuilder sb = new StringBuilder();
        for (double x : v) {
            sb.append(sb.length() == 0 ? "" : ",").append(x);
        }
        return sb.toString();
    }
}
