package org.laudnet.bench.latency;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.latency.cpu.CpuLatencyProfile;
import org.laudnet.core.latency.cpu.CpuTerm;
import org.laudnet.core.latency.cpu.LinearTerm;
import org.laudnet.core.latency.cpu.TimingProtocol;

/**
 * The reports of a {@link LatencyValidation}: markdown (summary, how to read it, the model and its fitted terms, every
 * configuration) and JSON (the same figures, the environment, the whole profile and the rows).
 *
 * <p>Immutable and thread-safe.
 *
 * @param rows the measured rows, non-empty
 * @param profile the profile the model used
 * @param profileFile where it was read from
 * @param environment measurement environment lines (machine, backend, threads, date, load)
 * @param protocol the timing protocol of the measurement
 */
public record ValidationReport(List<LatencyValidation.Row> rows, CpuLatencyProfile profile, Path profileFile,
        Map<String, String> environment, TimingProtocol protocol) {

    /** Validates and copies. */
    public ValidationReport {
        if (rows == null || rows.isEmpty() || profile == null || profileFile == null || environment == null
                || protocol == null) {
            throw new IllegalArgumentException("rows must be non-empty and the other fields non-null");
        }
        rows = List.copyOf(rows);
        environment = new LinkedHashMap<>(environment);
    }

    private static final String HOW_TO_READ = """
            ## How to read this report

            Each configuration is one gated block (shape, gate mode, granularity `S`, channel groups `G`, batch,
            realised densities) that the calibration grid does not contain. *measured ms* is the median latency of
            an executor with `PathPolicy.AUTO` on the profile's backend, maskers evaluated, under exact seeded masks;
            *predicted ms* is the model's masker plus the fastest path it predicts the executor may take. *error* is
            `(predicted - measured) / measured`: negative where the model predicts too little.

            - *predicted path* is the model's fastest path, *executor path* the path the executor took most often
              (`DENSE` is the masked dense fallback when gates are partly open). Where they differ, the executor's
              own calibration ranked the paths differently from the profile; *taken-path ms* is the model's
              prediction of the path the executor actually took, and *taken-path error* its error. A small
              taken-path error next to a large error means the costs are right and the choice differs (the executor
              took a slower path than the model's fastest, or the model's fastest is wrong); a large taken-path error
              means the path's cost term itself is off.
            - *bias* is the mean signed error: a bias near the MAPE means the whole profile is off by a factor (the
              machine ran faster or slower during calibration than during validation, or the timing conditions
              differ: threads, `OMP_WAIT_POLICY`, other load), not individual terms.
            - The tables by mode, batch and executor path show where the error sits.
            - Timings of calibration and validation follow one protocol (`TimingProtocol`): every timed call runs
              right after an untimed call of the same configuration on the same executor, the configurations of one
              executor in rounds, the median taken. A call's time depends on what ran before it (a call after
              another engine or executor runs measurably slower), so the protocol gives every configuration the same
              predecessor.
            - A profile describes one backend (`djl-cpu`, `onednn`, ...: the paths, schedules and primitives differ);
              the command refuses a profile of another backend than the one it measures.
            """;

    private static final String MODEL_TEXT = """
            ## The model

            `CpuLatencyModel` predicts a gated block as *masker + the fastest of the paths the executor may take on
            the profile's backend* (the dense fallback always among them; the spatial schedules are those of the
            backend: DJL WINDOWS, M1, ROWS; oneDNN HALO, WINDOWS, ROWS; the union channel path at batch sizes above
            1), each path a linear cost `t = a + sum_k b_k f_k` fitted by non-negative least squares on relative
            error to forced-path timings (`scripts/laudnet calibrate`), then rescaled so that the geometric mean of
            timing over prediction is 1 (the relative squared error alone predicts noisy timings too low by about
            twice their squared relative spread). The paths were timed with the block's maskers
            evaluated, as an inference call runs them, and fitted to that time less the masker terms' prediction, so
            that masker plus path reproduces the call. The features are computed from the query alone (block shape,
            mode, S, G, densities, batch), assuming uniformly random masks with exactly the query's densities:

            - `macs1x1`, `macs3x3`: MACs of the 1x1 convolutions/GEMMs and of the 3x3 convolutions that the path
              executes (spatial: conv2/conv3 on the `n = B * n_p` active `S x S` patches, conv1 dense once per
              channel pattern, on the expected dilated mask `E|M1|` (M1, ROWS) or on every window position
              `n K^2` (HALO); channel: width scaled by `dc`; layer: open samples only; the downsample always on the
              whole batch);
            - `moved`: gathered plus scattered elements (receptive windows `n K^2 w'`, conv1's input rows for M1,
              ROWS and HALO, patch outputs `n S^2 Cout`; open samples' input and output for layer gating);
            - `mapElements`: `B (Cin Hin Win + Cout Ho Wo)` (layout changes, identity, add, ReLU);
            - `patches`: `n`; `patterns`: expected distinct channel patterns `P (1 - (1 - 1/P)^B)`, `P = C(G, dc G)`.

            `weights`: weight elements read (per channel pattern) plus the downsample's. The dense fallback with
            partly open masks (`MASKED_DENSE`) has its own term; the unmasked static block is `DENSE`.

            Maskers: `a + b * B Cin Hin Win` (spatial/layer and channel separately), fitted on absolute error to the
            difference of an all-closed call with and without the maskers. Dense convolution `a + b * MACs`, pooling
            `a + b * input elements` (stem and head of a network), timed on the backend's primitives. The breakdown
            assigns each convolution its MACs times the path's coefficient, the gathered share of `moved` plus the
            per-patch and per-pattern costs to `gather`, and the scattered share, the map term and the intercept to
            `scatter`.

            Fitted terms of the profile used:
            """;

    /**
     * Writes the markdown report.
     *
     * @param file the target
     * @throws IOException if writing fails
     */
    public void writeMarkdown(Path file) throws IOException {
        double mape = LatencyValidation.mape(rows);
        double rho = LatencyValidation.spearman(rows);
        StringBuilder sb = new StringBuilder("# CPU latency predictor: validation\n\n");
        sb.append(String.format(Locale.ROOT, "**%d configurations not used for calibration, backend %s: MAPE %.1f%%,"
                + " Spearman rank correlation %.3f, bias %+.1f%%.**%n%n", rows.size(), profile.machine().backend(),
                100 * mape, rho, 100 * LatencyValidation.bias(rows)));
        sb.append(String.format(Locale.ROOT, "Goals: MAPE <= %.0f%% (%s), Spearman >= %.2f (%s).%n%n",
                100 * LatencyValidation.MAPE_GOAL, mape <= LatencyValidation.MAPE_GOAL ? "met" : "not met",
                LatencyValidation.SPEARMAN_GOAL, rho >= LatencyValidation.SPEARMAN_GOAL ? "met" : "not met"));
        for (Map.Entry<String, String> e : environment.entrySet()) {
            sb.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        CpuLatencyProfile.Machine m = profile.machine();
        sb.append("- profile: ").append(profileFile).append(" (calibrated ").append(m.date()).append(", ")
                .append(m.mode()).append(" grid, backend ").append(m.backend()).append(" (")
                .append(m.backendDescription()).append("), ").append(m.threads()).append(" threads, OMP_WAIT_POLICY ")
                .append(m.ompWaitPolicy()).append(", ").append(m.cpu()).append(")\n");
        sb.append(String.format(Locale.ROOT, "- measured: executor with PathPolicy.AUTO on the profile's backend,"
                + " maskers included, exact seeded masks; TimingProtocol: %d warm-up rounds, then rounds over the"
                + " configurations of one executor, each timed call right after an untimed call of the same"
                + " configuration; median of at least %d timed runs (up to %dx for configurations faster than"
                + " %.0f ms / runs)%n", Math.max(1, protocol.warmupRounds()), protocol.runs(),
                TimingProtocol.MAX_RUN_FACTOR, protocol.budgetMs()));
        int passes = rows.stream().mapToInt(r -> r.passMs().size()).max().orElse(1);
        if (passes > 1) {
            double spread = LatencyValidation.meanPassSpread(rows);
            sb.append(String.format(Locale.ROOT, "- passes: %d over all configurations, minutes apart, each with fresh"
                    + " executors; measured ms is the mean of the passes' medians. The passes' medians of one"
                    + " configuration differ by %.1f%% of their mean on average (max - min): the run-to-run noise of"
                    + " this machine, a floor under any model's MAPE against a single pass%n", passes, 100 * spread));
        }
        sb.append("- predicted: CpuLatencyModel.dynamicLatencyMs of the realised densities (masker + fastest path)\n");
        sb.append("- granularity: S (spatial), map side (layer), 1 (channel); G: channel groups\n\n");
        sb.append("Timing conditions: the load averages above include other processes sharing the cores; a profile"
                + " holds only for the backend, thread count and OMP_WAIT_POLICY it was measured with.\n\n");
        sb.append(HOW_TO_READ).append('\n');
        sb.append("## Where the error is\n\n");
        sb.append("| group | configs | MAPE | bias | Spearman | taken-path MAPE |\n|---|---|---|---|---|---|\n");
        Map<GateMode, List<LatencyValidation.Row>> byMode = group(rows, LatencyValidation.Row::mode,
                new EnumMap<>(GateMode.class));
        for (Map.Entry<GateMode, List<LatencyValidation.Row>> e : byMode.entrySet()) {
            summaryRow(sb, "mode " + e.getKey(), e.getValue());
        }
        for (int batch : new int[] {1, 8}) {
            List<LatencyValidation.Row> rs = rows.stream().filter(r -> r.batch() == batch).toList();
            if (!rs.isEmpty()) {
                summaryRow(sb, "batch " + batch, rs);
            }
        }
        for (Map.Entry<String, List<LatencyValidation.Row>> e
                : group(rows, LatencyValidation.Row::measuredPath, new TreeMap<>()).entrySet()) {
            summaryRow(sb, "executor path " + e.getKey(), e.getValue());
        }
        summaryRow(sb, "path agrees", rows.stream().filter(LatencyValidation.Row::pathAgrees).toList());
        summaryRow(sb, "path differs", rows.stream().filter(r -> !r.pathAgrees()).toList());
        long agree = rows.stream().filter(LatencyValidation.Row::pathAgrees).count();
        sb.append(String.format(Locale.ROOT,
                "%nPredicted path equals the executor's choice in %d of %d configurations.%n%n", agree, rows.size()));
        sb.append(MODEL_TEXT);
        sb.append("\n| term | features | intercept ms | coefficients (ms per unit) | samples | fit RMS err |\n"
                + "|---|---|---|---|---|---|\n");
        for (CpuTerm t : CpuTerm.values()) {
            if (!profile.has(t)) {
                continue;
            }
            LinearTerm lt = profile.term(t);
            StringBuilder cs = new StringBuilder();
            for (String f : lt.features()) {
                cs.append(cs.length() == 0 ? "" : ", ").append(f).append(' ')
                        .append(String.format(Locale.ROOT, "%.3g", lt.coefficient(f)));
            }
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %s | %d | %.1f%% |%n", t,
                    String.join(", ", lt.features()), lt.intercept(), cs, lt.samples(), 100 * lt.rmsRelativeError()));
        }
        sb.append("\nFit RMS err: relative to each timing; for the masker terms (absolute fit) relative to their mean"
                + " timing.\n");
        sb.append("\n## Configurations\n\n");
        sb.append("| block | mode | S | G | batch | density | dc | predicted ms | measured ms | error |"
                + " predicted path | executor path | taken-path ms | taken-path error | passes ms |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (LatencyValidation.Row r : rows) {
            StringBuilder ps = new StringBuilder();
            for (double v : r.passMs()) {
                ps.append(ps.length() == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%.3f", v));
            }
            sb.append(String.format(Locale.ROOT,
                    "| %s | %s | %d | %d | %d | %.3f | %.3f | %.3f | %.3f | %+.1f%% | %s | %s | %.3f | %+.1f%%"
                            + " | %s |%n",
                    r.block(), r.mode(), r.granularity(), r.groups(), r.batch(), r.density(), r.channelDensity(),
                    r.predictedMs(), r.measuredMs(), 100 * r.signedRelativeError(), r.predictedPath(),
                    r.measuredPath(), r.takenPathPredictedMs(),
                    100 * (r.takenPathPredictedMs() - r.measuredMs()) / r.measuredMs(), ps));
        }
        write(file, sb.toString());
    }

    private static <K> Map<K, List<LatencyValidation.Row>> group(List<LatencyValidation.Row> rows,
            Function<LatencyValidation.Row, K> key, Map<K, List<LatencyValidation.Row>> into) {
        for (LatencyValidation.Row r : rows) {
            into.computeIfAbsent(key.apply(r), k -> new ArrayList<>()).add(r);
        }
        return into;
    }

    private static void summaryRow(StringBuilder sb, String name, List<LatencyValidation.Row> rs) {
        if (rs.isEmpty()) {
            return;
        }
        double taken = rs.stream().mapToDouble(LatencyValidation.Row::takenPathAbsoluteRelativeError)
                .filter(Double::isFinite).average().orElse(Double.NaN);
        sb.append(String.format(Locale.ROOT, "| %s | %d | %.1f%% | %+.1f%% | %s | %s |%n", name, rs.size(),
                100 * LatencyValidation.mape(rs), 100 * LatencyValidation.bias(rs),
                rs.size() >= 3 ? String.format(Locale.ROOT, "%.3f", LatencyValidation.spearman(rs)) : "-",
                Double.isNaN(taken) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * taken)));
    }

    /**
     * Writes the JSON report: summary, environment, the timing protocol, the profile used (machine and fitted terms)
     * and the rows.
     *
     * @param file the target
     * @throws IOException if writing fails
     */
    public void writeJson(Path file) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("configurations", rows.size());
        doc.put("backend", profile.machine().backend());
        doc.put("mape", LatencyValidation.mape(rows));
        doc.put("spearman", LatencyValidation.spearman(rows));
        doc.put("bias", LatencyValidation.bias(rows));
        doc.put("pathAgreement", rows.stream().filter(LatencyValidation.Row::pathAgrees).count());
        doc.put("environment", environment);
        doc.put("protocol", protocol);
        doc.put("profile", profile);
        doc.put("rows", rows);
        write(file, new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(doc)
                + "\n");
    }

    private static void write(Path file, String text) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
