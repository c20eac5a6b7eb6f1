package org.laudnet.bench.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.laudnet.bench.network.BackendComparison;
import org.laudnet.core.exec.BackendProvider;
import org.laudnet.core.exec.Backends;
import org.laudnet.core.exec.PathPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bench backends}: ResNet-50, static and LAUD variants at an imposed density, through several CPU backends side
 * by side in one process ({@link BackendComparison}); prints the markdown table and writes it to {@code --markdown}.
 */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "ResNet-50 (static and LAUD variants) through CPU backends side by side, e.g. onednn vs djl-cpu.")
public final class BackendsCommand implements Callable<Integer> {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Option(names = "--backends", split = ",", defaultValue = "djl-cpu,onednn",
            description = "Backend ids, the first is the baseline (default: ${DEFAULT-VALUE}).")
    private List<String> backends;

    @Option(names = "--variants", split = ",", defaultValue = "static,layer,channel,spatial",
            description = "Variants among static, layer, channel (G=4), spatial (S=4-4-2-1) (default: ${DEFAULT-VALUE}).")
    private List<String> variants;

    @Option(names = "--batches", split = ",", defaultValue = "1,8",
            description = "Batch sizes (default: ${DEFAULT-VALUE}).")
    private int[] batches;

    @Option(names = "--size", defaultValue = "224", description = "Input side (default: ${DEFAULT-VALUE}).")
    private int size;

    @Option(names = "--density", defaultValue = "0.5",
            description = "Imposed density of the gated variants (default: ${DEFAULT-VALUE}).")
    private double density;

    @Option(names = "--policy", defaultValue = "AUTO",
            description = "Path policy of the gated variants: AUTO (calibrated, dense where faster) or SPARSE "
                    + "(default: ${DEFAULT-VALUE}).")
    private PathPolicy policy;

    @Option(names = "--runs", defaultValue = "30", description = "Timed calls per backend (default: ${DEFAULT-VALUE}).")
    private int runs;

    @Option(names = "--warmup", defaultValue = "2",
            description = "Warm-up rounds, each of three calls per backend (default: ${DEFAULT-VALUE}).")
    private int warmup;

    @Option(names = "--markdown", defaultValue = "docs/results/network-cpu-backends.md",
            description = "Markdown output file (default: ${DEFAULT-VALUE}).")
    private Path markdown;

    @Option(names = "--note", defaultValue = "", description = "Text placed under the markdown title.")
    private String note;

    /** Checks the options, runs the comparison, prints and writes the table. */
    @Override
    public Integer call() throws Exception {
        OptionChecks.positive(spec, "--runs", runs);
        OptionChecks.nonNegative(spec, "--warmup", warmup);
        for (int b : batches) {
            OptionChecks.positive(spec, "--batches", b);
        }
        OptionChecks.fraction(spec, "--density", density);
        if (size <= 0 || size % 32 != 0) {
            throw OptionChecks.bad(spec, "--size must be a positive multiple of 32, got " + size);
        }
        for (String v : variants) {
            if (!BackendComparison.VARIANTS.contains(v)) {
                throw OptionChecks.bad(spec, "--variants must be among " + BackendComparison.VARIANTS + ", got '" + v
                        + "'");
            }
        }
        if (policy != PathPolicy.AUTO && policy != PathPolicy.SPARSE) {
            throw OptionChecks.bad(spec, "--policy must be AUTO or SPARSE, got " + policy);
        }
        List<String> known = knownBackends();
        for (String b : backends) {
            if (!known.contains(b.toLowerCase(Locale.ROOT))) {
                throw OptionChecks.bad(spec, "--backends must be among " + known + ", got '" + b + "'");
            }
        }
        InputFiles.outputFile(spec, "--markdown", markdown);
        BackendComparison c = new BackendComparison(new BackendComparison.Config(backends, variants, batches, size,
                density, runs, warmup, policy));
        List<BackendComparison.Row> rows = c.run();
        spec.commandLine().getOut().print(c.markdown(rows, note));
        spec.commandLine().getOut().flush();
        c.writeMarkdown(rows, note, markdown);
        return 0;
    }

    private static List<String> knownBackends() {
        List<String> ids = new java.util.ArrayList<>(Arrays.asList("djl-cpu", "java"));
        for (BackendProvider p : Backends.providers()) {
            if (p.deviceKind() == org.laudnet.core.exec.DeviceKind.CPU) {
                ids.add(p.id());
            }
        }
        return ids;
    }
}
