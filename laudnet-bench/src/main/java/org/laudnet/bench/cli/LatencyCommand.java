package org.laudnet.bench.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import ai.djl.ndarray.NDManager;
import org.laudnet.bench.latency.LatencyValidation;
import org.laudnet.bench.latency.ValidationReport;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.core.latency.cpu.CpuBackends;
import org.laudnet.core.latency.cpu.CpuCalibrator;
import org.laudnet.core.latency.cpu.CpuLatencyModel;
import org.laudnet.core.latency.cpu.CpuLatencyProfile;
import org.laudnet.onednn.OneDnn;
import org.laudnet.onednn.OneDnnBackend;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code laudnet latency}: the CPU latency predictor ({@code latency validate}). */
@Command(name = "latency", mixinStandardHelpOptions = true, description = "CPU latency predictor tools.",
        subcommands = {LatencyCommand.Validate.class})
public final class LatencyCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** Prints the usage: {@code latency} needs a subcommand. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Reads the CPU profile or fails with a message naming the file (and, where it is missing, the calibrate command).
     *
     * @param file the profile file (an option's value), or null for the default location
     * @return the profile
     * @throws EnvironmentException when no file is given and the default location has no profile (the message names
     *     the calibrate command)
     * @throws LaudInputException when the given file is missing, unreadable or a directory, or (a
     *     {@link org.laudnet.core.latency.cpu.ProfileFormatException}) not a valid profile
     * @throws IOException when reading the file fails otherwise
     */
    static CpuLatencyProfile loadProfile(Path file) throws IOException {
        Path f = file != null ? file : CpuLatencyProfile.defaultLocation();
        if (file != null) {
            InputFiles.file("--profile", file);
        } else if (!Files.exists(f)) {
            throw new EnvironmentException("no CPU latency profile at " + f
                    + "; create it with 'scripts/laudnet calibrate' (or give one with --profile)");
        } else {
            InputFiles.file("CPU latency profile", f);
        }
        CpuLatencyProfile p = CpuLatencyProfile.read(f);
        CpuLatencyProfile.Machine then = p.machine();
        String cpu = CpuCalibrator.cpuModel();
        int threads = configuredThreads(then.backend());
        String omp = System.getenv("OMP_WAIT_POLICY");
        omp = omp == null || omp.isBlank() ? "unset" : omp;
        if (threads != then.threads() || !omp.equals(then.ompWaitPolicy()) || !cpu.equals(then.cpu())) {
            System.err.printf("laudnet: warning: the profile %s was measured on %s with %d threads of backend %s"
                    + " (OMP_WAIT_POLICY %s); this process runs on %s with %d threads (OMP_WAIT_POLICY %s):"
                    + " predictions may not apply%n", f, then.cpu(), then.threads(), then.backend(),
                    then.ompWaitPolicy(), cpu, threads, omp);
        }
        return p;
    }

    /**
     * Returns the intra-op threads this process configures for a backend: oneDNN's default per executor
     * ({@link OneDnn#defaultThreads}), else PyTorch's ({@code ai.djl.pytorch.num_threads}, else the cores).
     */
    private static int configuredThreads(String backend) {
        int cores = Runtime.getRuntime().availableProcessors();
        try {
            if (OneDnnBackend.ID.equals(backend)) {
                return OneDnn.defaultThreads(1);
            }
            String t = System.getProperty("ai.djl.pytorch.num_threads");
            return t == null || t.isBlank() ? cores : Integer.parseInt(t.trim());
        } catch (RuntimeException e) {
            return cores;
        }
    }

    /** {@code latency validate}: predicted against measured block latency off the calibration grid. */
    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Measures gated blocks off the calibration grid on the profile's backend and compares them"
                    + " with the CPU profile's predictions (MAPE, Spearman); writes markdown and JSON.")
    public static final class Validate implements Callable<Integer> {

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--profile", description = "Profile file (default: the calibrate command's default).")
        private Path profile;

        @Option(names = "--json", description = "JSON output (default: the markdown file with .json).")
        private Path json;

        @Option(names = "--markdown", defaultValue = "docs/results/latency-predictor.md",
                description = "Markdown output (default: ${DEFAULT-VALUE}).")
        private Path markdown;

        @Option(names = "--runs", defaultValue = "9", description = "Timed runs (default: ${DEFAULT-VALUE}).")
        private int runs;

        @Option(names = "--passes", defaultValue = "2",
                description = "Passes over all configurations, each with fresh executors; the report gives the mean of"
                        + " the passes' medians and how far they differ (default: ${DEFAULT-VALUE}).")
        private int passes;

        @Option(names = "--warmup", defaultValue = "3",
                description = "Warm-up rounds per executor (default: ${DEFAULT-VALUE}).")
        private int warmup;

        @Option(names = "--backend", defaultValue = CpuBackends.FASTEST,
                description = "CPU backend to measure: fastest (what an AUTO executor runs on the CPU), djl-cpu,"
                        + " onednn, java (default: ${DEFAULT-VALUE}). It must be the backend the profile was"
                        + " calibrated on.")
        private String backend;

        @Option(names = "--quick", description = "A reduced set of configurations (to check that the command works;"
                + " its figures are not the validation's).")
        private boolean quick;

        /** Runs the validation and writes the reports. */
        @Override
        public Integer call() throws Exception {
            PrintStream con = System.out;
            OptionChecks.positive(spec, "--runs", runs);
            OptionChecks.positive(spec, "--passes", passes);
            OptionChecks.nonNegative(spec, "--warmup", warmup);
            if (profile != null) {
                InputFiles.file("--profile", profile);
            }
            Path jsonFile = json != null ? json : Path.of(markdown.toString().replaceAll("\\.md$", "") + ".json");
            InputFiles.outputFile(spec, "--markdown", markdown);
            InputFiles.outputFile(spec, "--json", jsonFile);
            checkBackendOption(spec, backend);
            CpuLatencyProfile p = loadProfile(profile);
            Path profileFile = profile != null ? profile : CpuLatencyProfile.defaultLocation();
            CpuLatencyProfile.Machine m;
            try (NDManager manager = NDManager.newBaseManager(); Backend<?> b = backendOption(spec, backend, manager)) {
                // a profile of another backend describes other paths and primitives: refused before measuring
                p.requireBackend(b.id(), profileFile.toString());
                m = CpuCalibrator.machine("validation", b.id(), b.description(), b.intraOpThreads());
            }
            CpuLatencyModel model = new CpuLatencyModel(p);
            List<LatencyValidation.Point> points = LatencyValidation.points(quick);
            con.printf("validating %s on %d configurations%s, %d pass%s%n", model.name(), points.size(),
                    quick ? " (quick set)" : "", passes, passes == 1 ? "" : "es");
            Map<String, String> env = new LinkedHashMap<>();
            env.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
            env.put("cpu", m.cpu() + ", " + m.cores() + " cores");
            env.put("backend", m.backend() + " (" + m.backendDescription() + ")");
            env.put("intra-op threads", Integer.toString(m.threads()));
            env.put("OMP_WAIT_POLICY", m.ompWaitPolicy());
            env.put("jvm", m.jvm());
            env.put("engine", "DJL " + m.djl() + ", " + m.engine());
            env.put("configuration set", quick ? "quick (a reduced set: not the validation's figures)" : "full");
            env.put("load average at start", loadAverage());
            String name = backend;
            LatencyValidation v = new LatencyValidation(runs, warmup, 42L, mgr -> CpuBackends.create(name, mgr),
                    line -> {
                        con.println(line);
                        con.flush();
                    });
            List<LatencyValidation.Row> rows = v.run(model, points, passes);
            env.put("load average at end", loadAverage());
            ValidationReport report = new ValidationReport(rows, p, profileFile, env, v.protocol());
            report.writeMarkdown(markdown);
            report.writeJson(jsonFile);
            con.printf(Locale.ROOT, "%d configurations: MAPE %.1f%%, Spearman %.3f, passes differ by %.1f%%; wrote %s"
                    + " and %s%n", rows.size(), 100 * LatencyValidation.mape(rows), LatencyValidation.spearman(rows),
                    100 * LatencyValidation.meanPassSpread(rows), markdown, jsonFile);
            return 0;
        }
    }

    /**
     * Checks the name a {@code --backend} option gives, without creating the backend.
     *
     * @throws CommandLine.ParameterException for an unknown name or a GPU backend (a usage error)
     */
    static void checkBackendOption(CommandLine.Model.CommandSpec spec, String name) {
        try {
            CpuBackends.check(name);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--backend: " + e.getMessage());
        }
    }

    /**
     * Creates the backend a {@code --backend} option names.
     *
     * @throws CommandLine.ParameterException for an unknown name or a GPU backend (a usage error)
     * @throws EnvironmentException when the backend cannot run here
     */
    static Backend<?> backendOption(CommandLine.Model.CommandSpec spec, String name, NDManager manager) {
        try {
            return CpuBackends.create(name, manager);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--backend: " + e.getMessage());
        } catch (IllegalStateException e) {
            throw new EnvironmentException("--backend " + name + ": " + e.getMessage());
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2] + " (1, 5, 15 min)";
        } catch (java.io.IOException | RuntimeException e) {
            return "unavailable";
        }
    }
}
