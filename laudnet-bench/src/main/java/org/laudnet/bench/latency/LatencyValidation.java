package org.laudnet.bench.latency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
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
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.BlockExecutor;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.ExecutionResult;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.latency.BlockLatencyQuery;
import org.laudnet.core.latency.cpu.CpuCalibrator;
import org.laudnet.core.latency.cpu.CpuLatencyModel;
import org.laudnet.core.latency.cpu.CpuLatencyProfile;
import org.laudnet.core.latency.cpu.CpuTerm;
import org.laudnet.core.latency.cpu.LinearTerm;

/**
 * Validates a {@link CpuLatencyModel} against measured block latency on configurations that the calibration grid
 * does not contain: ResNet-50 identity bottlenecks of the four stages and one basic block, spatial granularities and
 * channel groups off the calibration grid (S = 8, 14; G = 16; spatial-and-channel with G = 8) or densities off it
 * (0.3, 0.5, 0.8), batch 1 and 8. A candidate whose realised query equals a calibration query is dropped.
 *
 * <p>Measured: the executor with {@link PathPolicy#AUTO} (its own path calibration done before timing), maskers
 * included, densities imposed by exact seeded masks, the configurations of one executor and batch timed
 * round-robin (interleaved), median of at least {@code runs} (up to {@code 3 runs} for configurations faster than
 * {@code TIMED_BUDGET_MS / runs}) after {@code warmup}. Predicted: {@link
 * CpuLatencyModel#dynamicLatencyMs} of the realised query. Summary: mean absolute percentage error {@code MAPE =
 * mean |p - m| / m} and the Spearman rank correlation of predicted and measured latency (average ranks for ties).
 */
public final class LatencyValidation {

    /** Target total of the timed runs of one configuration, in ms (fast configurations get more runs). */
    public static final double TIMED_BUDGET_MS = 150;

    /** Validation densities, off the calibration grid. */
    public static final double[] DENSITIES = {0.3, 0.5, 0.8};

    /**
     * One validation configuration.
     *
     * @param geometry the block
     * @param spec the gate spec
     * @param batch batch size
     * @param density the nominal density
     */
    public record Point(BlockGeometry geometry, GateSpec spec, int batch, double density) {
        /** Returns the realised query. */
        public BlockLatencyQuery query() {
            return CpuCalibrator.query(geometry, spec, batch, density);
        }
    }

    /**
     * One measured configuration.
     *
     * @param block a short block label
     * @param mode gate mode
     * @param granularity spatial S (the map side for LAYER, 1 for CHANNEL)
     * @param groups channel groups G (1 without a channel gate)
     * @param batch batch size
     * @param density realised spatial or layer density (1 for CHANNEL)
     * @param channelDensity realised channel density (1 without a channel gate)
     * @param predictedMs the model's prediction
     * @param measuredMs the median measured latency
     * @param predictedPath the path the model predicts
     * @param measuredPath the path the executor took most often
     */
    public record Row(String block, GateMode mode, int granularity, int groups, int batch, double density,
            double channelDensity, double predictedMs, double measuredMs, String predictedPath, String measuredPath) {
        /** Returns {@code |predicted - measured| / measured}. */
        public double absoluteRelativeError() {
            return Math.abs(predictedMs - measuredMs) / measuredMs;
        }
    }

