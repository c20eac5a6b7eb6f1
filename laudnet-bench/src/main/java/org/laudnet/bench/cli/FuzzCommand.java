package org.laudnet.bench.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.laudnet.bench.fuzz.FuzzFormat;
import org.laudnet.bench.fuzz.FuzzListener;
import org.laudnet.bench.fuzz.FuzzReport;
import org.laudnet.bench.fuzz.FuzzSettings;
import org.laudnet.bench.fuzz.Fuzzer;
import org.laudnet.bench.fuzz.MutationKind;
import org.laudnet.bench.fuzz.OutcomeCounts;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code laudnet fuzz}: damages valid files of each format the library reads (truncation, bit flips, absurd lengths,
 * wrong magic and versions, edited headers and tensors, NaN weights, empty files, directories, escaping paths,
 * dimension bombs) and checks that every reader either returns a valid object or refuses the input with its
 * {@code LaudInputException}. Prints a progress line per mutation kind, a table and refusal examples, optionally writes
 * a markdown report, and exits 1 if any case failed (2 for usage errors).
 */
@Command(
        name = "fuzz",
        mixinStandardHelpOptions = true,
        description = "Fuzzes the file readers: N cases per mutation kind of each format; exit 1 on any failure.")
public final class FuzzCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--format", required = true, description = "laud, plan, safetensors, tfjs, checkpoint, idx, "
            + "image, profile, pth or all.")
    String format;

    @Option(names = "--cases", defaultValue = "20", description = "Cases per mutation kind and format (default 20).")
    int cases;

    @Option(names = "--seed", defaultValue = "1", description = "Base seed of the random choices (default 1).")
    long seed;

    @Option(names = "--out", description = "Write a markdown report to this file.")
    Path out;

    @Option(names = "--timeout", defaultValue = "60", description = "Seconds one case may take (default 60).")
    int timeoutSeconds;

    @Option(names = "--kinds", split = ",", description = "Only these mutation kinds (e.g. bit-flip,length-field).")
    List<String> kinds;

    @Option(names = "--keep-failures", description = "Keep the files of failed cases in this directory.")
    Path keep;

    /** Runs the fuzzer. */
    @Override
    public Integer call() throws Exception {
        PrintStream con = System.out;
        OptionChecks.positive(spec, "--cases", cases);
        OptionChecks.positive(spec, "--timeout", timeoutSeconds);
        if (out != null) {
            InputFiles.outputFile(spec, "--out", out);
        }
        List<FuzzFormat> formats;
        FuzzSettings settings;
        try {
            formats = format.trim().equalsIgnoreCase("all") ? FuzzFormat.readableFormats()
                    : List.of(FuzzFormat.of(format));
            settings = new FuzzSettings(cases, seed, Duration.ofSeconds(timeoutSeconds), kinds(), keep,
                    keep != null);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        con.printf("fuzzing %s: %d cases per mutation kind, seed %d, %d s timeout per case%n",
                formats.stream().map(FuzzFormat::id).toList(), cases, seed, timeoutSeconds);
        long t0 = System.nanoTime();
        FuzzReport report = Fuzzer.run(formats, settings, commandLine(), new FuzzListener() {
            @Override
            public void kindDone(FuzzFormat f, MutationKind k, OutcomeCounts c) {
                con.printf(Locale.ROOT, "%-12s %-18s %5d cases: %5d accepted %5d refused %5d failures  (%.0f s)%n",
                        f.id(), k.id(), c.total(), c.accepted(), c.refused(), c.failures(),
                        (System.nanoTime() - t0) / 1e9);
                con.flush();
            }
        });
        con.println();
        con.print(report.table());
        con.println();
        con.print(report.details());
        if (out != null) {
            report.writeMarkdown(out);
            con.println("wrote " + out);
        }
        OutcomeCounts t = report.total();
        con.printf("%d cases: %d accepted, %d refused, %d failures%n", t.total(), t.accepted(), t.refused(),
                t.failures());
        return report.hasFailures() ? 1 : 0;
    }

    private Set<MutationKind> kinds() {
        Set<MutationKind> set = EnumSet.noneOf(MutationKind.class);
        if (kinds != null) {
            for (String k : kinds) {
                set.add(java.util.Arrays.stream(MutationKind.values()).filter(m -> m.id().equalsIgnoreCase(k.trim()))
                        .findFirst().orElseThrow(() -> new IllegalArgumentException("--kinds must name kinds of "
                                + java.util.Arrays.stream(MutationKind.values()).map(MutationKind::id).toList()
                                + ", got '" + k + "'")));
            }
        }
        return set;
    }

    /** The command as a user would type it, for the report. */
    private String commandLine() {
        StringBuilder s = new StringBuilder("scripts/laudnet fuzz --format ").append(format).append(" --cases ")
                .append(cases).append(" --seed ").append(seed);
        if (timeoutSeconds != 60) {
            s.append(" --timeout ").append(timeoutSeconds);
        }
        if (kinds != null && !kinds.isEmpty()) {
            s.append(" --kinds ").append(String.join(",", kinds));
        }
        if (out != null) {
            s.append(" --out ").append(out);
        }
        return s.toString();
    }
}
