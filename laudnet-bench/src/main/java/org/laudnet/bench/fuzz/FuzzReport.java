package org.laudnet.bench.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The results of a fuzz run over one or more formats, rendered as a console table or a markdown report (formats x
 * mutation kinds x outcomes, refusal examples, failures, the command and the machine). Immutable and thread-safe.
 *
 * @param formats one report per format, in run order
 * @param settings how the run was done
 * @param command the command line that ran it, for the report
 * @param machine where it ran ({@link #describeMachine()})
 * @param finished when it finished
 */
public record FuzzReport(List<FormatReport> formats, FuzzSettings settings, String command, String machine,
        Instant finished) {

    /** Failures listed in the markdown report per format and mutation kind (all are counted). */
    public static final int FAILURES_PER_KIND = 5;

    /** Copies the list. */
    public FuzzReport {
        formats = List.copyOf(formats);
    }

    /**
     * Returns the outcome counts of every format and kind together.
     *
     * @return the sum
     */
    public OutcomeCounts total() {
        return formats.stream().map(FormatReport::total).reduce(OutcomeCounts.ZERO, OutcomeCounts::plus);
    }

    /**
     * Returns whether any case failed.
     *
     * @return true if there is at least one failure
     */
    public boolean hasFailures() {
        return total().failures() > 0;
    }

    /**
     * Renders the counts as a fixed-width table: one row per format and kind, with a total row per format.
     *
     * @return the table, lines separated by {@code \n}
     */
    public String table() {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%-12s %-18s %8s %8s %8s %8s%n", "format",
                "mutation", "cases", "accepted", "refused", "failure"));
        for (FormatReport f : formats) {
            for (Map.Entry<MutationKind, OutcomeCounts> e : f.counts().entrySet()) {
                OutcomeCounts c = e.getValue();
                s.append(String.format(Locale.ROOT, "%-12s %-18s %8d %8d %8d %8d%n", f.format().id(),
                        e.getKey().id(), c.total(), c.accepted(), c.refused(), c.failures()));
            }
            OutcomeCounts t = f.total();
            s.append(String.format(Locale.ROOT, "%-12s %-18s %8d %8d %8d %8d%n", f.format().id(), "(all)",
                    t.total(), t.accepted(), t.refused(), t.failures()));
        }
        return s.toString().replace(System.lineSeparator(), "\n");
    }

    /**
     * Renders the refusal examples (up to {@value FormatReport#EXAMPLES_PER_KIND} per format and kind) and the
     * failures (up to {@value #FAILURES_PER_KIND} per format and kind, then their count), for the console.
     *
     * @return the text
     */
    public String details() {
        StringBuilder s = new StringBuilder();
        for (FormatReport f : formats) {
            s.append("refusal examples, ").append(f.format().id()).append(":\n");
            for (MutationKind k : f.counts().keySet()) {
                for (String e : f.examples(k)) {
                    s.append("  ").append(k.id()).append(": ").append(oneLine(e, 220)).append('\n');
                }
            }
        }
        for (FormatReport f : formats) {
            for (MutationKind k : f.counts().keySet()) {
                List<CaseResult> of = f.failures().stream().filter(r -> r.kind() == k).toList();
                for (CaseResult r : of.subList(0, Math.min(FAILURES_PER_KIND, of.size()))) {
                    s.append("FAILURE ").append(f.format().id()).append(' ').append(r.kind().id()).append(" #")
                            .append(r.index()).append(" (").append(oneLine(r.description(), 200)).append("): ")
                            .append(oneLine(r.detail(), 400)).append('\n');
                }
                if (of.size() > FAILURES_PER_KIND) {
                    s.append("FAILURE ").append(f.format().id()).append(' ').append(k.id()).append(": ")
                            .append(of.size() - FAILURES_PER_KIND).append(" more\n");
                }
            }
        }
        return s.toString();
    }

    /**
     * Renders the markdown report: summary, command, machine and settings, the outcome table, the formats with their
     * seeds and times, the mutation kinds, refusal examples and the failures (at most {@value #FAILURES_PER_KIND} per
     * format and kind).
     *
     * @return the report
     */
    public String markdown() {
        StringBuilder s = new StringBuilder("# Fuzzing the file readers\n\n");
        OutcomeCounts t = total();
        s.append(String.format(Locale.ROOT, "%d cases over %d formats: %d accepted, %d refused, %d failures.%n%n",
                t.total(), formats.size(), t.accepted(), t.refused(), t.failures()));
        s.append("- Command: `").append(command).append("`\n");
        s.append("- Machine: ").append(machine).append('\n');
        s.append("- Finished: ").append(finished.truncatedTo(ChronoUnit.SECONDS)).append('\n');
        s.append(String.format(Locale.ROOT, "- Settings: %d cases per mutation kind, seed %d, %d s timeout per case"
                + "%n%n", settings.casesPerKind(), settings.seed(), settings.timeout().toSeconds()));
        s.append("Outcomes: **accepted** (the reader returned an object that passes the format's checks: a network"
                + " with every parameter initialised, float32 and finite whose forward pass gives one logit per class;"
                + " a plan that runs on the reference backend; finite TF.js weights and profile terms; an image within"
                + " the pixel cap), **refused** (the format's `LaudInputException` subclass, with a message naming the"
                + " input's path), **failure** (any other exception or error, a timeout, an allocation beyond the"
                + " input's budget, a defective object, accepted input that must be refused, or a file written next"
                + " to the input). Seeds are generated from small networks and tensors; checksums are recomputed"
                + " where a mutation should reach the code behind them.\n\n");
        s.append("## Outcomes\n\n| format | mutation | cases | accepted | refused | failure |\n"
                + "|---|---|---:|---:|---:|---:|\n");
        for (FormatReport f : formats) {
            for (Map.Entry<MutationKind, OutcomeCounts> e : f.counts().entrySet()) {
                OutcomeCounts c = e.getValue();
                s.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %d |%n", f.format().id(),
                        e.getKey().id(), c.total(), c.accepted(), c.refused(), c.failures()));
            }
            OutcomeCounts c = f.total();
            s.append(String.format(Locale.ROOT, "| **%s** | (all) | **%d** | **%d** | **%d** | **%d** |%n",
                    f.format().id(), c.total(), c.accepted(), c.refused(), c.failures()));
        }
        s.append("\n## Formats\n\n| format | read by | seeds | time |\n|---|---|---|---:|\n");
        for (FormatReport f : formats) {
            s.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n", f.format().id(),
                    f.format().description(), String.join("; ", f.seeds()), seconds(f.elapsed())));
        }
        s.append("\n## Mutation kinds\n\n");
        for (MutationKind k : MutationKind.values()) {
            s.append("- `").append(k.id()).append("`: ").append(k.description()).append('\n');
        }
        s.append("\n## Refusal examples\n\n");
        for (FormatReport f : formats) {
            s.append("### ").append(f.format().id()).append("\n\n");
            for (MutationKind k : f.counts().keySet()) {
                for (String e : f.examples(k)) {
                    s.append("- ").append(k.id()).append(": `").append(oneLine(e, 300).replace("`", "'"))
                            .append("`\n");
                }
            }
            s.append('\n');
        }
        s.append("## Failures\n\n");
        if (!hasFailures()) {
            s.append("None.\n");
        } else {
            s.append("At most ").append(FAILURES_PER_KIND).append(" per format and mutation kind.\n\n");
        }
        for (FormatReport f : formats) {
            for (MutationKind k : f.counts().keySet()) {
                List<CaseResult> of = f.failures().stream().filter(r -> r.kind() == k).toList();
                for (CaseResult r : of.subList(0, Math.min(FAILURES_PER_KIND, of.size()))) {
                    s.append("- ").append(f.format().id()).append(' ').append(r.kind().id()).append(" #")
                            .append(r.index()).append(" (").append(oneLine(r.description(), 200).replace("`", "'"))
                            .append("): `").append(oneLine(r.detail(), 400).replace("`", "'")).append("`\n");
                }
                if (of.size() > FAILURES_PER_KIND) {
                    s.append("- ").append(f.format().id()).append(' ').append(k.id()).append(": ")
                            .append(of.size() - FAILURES_PER_KIND).append(" more\n");
                }
            }
        }
        return s.toString();
    }

    /**
     * Writes the markdown report, creating parent directories.
     *
     * @param file the report file
     * @throws IOException if writing fails
     */
    public void writeMarkdown(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, markdown());
    }

    /**
     * Describes the running machine: CPU model, available cores, the JVM, its heap limit and the operating system.
     *
     * @return e.g. {@code "Intel(R) Xeon(R) ..., 2 cores, OpenJDK 17.0.15, max heap 4096 MiB, Linux 6.1 (amd64)"}
     */
    public static String describeMachine() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc/cpuinfo: keep "unknown CPU"
        }
        Runtime rt = Runtime.getRuntime();
        return String.format(Locale.ROOT, "%s, %d cores, %s %s, max heap %d MiB, %s %s (%s)", cpu,
                rt.availableProcessors(), System.getProperty("java.vm.name"), System.getProperty("java.version"),
                rt.maxMemory() >> 20, System.getProperty("os.name"), System.getProperty("os.version"),
                System.getProperty("os.arch"));
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    /**
     * Collapses whitespace runs (messages can span lines), writes control characters and unpaired surrogates (which a
     * mutated input can put into a message) as Java escapes ({@code \\u} and four hexadecimal digits), and abbreviates.
     */
    static String oneLine(String s, int max) {
        String o = s == null ? "" : s.replaceAll("\\s+", " ").trim();
        StringBuilder b = new StringBuilder(o.length());
        for (int i = 0; i < o.length(); i++) {
            char c = o.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < o.length()
                    && Character.isLowSurrogate(o.charAt(i + 1));
            if (pair) {
                b.append(c).append(o.charAt(++i));
            } else if (Character.isSurrogate(c) || Character.isISOControl(c)) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (b.length() <= max) {
            return b.toString();
        }
        int cut = max - 3;
        if (Character.isHighSurrogate(b.charAt(cut - 1))) {
            cut--;
        }
        return b.substring(0, cut) + "...";
    }
}