    private static final String MODEL_TEXT = """
            ## The model

            `CpuLatencyModel` predicts a gated block as *masker + the fastest of the paths the executor may take*
            (the dense fallback always among them), each path a linear cost `t = a + sum_k b_k f_k` fitted by
            non-negative least squares on relative error to forced-path timings (`scripts/laudnet calibrate`).
            The features are computed from the query alone (block shape, mode, S, G, densities, batch), assuming
            uniformly random masks with exactly the query's densities:

            - `macs1x1`, `macs3x3`: MACs of the 1x1 convolutions/GEMMs and of the 3x3 convolutions that the path
              executes (spatial: conv2/conv3 on the `n = B * n_p` active `S x S` patches, conv1 dense once per
              channel pattern or on the expected dilated mask `E|M1|`; channel: width scaled by `dc`; layer:
              open samples only; the downsample always on the whole batch);
            - `moved`: gathered plus scattered elements (receptive windows `n K^2 w'` and patch outputs
              `n S^2 Cout`; open samples' input and output for layer gating);
            - `mapElements`: `B (Cin Hin Win + Cout Ho Wo)` (layout changes, identity, add, ReLU);
            - `patches`: `n`; `patterns`: expected distinct channel patterns `P (1 - (1 - 1/P)^B)`, `P = C(G, dc G)`.

            `weights`: weight elements read (per channel pattern) plus the downsample's. The dense fallback with
            partly open masks (`MASKED_DENSE`) has its own term: on this executor it runs markedly slower than the
            unmasked static block (`DENSE`).

            Maskers: `a + b * B Cin Hin Win` (spatial/layer and channel separately). Dense convolution `a + b *
            MACs`, pooling `a + b * input elements` (stem and head of a network). The breakdown assigns each
            convolution its MACs times the path's coefficient, the gathered share of `moved` plus the per-patch and
            per-pattern costs to `gather`, and the scattered share, the map term and the intercept to `scatter`.

            Fitted terms of the profile used:
            """;

    private final int runs;
    private final int warmup;
    private final long seed;
    private final Consumer<String> progress;

    /**
     * Creates a validation run.
     *
     * @param runs timed runs per configuration
     * @param warmup untimed runs per configuration
     * @param seed seed of weights, inputs and masks
     * @param progress receives one line per executor
     */
    public LatencyValidation(int runs, int warmup, long seed, Consumer<String> progress) {
        if (runs <= 0 || warmup < 0) {
            throw new IllegalArgumentException("runs must be positive and warmup non-negative, got " + runs + ", "
                    + warmup);
        }
        this.runs = runs;
        this.warmup = warmup;
        this.seed = seed;
        this.progress = progress;
    }

