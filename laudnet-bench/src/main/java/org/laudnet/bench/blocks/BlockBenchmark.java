package org.laudnet.bench.blocks;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.BlockExecutor;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.ExecutionReport;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.latency.cpu.TimingProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Times dense against dynamic ResNet-50 bottlenecks on this CPU (method section 4): for each stage's stride-1
 * identity block at 224x224 input, each batch size, gate mode and density, the static folded block and the gated
 * executor ({@link PathPolicy#AUTO}, maskers included) run on one engine backend (the caller's choice, e.g. the fastest
 * CPU backend) in rounds of the {@link TimingProtocol}; the medians give the latency ratio.
 *
 * <p>Not thread-safe: {@link #run} runs on the calling thread.
 *
 * <p>Densities are imposed with masks holding exactly {@code round(d * units)} active cells per sample (spatial),
 * samples (layer) or groups per sample (channel), placed by a seeded random permutation.
 */
public final class BlockBenchmark {

    private static final Logger LOG = LoggerFactory.getLogger(BlockBenchmark.class);

    /**
     * One ResNet-50 stage's identity bottleneck.
     *
     * @param stage stage number 1..4
     * @param inChannels {@code Cin = 4 w}
     * @param width {@code w}
     * @param size feature map side
     */
    public record StageShape(int stage, int inChannels, int width, int size) {}

    /** The four ResNet-50 stages at 224x224. */
    public static final List<StageShape> RESNET50_STAGES = List.of(
            new StageShape(1, 256, 64, 56),
            new StageShape(2, 512, 128, 28),
            new StageShape(3, 1024, 256, 14),
            new StageShape(4, 2048, 512, 7));

    /**
     * Benchmark settings.
     *
     * @param runs timed runs per configuration (median reported)
     * @param warmup untimed runs per configuration
     * @param batches batch sizes
     * @param densities imposed densities in (0, 1]
     * @param stages the stage shapes
     * @param seed mask and weight seed
     * @param modes the gate modes to run (of LAYER, SPATIAL, CHANNEL)
     */
    public record Config(int runs, int warmup, int[] batches, double[] densities, List<StageShape> stages, long seed,
            Set<GateMode> modes) {
        /** Validates the settings. */
        public Config {
            if (runs <= 0) {
                throw new IllegalArgumentException("runs must be positive, got " + runs);
            }
            if (warmup < 0) {
                throw new IllegalArgumentException("warmup must be non-negative, got " + warmup);
            }
            if (batches == null || batches.length == 0 || Arrays.stream(batches).anyMatch(b -> b <= 0)) {
                throw new IllegalArgumentException("batches must be positive, got " + Arrays.toString(batches));
            }
            if (densities == null || densities.length == 0
                    || Arrays.stream(densities).anyMatch(d -> !(d > 0 && d <= 1))) {
                throw new IllegalArgumentException("densities must lie in (0, 1], got " + Arrays.toString(densities));
            }
            if (modes == null || modes.isEmpty() || !BENCHED_MODES.containsAll(modes)) {
                throw new IllegalArgumentException("modes must be a non-empty subset of " + BENCHED_MODES + ", got "
                        + modes);
            }
            modes = Set.copyOf(modes);
        }

        /**
         * Settings for every benchmarked mode (LAYER, SPATIAL, CHANNEL).
         *
         * @param runs timed runs per configuration (median reported)
         * @param warmup untimed runs per configuration
         * @param batches batch sizes
         * @param densities imposed densities in (0, 1]
         * @param stages the stage shapes
         * @param seed mask and weight seed
         */
        public Config(int runs, int warmup, int[] batches, double[] densities, List<StageShape> stages, long seed) {
            this(runs, warmup, batches, densities, stages, seed, BENCHED_MODES);
        }
    }

    /** The gate modes the benchmark runs. */
    public static final Set<GateMode> BENCHED_MODES = Set.of(GateMode.LAYER, GateMode.SPATIAL, GateMode.CHANNEL);

    /**
     * One measured configuration.
     *
     * @param stage ResNet-50 stage
     * @param mode gate mode
     * @param granularity spatial S (output pixels per cell side; the map size for LAYER), channel groups G for
     *     CHANNEL
     * @param batch batch size
     * @param density imposed density
     * @param macsRatio dynamic over dense MACs of the block at that density
     * @param denseMs median time of the static block
     * @param dynamicMs median time of the gated executor (for a mixture: the weighted sum of the components'
     *     medians)
     * @param pairRatio the median over runs of {@code dynamic / dense} of each round (weighted like
     *     {@code dynamicMs} for mixtures): less sensitive to slow phases of a shared machine than the ratio of medians
     * @param threads the backend's intra-op threads ({@link Backend#intraOpThreads()}; 0 where it does not know them)
     * @param path the path the executor chose most often (for a mixture: in its heaviest component)
     * @param components 1, or 2 for a LAYER mixture of two open-sample counts
     * @param perPatternMs CHANNEL at batch above 1: median time of the executor forced onto the per-pattern path
     *     ({@link PathPolicy#CHANNEL}), in the same rounds as the others on the same masks; NaN otherwise
     * @param unionMs likewise forced onto the union path ({@link PathPolicy#CHANNEL_UNION}, its clustering by the
     *     calibrated cost model); NaN otherwise
     */
    public record Row(int stage, GateMode mode, int granularity, int batch, double density, double macsRatio,
            double denseMs, double dynamicMs, double pairRatio, int threads, ExecutionPath path, int components,
            double perPatternMs, double unionMs) {
        /** Returns {@code dynamicMs / denseMs}. */
        public double latencyRatio() {
            return dynamicMs / denseMs;
        }
    }

    private final Config config;
    private final Function<NDManager, Backend<?>> backends;
    private String backendDescription = "(not run)";

    /**
     * Creates a benchmark.
     *
     * @param config the settings
     * @param backends creates the engine backend both the static and the gated blocks run on (once per {@link #run});
     *     the benchmark closes it
     */
    public BlockBenchmark(Config config, Function<NDManager, Backend<?>> backends) {
        if (config == null || backends == null) {
            throw new IllegalArgumentException("config and backends must not be null");
        }
        this.config = config;
        this.backends = backends;
    }

    /**
     * Runs every configuration. For each, the static block, the gated executor ({@link PathPolicy#AUTO}, maskers
     * evaluated) and at CHANNEL batch above 1 the two forced channel paths are the alternatives of one {@link
     * TimingProtocol} measurement: warm-up rounds, then rounds in which each alternative runs once untimed and once
     * timed, so that no timed call follows another executor's work.
     *
     * @return the rows, in stage, batch, mode, density order
     */
    public List<Row> run() {
        List<Row> rows = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(); Backend<?> backend = backends.apply(manager)) {
            backendDescription = describe(backend);
            int threads = backend.intraOpThreads();
            ParameterStore ps = new ParameterStore(manager, false);
            for (StageShape st : config.stages()) {
                BlockGeometry g = BlockGeometry.bottleneck(st.inChannels(), st.width(), st.size(), 1);
                GatedResidualBlock staticBlock = block(manager, g, GateSpec.none());
                try (BlockExecutor dense = executor(manager, ps, backend, staticBlock)) {
                    for (GateSpec spec : configuredSpecs(st)) {
                        GatedResidualBlock gated = block(manager, g, spec);
                        try (BlockExecutor dyn = executor(manager, ps, backend, gated)) {
                            dyn.prepareChannelPatterns();
                            for (int batch : config.batches()) {
                                dyn.calibrate(batch);
                                for (double d : config.densities()) {
                                    Row r = measure(manager, st, g, spec, dense, dyn, batch, d, threads);
                                    rows.add(r);
                                    LOG.info("stage {} {} {} batch {} density {}: dense {} ms, dynamic {} ms, "
                                            + "ratio {} ({})", r.stage(), r.mode(), r.granularity(), batch, d,
                                            fmt(r.denseMs()), fmt(r.dynamicMs()), fmt(r.latencyRatio()), r.path());
                                }
                            }
                        }
                    }
                }
            }
        }
        return rows;
    }

    /**
     * Describes a backend for a report: its id, description and intra-op threads.
     *
     * @param backend the backend
     * @return e.g. {@code onednn (CPU, oneDNN 3.11.0, ...), 2 intra-op threads}
     */
    static String describe(Backend<?> backend) {
        return backend.id() + " (" + backend.description() + "), " + backend.intraOpThreads() + " intra-op threads";
    }

    static List<GateSpec> specs(StageShape st) {
        List<GateSpec> specs = new ArrayList<>();
        specs.add(GateSpec.layer());
        for (int s : new int[] {1, 2, 4}) {
            if (st.size() % s == 0 && s < st.size()) {
                specs.add(GateSpec.spatial(s));
            }
        }
        specs.add(GateSpec.channel(4));
        specs.add(GateSpec.channel(8));
        return specs;
    }

    /** The specs of {@link #specs(StageShape)} whose mode the configuration runs. */
    private List<GateSpec> configuredSpecs(StageShape st) {
        return specs(st).stream().filter(s -> config.modes().contains(s.mode())).toList();
    }

    private GatedResidualBlock block(NDManager manager, BlockGeometry g, GateSpec spec) {
        GatedResidualBlock b = GatedResidualBlock.builder().setGeometry(g).optGateSpec(spec)
                .optSeed(config.seed()).build();
        b.initialize(manager, DataType.FLOAT32, new Shape(1, g.inChannels(), g.inHeight(), g.inWidth()));
        return b;
    }

    static BlockExecutor executor(NDManager manager, ParameterStore ps, Backend<?> backend, GatedResidualBlock b) {
        return BlockExecutor.builder().setBlock(b).setManager(manager).optParameterStore(ps).optBackend(backend)
                .build();
    }

    private Row measure(NDManager manager, StageShape st, BlockGeometry g, GateSpec spec, BlockExecutor dense,
            BlockExecutor dyn, int batch, double density, int threads) {
        Random r = new Random(config.seed() * 31 + st.stage() * 1000L + batch * 10L + Math.round(density * 100));
        GateMode mode = spec.mode();
        try (NDManager sub = manager.newSubManager()) {
            // a block's input inside a network is the previous block's ReLU output
            NDArray x = sub.randomNormal(0, 1, new Shape(batch, g.inChannels(), g.inHeight(), g.inWidth()),
                    DataType.FLOAT32).maximum(0f);
            // components: (open samples, weight); a LAYER density whose expected open count d * B is fractional is
            // the exact mixture of the neighbouring counts (batch 1, d = 0.5: half the calls open, half closed)
            List<NDArray[]> masks = new ArrayList<>();
            List<Double> weights = new ArrayList<>();
            if (mode == GateMode.LAYER) {
                double e = density * batch;
                int lo = (int) Math.floor(e + 1e-9);
                int hi = (int) Math.ceil(e - 1e-9);
                for (int k = lo; k <= hi; k++) {
                    double wk = lo == hi ? 1 : (k == hi ? e - lo : hi - e);
                    float[] v = new float[batch];
                    for (int idx : permutation(batch, r, k)) {
                        v[idx] = 1;
                    }
                    masks.add(new NDArray[] {sub.create(v, new Shape(batch, 1, 1, 1)), null});
                    weights.add(wk);
                }
            } else {
                NDArray sm = null;
                NDArray cm = null;
                if (mode.hasSpatialGate()) {
                    int m = spec.maskSize(g.outHeight());
                    sm = sub.create(exactMask(batch, m * m, density, false, r), new Shape(batch, 1, m, m));
                }
                if (mode.hasChannelGate()) {
                    cm = sub.create(exactMask(batch, spec.channelGroups(), density, false, r),
                            new Shape(batch, spec.channelGroups()));
                }
                masks.add(new NDArray[] {sm, cm});
                weights.add(1.0);
            }
            int comps = masks.size();
            // the alternatives of one measurement: the static block, each mask component through AUTO, and at
            // CHANNEL batch > 1 both channel paths forced on the same masks; the input is imported once into each
            // executor and handed over to every call, as inside a network (no layout conversion, no copy of the
            // input), and restored between calls outside the timing
            double[] macs = new double[comps];
            boolean channelPaths = mode == GateMode.CHANNEL && batch > 1;
            List<TimingProtocol.Result> res;
            try (BlockExecutor.ResidentInput xd = dense.handOverInput(x);
                    BlockExecutor.ResidentInput xg = dyn.handOverInput(x)) {
                List<TimingProtocol.Call> calls = new ArrayList<>();
                calls.add(TimingProtocol.Call.of(xd::refresh, () -> dense.run(xd, PathPolicy.AUTO).path().name()));
                for (int c = 0; c < comps; c++) {
                    NDArray[] mc = masks.get(c);
                    int comp = c;
                    calls.add(TimingProtocol.Call.of(xg::refresh, () -> {
                        ExecutionReport rep = dyn.runWithMasks(xg, mc[0], mc[1], PathPolicy.AUTO, true);
                        macs[comp] = rep.macsRatio();
                        return rep.path().name();
                    }));
                }
                if (channelPaths) {
                    NDArray cm = masks.get(0)[1];
                    calls.add(TimingProtocol.Call.of(xg::refresh,
                            () -> dyn.runWithMasks(xg, null, cm, PathPolicy.CHANNEL, true).path().name()));
                    calls.add(TimingProtocol.Call.of(xg::refresh,
                            () -> dyn.runWithMasks(xg, null, cm, PathPolicy.CHANNEL_UNION, true).path().name()));
                }
                res = new TimingProtocol(config.runs(), config.warmup(), 0).measure(calls);
            }
            double[] td = res.get(0).timesMs();
            double dyMs = 0;
            double pair = 0;
            double macsRatio = 0;
            int major = 0;
            for (int c = 0; c < comps; c++) {
                double wc = weights.get(c);
                double[] tg = res.get(1 + c).timesMs();
                double[] ratio = new double[tg.length];
                for (int i = 0; i < tg.length; i++) {
                    ratio[i] = tg[i] / td[i];
                }
                dyMs += wc * res.get(1 + c).medianMs();
                pair += wc * TimingProtocol.median(ratio);
                macsRatio += wc * macs[c];
                if (wc >= weights.get(major)) {
                    major = c;
                }
            }
            ExecutionPath path = ExecutionPath.valueOf(res.get(1 + major).mostFrequentLabel());
            int gran = switch (mode) {
                case LAYER -> g.outHeight();
                case CHANNEL, BOTH -> spec.channelGroups();
                default -> spec.spatialGranularity();
            };
            return new Row(st.stage(), mode, gran, batch, density, macsRatio, res.get(0).medianMs(), dyMs, pair,
                    threads, path, comps, channelPaths ? res.get(1 + comps).medianMs() : Double.NaN,
                    channelPaths ? res.get(2 + comps).medianMs() : Double.NaN);
        }
    }

    /** A 0/1 mask with exactly {@code round(d * units)} ones per sample (LAYER: per batch, over samples). */
    static float[] exactMask(int batch, int units, double density, boolean overBatch, Random r) {
        float[] v = new float[batch * units];
        if (overBatch) {
            int on = (int) Math.round(density * batch);
            for (int idx : permutation(batch, r, on)) {
                v[idx] = 1;
            }
            return v;
        }
        int on = (int) Math.round(density * units);
        for (int b = 0; b < batch; b++) {
            for (int idx : permutation(units, r, on)) {
                v[b * units + idx] = 1;
            }
        }
        return v;
    }

    static int[] permutation(int n, Random r, int take) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return Arrays.copyOf(p, take);
    }

    /**
     * Returns the JVM for a report's environment: its name and version, and the heap it started with and may grow to
     * (a heap that grows during a benchmark adds garbage-collection work to the timed calls).
     */
    public static String jvm() {
        return System.getProperty("java.vm.name") + " " + System.getProperty("java.version") + ", heap "
                + (ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getInit() >> 20) + " MiB initial, "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB max";
    }

    /** Returns the intra-op thread count of the engine (the system property, else the core count). */
    public static int threads() {
        String t = System.getProperty("ai.djl.pytorch.num_threads");
        return t == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(t.trim());
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /**
     * Writes the rows as a JSON document (environment plus one object per row).
     *
     * @param rows the rows
     * @param file the target file
     * @throws IOException if writing fails
     */
    public void writeJson(List<Row> rows, Path file) throws IOException {
        StringBuilder sb = new StringBuilder("{\n  \"environment\": {");
        Map<String, String> env = environment();
        env.put("backend", backendDescription);
        int i = 0;
        for (Map.Entry<String, String> e : env.entrySet()) {
            sb.append(i++ == 0 ? "\n" : ",\n").append("    \"").append(e.getKey()).append("\": \"")
                    .append(e.getValue().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        sb.append("\n  },\n  \"runs\": ").append(config.runs()).append(",\n  \"warmup\": ").append(config.warmup())
                .append(",\n  \"rows\": [");
        for (int k = 0; k < rows.size(); k++) {
            Row r = rows.get(k);
            sb.append(k == 0 ? "\n" : ",\n").append(String.format(Locale.ROOT,
                    "    {\"stage\": %d, \"mode\": \"%s\", \"granularity\": %d, \"batch\": %d, \"density\": %.2f, "
                            + "\"macs_ratio\": %.4f, \"dense_ms\": %.4f, \"dynamic_ms\": %.4f, \"latency_ratio\": %.4f, "
                            + "\"pair_ratio\": %.4f, \"threads\": %d, \"path\": \"%s\", \"components\": %d, "
                            + "\"channel_per_pattern_ms\": %s, \"channel_union_ms\": %s}",
                    r.stage(), r.mode(), r.granularity(), r.batch(), r.density(), r.macsRatio(), r.denseMs(),
                    r.dynamicMs(), r.latencyRatio(), r.pairRatio(), r.threads(),
                    r.path() == ExecutionPath.DENSE ? "dense" : "sparse:" + r.path(), r.components(),
                    jsonNumber(r.perPatternMs()), jsonNumber(r.unionMs())));
        }
        sb.append("\n  ]\n}\n");
        write(file, sb.toString());
    }

    private static String jsonNumber(double v) {
        return Double.isNaN(v) ? "null" : String.format(Locale.ROOT, "%.4f", v);
    }

    /**
     * The CHANNEL rows at batch above 1 as a markdown table of both channel paths forced next to the executor's
     * choice, or an empty string without such rows.
     *
     * @param rows the rows
     * @return the table with its heading
     */
    static String channelPathsMarkdown(List<Row> rows) {
        List<Row> channel = rows.stream().filter(r -> !Double.isNaN(r.perPatternMs())).toList();
        if (channel.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("\n## Channel paths at batch > 1\n\n")
                .append("The executor's choice (AUTO) next to each channel path forced on the same masks, in the same"
                        + " rounds (maskers included): per pattern = one sub-batch per distinct channel pattern with"
                        + " its weight slices (CHANNEL); union = sub-batches with the weight slices of the union of"
                        + " their samples' patterns, each sample masking its own closed groups (CHANNEL_UNION; clusters"
                        + " by the calibrated cost model, one union of the whole batch without a calibration).\n\n")
                .append("| stage | G | batch | density | dense ms | AUTO ms | AUTO path | per pattern ms | union ms |"
                        + " per pattern ratio | union ratio |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : channel) {
            sb.append(String.format(Locale.ROOT, "| %d | %d | %d | %.2f | %.3f | %.3f | %s | %.3f | %.3f | %.3f |"
                    + " %.3f |%n", r.stage(), r.granularity(), r.batch(), r.density(), r.denseMs(), r.dynamicMs(),
                    r.path(), r.perPatternMs(), r.unionMs(), r.perPatternMs() / r.denseMs(),
                    r.unionMs() / r.denseMs()));
        }
        return sb.toString();
    }

    /**
     * Writes the rows as a markdown report with the machine and engine settings.
     *
     * @param rows the rows
     * @param file the target file
     * @throws IOException if writing fails
     */
    public void writeMarkdown(List<Row> rows, Path file) throws IOException {
        writeMarkdown(rows, List.of(), "", file);
    }

    /**
     * Writes the rows as a markdown report with the machine and engine settings, a free-form note under the title and
     * an optional per-phase profile table ({@link BlockProfile#markdown(List)}).
     *
     * @param rows the rows
     * @param profile profile entries, possibly empty
     * @param note text placed under the title (may be empty)
     * @param file the target file
     * @throws IOException if writing fails
     */
    public void writeMarkdown(List<Row> rows, List<BlockProfile.Entry> profile, String note, Path file)
            throws IOException {
        StringBuilder sb = new StringBuilder("# Dynamic ResNet-50 bottlenecks on CPU: dense vs gated executor\n\n");
        if (note != null && !note.isBlank()) {
            sb.append(note.strip()).append("\n\n");
        }
        Map<String, String> env = environment();
        env.put("backend", backendDescription);
        for (Map.Entry<String, String> e : env.entrySet()) {
            sb.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        sb.append("- runs: ").append(config.runs()).append(" timed (median), warm-up ").append(config.warmup())
                .append(" rounds; in every round the static block, the gated executor and (CHANNEL, batch > 1) the "
                        + "forced channel paths each run once untimed and then once timed, so that no timed call "
                        + "follows another executor's work (TimingProtocol); batches ")
                .append(Arrays.toString(config.batches())).append(", densities ")
                .append(Arrays.toString(config.densities())).append('\n')
                .append("- timing: wall clock of one call on the backend above, as a block runs inside a network: "
                        + "on a non-negative input (a ReLU output) already in the backend's layout and handed over to "
                        + "the call (BlockExecutor.handOverInput: an identity block may accumulate into it), restored "
                        + "from an untouched copy between calls outside the timing; no layout conversion is timed; the "
                        + "call has completed when it returns\n")
                .append("- blocks: stride-1 identity bottlenecks at 224x224 input, random weights, BN folded; "
                        + "densities imposed by exact-fraction seeded masks; the dynamic time includes the gates "
                        + "(maskers) and the executor's per-call path choice (cost model calibrated before timing)\n")
                .append("- LAYER: when the expected number of open samples d * B is fractional (batch 1 at "
                        + "d = 0.5), the row is the exact expectation over the two neighbouring counts, e.g. "
                        + "0.5 t(open) + 0.5 t(closed), each the median of its own timed runs (components = 2); "
                        + "the path shown is that of the heavier component (the open one on ties)\n")
                .append("- latency ratio = dynamic ms / dense ms (ratio of medians); pair ratio = median over the "
                        + "rounds of dynamic / dense of the same round (more robust to load from other processes)\n")
                .append("- granularity: spatial S (output pixels per cell side), map size for LAYER, groups G for "
                        + "CHANNEL; path: what the executor chose (DENSE = fallback or all gates open)\n\n")
                .append("| stage | mode | gran | batch | density | MACs ratio | dense ms | dynamic ms | latency ratio |"
                        + " pair ratio | path |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT,
                    "| %d | %s | %d | %d | %.2f | %.3f | %.3f | %.3f | %.3f | %.3f | %s |%n",
                    r.stage(), r.mode(), r.granularity(), r.batch(), r.density(), r.macsRatio(), r.denseMs(),
                    r.dynamicMs(), r.latencyRatio(), r.pairRatio(), r.path()));
        }
        sb.append(channelPathsMarkdown(rows));
        if (!profile.isEmpty()) {
            sb.append('\n').append(BlockProfile.markdown(profile));
        }
        write(file, sb.toString());
    }

    static void write(Path file, String text) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** Machine, runtime and engine settings recorded with every result. */
    static Map<String, String> environment() {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
        env.put("cpu", cpuModel());
        env.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        env.put("jvm", jvm());
        env.put("djl", Engine.getDjlVersion());
        env.put("engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
        env.put("ai.djl.pytorch.num_threads", String.valueOf(System.getProperty("ai.djl.pytorch.num_threads")));
        env.put("ai.djl.pytorch.num_interop_threads",
                String.valueOf(System.getProperty("ai.djl.pytorch.num_interop_threads")));
        return env;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot read /proc/cpuinfo", e);
        }
        return System.getProperty("os.arch");
    }
}
