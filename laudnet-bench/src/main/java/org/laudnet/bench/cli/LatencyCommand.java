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
import org.laudnet.bench.latency.LatencyValidation;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.core.latency.cpu.CpuCalibrator;
import org.laudnet.core.latency.cpu.CpuLatencyModel;
import org.laudnet.core.latency.cpu.CpuLatencyProfile;
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
        CpuLatencyProfile.Machine now = CpuCalibrator.machine("check");
        CpuLatencyProfile.Machine then = p.machine();
        if (now.threads() != then.threads() || !now.ompWaitPolicy().equals(then.ompWaitPolicy())
                || !now.cpu().equals(then.cpu())) {
            System.err.printf("laudnet: warning: the profile %s was measured on %s with %d threads"
                    + " (OMP_WAIT_POLICY %s);"
                    + " this process runs on %s with %d threads (OMP_WAIT_POLICY %s): predictions may not apply%n",
                    f, then.cpu(), then.threads(), then.ompWaitPolicy(), now.cpu(), now.threads(), now.ompWaitPolicy());
        }
        return p;
    }

    /** {@code latency validate}: predicted against measured block latency off the calibration grid. */
    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Measures gated blocks off the calibration grid and compares them with the CPU profile's"
                    + " predictions (MAPE, Spearman); writes markdown and JSON.")
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

        @Option(names = "--warmup", defaultValue = "3", description = "Warm-up runs (default: ${DEFAULT-VALUE}).")
        private int warmup;

        /** Runs the validation and writes the reports. */
        @Override
        public Integer call() throws Exception {
            PrintStream con = System.out;
            OptionChecks.positive(spec, "--runs", runs);
            OptionChecks.nonNegative(spec, "--warmup", warmup);
            if (profile != null) {
                InputFiles.file("--profile", profile);
            }
            Path jsonFile = json != null ? json : Path.of(markdown.toString().replaceAll("\\.md$", "") + ".json");
            InputFiles.outputFile(spec, "--markdown", markdown);
            InputFiles.outputFile(spec, "--json", jsonFile);
            CpuLatencyProfile p = loadProfile(profile);
            Path profileFile = profile != null ? profile : CpuLatencyProfile.defaultLocation();
            CpuLatencyModel model = new CpuLatencyModel(p);
            List<LatencyValidation.Point> points = LatencyValidation.points();
            con.printf("validating %s on %d configurations%n", model.name(), points.size());
            Map<String, String> env = new LinkedHashMap<>();
            CpuLatencyProfile.Machine m = CpuCalibrator.machine("validation");
            env.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
            env.put("cpu", m.cpu() + ", " + m.cores() + " cores");
            env.put("threads (ai.djl.pytorch.num_threads)", Integer.toString(m.threads()));
            env.put("OMP_WAIT_POLICY", m.ompWaitPolicy());
            env.put("jvm", m.jvm());
            env.put("engine", "DJL " + m.djl() + ", " + m.engine());
            env.put("load average at start", loadAverage());
            LatencyValidation v = new LatencyValidation(runs, warmup, 42L, line -> {
                con.println(line);
                con.flush();
            });
            List<LatencyValidation.Row> rows = v.run(model, points);
            env.put("load average at end", loadAverage());
            v.writeMarkdown(rows, p, profileFile, env, markdown);
            v.writeJson(rows, p, env, jsonFile);
            con.printf(Locale.ROOT, "%d configurations: MAPE %.1f%%, Spearman %.3f; wrote %s and %s%n", rows.size(),
                    100 * LatencyValidation.mape(rows), LatencyValidation.spearman(rows), markdown, jsonFile);
            return 0;
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