    /**
     * Returns the validation configurations minus those whose realised query coincides with a calibration query of
     * the full grid.
     *
     * @return the points, grouped by block and spec
     */
    public static List<Point> points() {
        Set<BlockLatencyQuery> calibration =
                new CpuCalibrator(CpuCalibrator.Settings.defaults(false), s -> { }).calibrationQueries();
        List<BlockGeometry> blocks = List.of(
                BlockGeometry.bottleneck(256, 64, 56, 1),
                BlockGeometry.bottleneck(512, 128, 28, 1),
                BlockGeometry.bottleneck(1024, 256, 14, 1),
                BlockGeometry.bottleneck(2048, 512, 7, 1),
                BlockGeometry.basic(256, 256, 14, 1));
        List<Point> out = new ArrayList<>();
        for (BlockGeometry g : blocks) {
            int ho = g.outHeight();
            List<Integer> grans = new ArrayList<>();
            for (int s : new int[] {8, 14}) {
                if (ho % s == 0 && s < ho) {
                    grans.add(s);
                }
            }
            if (grans.isEmpty()) {
                grans.add(ho % 2 == 0 ? 2 : 1);
            }
            List<GateSpec> specs = new ArrayList<>();
            for (int s : grans) {
                specs.add(GateSpec.spatial(s));
            }
            specs.add(GateSpec.layer());
            specs.add(GateSpec.channel(16));
            specs.add(GateSpec.both(grans.get(0), 8));
            for (GateSpec spec : specs) {
                for (int batch : new int[] {1, 8}) {
                    if (spec.mode() == GateMode.LAYER && batch == 1) {
                        continue;
                    }
                    for (double d : spec.mode() == GateMode.BOTH ? new double[] {0.5} : DENSITIES) {
                        Point p = new Point(g, spec, batch, d);
                        if (!calibration.contains(p.query())) {
                            out.add(p);
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * Measures every point and predicts it.
     *
     * @param model the model under test
     * @param points the configurations
     * @return one row per point
     */
    public List<Row> run(CpuLatencyModel model, List<Point> points) {
        Map<String, List<Point>> groups = new LinkedHashMap<>();
        for (Point p : points) {
            groups.computeIfAbsent(p.geometry() + "|" + p.spec() + "|" + p.batch(), k -> new ArrayList<>()).add(p);
        }
        List<Row> rows = new ArrayList<>();
        Random r = new Random(seed);
        try (NDManager manager = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(manager, false);
            for (List<Point> group : groups.values()) {
                Point first = group.get(0);
                BlockGeometry g = first.geometry();
                GatedResidualBlock block = GatedResidualBlock.builder().setGeometry(g).optGateSpec(first.spec())
                        .optSeed(seed).build();
                block.initialize(manager, DataType.FLOAT32, new Shape(1, g.inChannels(), g.inHeight(), g.inWidth()));
                try (BlockExecutor ex = BlockExecutor.builder().setBlock(block).setManager(manager)
                        .optParameterStore(ps).build();
                        NDManager sub = manager.newSubManager()) {
                    int batch = first.batch();
                    ex.calibrate(batch);
                    NDArray x = sub.randomNormal(new Shape(batch, g.inChannels(), g.inHeight(), g.inWidth()));
                    List<NDArray[]> masks = new ArrayList<>();
                    for (Point p : group) {
                        masks.add(masks(sub, p, r));
                    }
                    List<Map<ExecutionPath, Integer>> paths = new ArrayList<>();
                    for (int i = 0; i < group.size(); i++) {
                        paths.add(new EnumMap<>(ExecutionPath.class));
                    }
                    double slowest = 0;
                    for (int rep = 0; rep < Math.max(1, warmup); rep++) {
                        for (int i = 0; i < group.size(); i++) {
                            slowest = Math.max(slowest, runOnce(ex, x, masks.get(i), null));
                        }
                    }
                    int n = (int) Math.max(runs, Math.min(3L * runs, Math.round(TIMED_BUDGET_MS / slowest)));
                    double[][] t = new double[group.size()][n];
                    for (int rep = 0; rep < n; rep++) {
                        for (int i = 0; i < group.size(); i++) {
                            t[i][rep] = runOnce(ex, x, masks.get(i), paths.get(i));
                        }
                    }
                    for (int i = 0; i < group.size(); i++) {
                        Point p = group.get(i);
                        BlockLatencyQuery q = p.query();
                        ExecutionPath taken = paths.get(i).entrySet().stream().max(Map.Entry.comparingByValue())
                                .orElseThrow().getKey();
                        rows.add(new Row(label(g), q.mode(),
                                q.mode() == GateMode.LAYER ? g.outHeight() : q.spatialGranularity(),
                                q.channelGroups(), batch, q.mode() == GateMode.CHANNEL ? 1 : q.density(),
                                q.channelDensity(), model.dynamicLatencyMs(q), CpuCalibrator.median(t[i]),
                                model.predictedPath(q).executionPath(), taken.name()));
                    }
                }
                progress.accept(String.format(Locale.ROOT, "%s %s batch %d: %d configurations", label(g),
                        first.spec().mode(), first.batch(), group.size()));
            }
        }
        return rows;
    }

    /** One timed AUTO call with the gates evaluated; counts the path taken when {@code paths} is given. */
    private static double runOnce(BlockExecutor ex, NDArray x, NDArray[] masks, Map<ExecutionPath, Integer> paths) {
        long a = System.nanoTime();
        ExecutionResult res = ex.runWithMasks(x, masks[0], masks[1], PathPolicy.AUTO, true);
        res.output().toFloatArray();
        long b = System.nanoTime();
        res.output().close();
        if (paths != null) {
            paths.merge(res.report().path(), 1, Integer::sum);
        }
        return (b - a) / 1e6;
    }

    private static NDArray[] masks(NDManager sub, Point p, Random r) {
        GateSpec spec = p.spec();
        GateMode mode = spec.mode();
        BlockGeometry g = p.geometry();
        int batch = p.batch();
        NDArray sm = null;
        NDArray cm = null;
        if (mode.hasSpatialGate()) {
            int m = spec.maskSize(g.outHeight());
            sm = sub.create(CpuCalibrator.exactMask(batch, m * m, p.density(), mode == GateMode.LAYER, r),
                    new Shape(batch, 1, m, m));
        }
        if (mode.hasChannelGate()) {
            cm = sub.create(CpuCalibrator.exactMask(batch, spec.channelGroups(), p.density(), false, r),
                    new Shape(batch, spec.channelGroups()));
        }
        return new NDArray[] {sm, cm};
    }

    private static String label(BlockGeometry g) {
        return String.format(Locale.ROOT, "%s %d-%d-%d @%d", g.type() == BlockType.BASIC ? "basic" : "bottleneck",
                g.inChannels(), g.width(), g.outChannels(), g.inHeight());
    }

    /**
     * Returns the mean absolute percentage error.
     *
     * @param rows the rows, non-empty
     * @return {@code mean |p - m| / m} (a fraction, not percent)
     */
    public static double mape(List<Row> rows) {
        if (rows == null || rows.isEmpty()) {
            throw new IllegalArgumentException("rows must not be empty");
        }
        return rows.stream().mapToDouble(Row::absoluteRelativeError).average().orElseThrow();
    }

    /**
     * Returns the Spearman rank correlation of two samples: the Pearson correlation of their ranks, ties given the
     * average of their ranks.
     *
     * @param a first sample
     * @param b second sample, same length, at least 2
     * @return rho in {@code [-1, 1]}
     */
    public static double spearman(double[] a, double[] b) {
        if (a == null || b == null || a.length != b.length || a.length < 2) {
            throw new IllegalArgumentException("a and b must have equal length >= 2");
        }
        double[] ra = ranks(a);
        double[] rb = ranks(b);
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += ra[i];
            mb += rb[i];
        }
        ma /= a.length;
        mb /= a.length;
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < a.length; i++) {
            sab += (ra[i] - ma) * (rb[i] - mb);
            saa += (ra[i] - ma) * (ra[i] - ma);
            sbb += (rb[i] - mb) * (rb[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }

    private static double[] ranks(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (x, y) -> Double.compare(v[x], v[y]));
        double[] r = new double[v.length];
        int i = 0;
        while (i < v.length) {
            int j = i;
            while (j + 1 < v.length && v[idx[j + 1]] == v[idx[i]]) {
                j++;
            }
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                r[idx[k]] = avg;
            }
            i = j + 1;
        }
        return r;
    }

    /**
     * Returns the Spearman correlation of predicted against measured latency.
     *
     * @param rows the rows
     * @return rho
     */
    public static double spearman(List<Row> rows) {
        return spearman(rows.stream().mapToDouble(Row::predictedMs).toArray(),
                rows.stream().mapToDouble(Row::measuredMs).toArray());
    }

    /**
     * Writes the markdown report.
     *
     * @param rows the rows
     * @param profile the profile used
     * @param profileFile where it was read from
     * @param environment measurement environment lines (machine, threads, date, load)
     * @param file the target
     * @throws IOException if writing fails
     */
    public void writeMarkdown(List<Row> rows, CpuLatencyProfile profile, Path profileFile,
            Map<String, String> environment, Path file) throws IOException {
        StringBuilder sb = new StringBuilder("# CPU latency predictor: validation\n\n");
        sb.append(String.format(Locale.ROOT,
                "**%d configurations not used for calibration: MAPE %.1f%%, Spearman rank correlation %.3f.**%n%n",
                rows.size(), 100 * mape(rows), spearman(rows)));
        sb.append(String.format(Locale.ROOT, "Goals: MAPE <= 15%% (%s), Spearman >= 0.9 (%s).%n%n",
                mape(rows) <= 0.15 ? "met" : "not met", spearman(rows) >= 0.9 ? "met" : "not met"));
        for (Map.Entry<String, String> e : environment.entrySet()) {
            sb.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        CpuLatencyProfile.Machine m = profile.machine();
        sb.append("- profile: ").append(profileFile).append(" (calibrated ").append(m.date()).append(", ")
                .append(m.mode()).append(" grid, ").append(m.threads()).append(" threads, ").append(m.cpu())
                .append(")\n");
        sb.append("- measured: executor with PathPolicy.AUTO, maskers included, exact seeded masks, median of at"
                + " least ")
                .append(runs).append(" runs after ").append(warmup)
                .append(" warm-up runs (up to 3x the runs for fast configurations), the configurations of one"
                        + " executor and batch interleaved\n");
        sb.append("- predicted: CpuLatencyModel.dynamicLatencyMs of the realised densities (masker + fastest path)\n");
        sb.append("- granularity: S (spatial), map side (layer), 1 (channel); G: channel groups\n\n");
        sb.append("Timing conditions: the load averages above include other processes sharing the cores; a profile"
                + " holds only for the thread count and OMP_WAIT_POLICY it was measured with (with more runnable"
                + " threads than cores, OpenMP spin-waiting (the default) makes 2-thread latencies vary several-fold;"
                + " PASSIVE avoids that).\n\n");
        Map<GateMode, List<Row>> byMode = new EnumMap<>(GateMode.class);
        for (Row r : rows) {
            byMode.computeIfAbsent(r.mode(), k -> new ArrayList<>()).add(r);
        }
        sb.append("| mode | configs | MAPE | Spearman |\n|---|---|---|---|\n");
        for (Map.Entry<GateMode, List<Row>> e : byMode.entrySet()) {
            List<Row> rs = e.getValue();
            sb.append(String.format(Locale.ROOT, "| %s | %d | %.1f%% | %s |%n", e.getKey(), rs.size(),
                    100 * mape(rs), rs.size() >= 3 ? String.format(Locale.ROOT, "%.3f", spearman(rs)) : "-"));
        }
        for (int batch : new int[] {1, 8}) {
            List<Row> rs = rows.stream().filter(r -> r.batch() == batch).toList();
            if (rs.size() >= 3) {
                sb.append(String.format(Locale.ROOT, "| batch %d | %d | %.1f%% | %.3f |%n", batch, rs.size(),
                        100 * mape(rs), spearman(rs)));
            }
        }
        long agree = rows.stream().filter(r -> r.predictedPath().equals(r.measuredPath())).count();
        sb.append(String.format(Locale.ROOT,
                "%nPredicted path equals the executor's choice in %d of %d configurations.%n%n", agree, rows.size()));
        sb.append(MODEL_TEXT);
        sb.append("\n| term | features | intercept ms | coefficients (ms per unit) | samples | fit RMS rel. err |\n"
                + "|---|---|---|---|---|---|\n");
        for (CpuTerm t : CpuTerm.values()) {
            LinearTerm lt = profile.term(t);
            StringBuilder cs = new StringBuilder();
            for (String f : lt.features()) {
                cs.append(cs.length() == 0 ? "" : ", ").append(f).append(' ')
                        .append(String.format(Locale.ROOT, "%.3g", lt.coefficient(f)));
            }
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %s | %d | %.1f%% |%n", t,
                    String.join(", ", lt.features()), lt.intercept(), cs, lt.samples(), 100 * lt.rmsRelativeError()));
        }
        sb.append("\n## Configurations\n\n");
        sb.append("| block | mode | S | G | batch | density | dc | predicted ms | measured ms | error |"
                + " predicted path | executor path |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT,
                    "| %s | %s | %d | %d | %d | %.3f | %.3f | %.3f | %.3f | %+.1f%% | %s | %s |%n",
                    r.block(), r.mode(), r.granularity(), r.groups(), r.batch(), r.density(), r.channelDensity(),
                    r.predictedMs(), r.measuredMs(), 100 * (r.predictedMs() - r.measuredMs()) / r.measuredMs(),
                    r.predictedPath(), r.measuredPath()));
        }
        write(file, sb.toString());
    }

    /**
     * Writes the JSON report: summary, environment, the profile used (machine and fitted terms) and rows.
     *
     * @param rows the rows
     * @param profile the profile used
     * @param environment measurement environment
     * @param file the target
     * @throws IOException if writing fails
     */
    public void writeJson(List<Row> rows, CpuLatencyProfile profile, Map<String, String> environment, Path file)
            throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("configurations", rows.size());
        doc.put("mape", mape(rows));
        doc.put("spearman", spearman(rows));
        doc.put("environment", environment);
        doc.put("profile", profile);
        doc.put("runs", runs);
        doc.put("warmup", warmup);
        doc.put("rows", rows);
        write(file, new GsonBuilder().setPrettyPrinting().create().toJson(doc) + "\n");
    }

    private static void write(Path file, String text) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
