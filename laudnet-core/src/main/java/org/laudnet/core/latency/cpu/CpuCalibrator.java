package org.laudnet.core.latency.cpu;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.latency.BlockLatencyQuery;
import org.laudnet.core.latency.ConvShape;
import org.laudnet.core.util.Checks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the CPU inference engine on this machine, on one engine backend, and fits a {@link CpuLatencyProfile} for
 * that backend.
 *
 * <p>Backend: created per block by the calibrator's factory (by default {@link CpuBackends#FASTEST}, the backend an
 * AUTO executor runs on the CPU: oneDNN where its natives load, else DJL/PyTorch); its id and description are recorded
 * in the profile, and only its spatial schedules are timed (DJL: WINDOWS, M1, ROWS; oneDNN: HALO, WINDOWS, ROWS).
 *
 * <p>Grid: ResNet-50 bottlenecks of every stage (identity blocks and the first, downsampling block of each stage),
 * two extra resolutions, and basic blocks; batch 1 and 8. Per block: the static block ({@link CpuTerm#DENSE} at
 * density 1), the all-closed layer gate ({@link CpuTerm#SKIP}), and for each gate spec (layer; spatial {@code S in
 * {1, 2, 4, 7}} dividing the output and smaller than it; channel {@code G in {2, 4, 8}}; spatial-and-channel {@code
 * S = 2, G = 4}) and density in {@link #CALIBRATION_DENSITIES}, every path the executor may take on the backend (the
 * masked dense fallback as {@link CpuTerm#MASKED_DENSE}; the union channel path at batch sizes above 1), forced
 * through {@link PathPolicy} and timed as alternatives of one measurement, each with the block's gates evaluated as an
 * inference call evaluates them. Maskers: the difference of an all-closed call with and without evaluating the gates.
 * Densities are imposed by seeded random masks with exactly {@code round(d * units)} open units per sample (per batch
 * for the layer gate). Operators: the backend's convolution and pooling primitives on the network's stem, stage and
 * head shapes. Every time follows the {@link TimingProtocol} ({@code runs} timed runs, each right after an untimed call
 * of the same alternative, median), including the read-back of the output to the host.
 *
 * <p>Fit: the masker terms by non-negative least squares on absolute error ({@link LeastSquares#fitAbsolute}: their
 * times are small differences); then every block term by {@link LeastSquares#fit} on relative error, each path timing
 * less the masker terms' prediction for the maskers evaluated within it, so that masker plus path reproduces the
 * measured inference call.
 *
 * <p>Not thread-safe; {@link #calibrate} runs on the calling thread.
 */
public final class CpuCalibrator {

    /** Densities of the calibration grid (realised as {@code round(d * units) / units}). */
    public static final double[] CALIBRATION_DENSITIES = {0.2, 0.6};
    /** Spatial granularities of the calibration grid (besides the whole map, i.e. layer gating). */
    public static final int[] CALIBRATION_GRANULARITIES = {1, 2, 4, 7};
    /** Channel groups of the calibration grid. */
    public static final int[] CALIBRATION_GROUPS = {2, 4, 8};
    /** Batch sizes of the calibration grid. */
    public static final int[] CALIBRATION_BATCHES = {1, 8};

    /** Target total of the timed runs of one measurement, in ms (fast operations get more runs). */
    public static final double TIMED_BUDGET_MS = 100;

    /**
     * The least share of a path timing that the path's own term is fitted to when the masker terms' prediction is
     * subtracted (guards the fit against a masker prediction above a cheap path's time).
     */
    static final double MIN_PATH_SHARE = 0.1;

    private static final Logger LOG = LoggerFactory.getLogger(CpuCalibrator.class);

    /**
     * Calibration settings.
     *
     * @param quick a reduced grid (one identity bottleneck per stage and one basic block, fewer specs) for
     *     development
     * @param runs timed runs per measurement (median), each after an untimed primer call ({@link TimingProtocol})
     * @param warmup untimed warm-up rounds per measurement
     * @param seed seed of weights, inputs and masks
     */
    public record Settings(boolean quick, int runs, int warmup, long seed) {
        /** Validates the counts. */
        public Settings {
            Checks.positive("runs", runs);
            Checks.nonNegative("warmup", warmup);
        }

        /**
         * The default settings.
         *
         * @param quick whether to use the reduced grid
         * @return 7 runs and 2 warm-up rounds (quick: 3 and 1), seed 42
         */
        public static Settings defaults(boolean quick) {
            return quick ? new Settings(true, 3, 1, 42L) : new Settings(false, 7, 2, 42L);
        }
    }

    /**
     * One gated block configuration of the calibration grid.
     *
     * @param geometry the block
     * @param spec the gate spec
     * @param batch batch size
     * @param density imposed density (spatial or layer density; channel density for CHANNEL; both for BOTH)
     */
    public record GridPoint(BlockGeometry geometry, GateSpec spec, int batch, double density) {}

    private final Settings settings;
    private final Function<NDManager, Backend<?>> backends;
    private final Consumer<String> progress;
    private final List<CalibrationSample> samples = new ArrayList<>();

    /**
     * Creates a calibrator of the fastest available CPU backend ({@link CpuBackends#FASTEST}).
     *
     * @param settings grid and timing settings
     * @param progress receives one line per measured block (may be a no-op)
     */
    public CpuCalibrator(Settings settings, Consumer<String> progress) {
        this(settings, m -> CpuBackends.create(CpuBackends.FASTEST, m), progress);
    }

    /**
     * Creates a calibrator.
     *
     * @param settings grid and timing settings
     * @param backends creates the backend to measure under a manager (called once per block and once for the
     *     operators; every backend it creates must have the same id); the calibrator closes each
     * @param progress receives one line per measured block (may be a no-op)
     */
    public CpuCalibrator(Settings settings, Function<NDManager, Backend<?>> backends, Consumer<String> progress) {
        if (settings == null || backends == null || progress == null) {
            throw new IllegalArgumentException("settings, backends and progress must not be null");
        }
        this.settings = settings;
        this.backends = backends;
        this.progress = progress;
    }

    /** Returns the timing protocol of the settings. */
    public TimingProtocol protocol() {
        return new TimingProtocol(settings.runs(), settings.warmup(), TIMED_BUDGET_MS);
    }

    /** Returns the block geometries of the grid. */
    public List<BlockGeometry> geometries() {
        List<BlockGeometry> gs = new ArrayList<>(List.of(
                BlockGeometry.bottleneck(256, 64, 56, 1),
                BlockGeometry.bottleneck(512, 128, 28, 1),
                BlockGeometry.bottleneck(1024, 256, 14, 1),
                BlockGeometry.bottleneck(2048, 512, 7, 1)));
        if (settings.quick()) {
            gs.add(BlockGeometry.basic(128, 128, 28, 1));
            return gs;
        }
        gs.addAll(List.of(
                BlockGeometry.bottleneck(64, 64, 56, 1),
                BlockGeometry.bottleneck(256, 128, 56, 2),
                BlockGeometry.bottleneck(512, 256, 28, 2),
                BlockGeometry.bottleneck(1024, 512, 14, 2),
                BlockGeometry.bottleneck(256, 64, 28, 1),
                BlockGeometry.bottleneck(512, 128, 14, 1),
                BlockGeometry.basic(64, 64, 56, 1),
                BlockGeometry.basic(128, 128, 28, 1),
                BlockGeometry.basic(128, 256, 28, 2),
                BlockGeometry.basic(512, 512, 7, 1)));
        return gs;
    }

    /**
     * Returns the gate specs of the grid for one block.
     *
     * @param g the block
     * @return layer, the spatial granularities that divide the output, channel groups, and one spatial-and-channel
     *     spec
     */
    public List<GateSpec> specs(BlockGeometry g) {
        List<GateSpec> specs = new ArrayList<>();
        specs.add(GateSpec.layer());
        int ho = g.outHeight();
        for (int s : CALIBRATION_GRANULARITIES) {
            if (ho % s == 0 && g.outWidth() % s == 0 && s < ho && !(settings.quick() && s == 7)) {
                specs.add(GateSpec.spatial(s));
            }
        }
        for (int gr : CALIBRATION_GROUPS) {
            if (g.width() % gr == 0 && !(settings.quick() && gr != 4)) {
                specs.add(GateSpec.channel(gr));
            }
        }
        int sb = ho % 2 == 0 && ho > 2 ? 2 : 1;
        if (g.width() % 4 == 0) {
            specs.add(GateSpec.both(sb, 4));
        }
        return specs;
    }

    /** Returns every gated configuration of the grid (the densities of {@link #CALIBRATION_DENSITIES}). */
    public List<GridPoint> gridPoints() {
        List<GridPoint> out = new ArrayList<>();
        for (BlockGeometry g : geometries()) {
            for (GateSpec spec : specs(g)) {
                for (int batch : CALIBRATION_BATCHES) {
                    if (spec.mode() == GateMode.LAYER && batch == 1) {
                        continue;
                    }
                    for (double d : CALIBRATION_DENSITIES) {
                        out.add(new GridPoint(g, spec, batch, d));
                    }
                }
            }
        }
        return out;
    }

    /**
     * Returns the queries of the grid's gated configurations at their realised densities (to check that a validation
     * set does not coincide with them).
     *
     * @return the queries
     */
    public Set<BlockLatencyQuery> calibrationQueries() {
        Set<BlockLatencyQuery> out = new LinkedHashSet<>();
        for (GridPoint p : gridPoints()) {
            out.add(query(p.geometry(), p.spec(), p.batch(), p.density()));
        }
        return out;
    }

    /**
     * Builds the latency query of a gated configuration at the densities that exact masks realise: spatial {@code
     * round(d m^2) / m^2}, layer {@code round(d B) / B}, channel {@code round(d G) / G}.
     *
     * @param g the block
     * @param spec its gate spec
     * @param batch {@code B}
     * @param density the nominal density
     * @return the query
     */
    public static BlockLatencyQuery query(BlockGeometry g, GateSpec spec, int batch, double density) {
        GateMode mode = spec.mode();
        int s = mode == GateMode.SPATIAL || mode == GateMode.BOTH ? spec.spatialGranularity() : 1;
        int groups = mode.hasChannelGate() ? spec.channelGroups() : 1;
        double rho = 1;
        double dc = 1;
        if (mode == GateMode.LAYER) {
            rho = Math.round(density * batch) / (double) batch;
        } else if (mode == GateMode.SPATIAL || mode == GateMode.BOTH) {
            int cells = (g.outHeight() / s) * (g.outWidth() / s);
            rho = Math.round(density * cells) / (double) cells;
        }
        if (mode.hasChannelGate()) {
            dc = Math.round(density * groups) / (double) groups;
        }
        return new BlockLatencyQuery(g, mode, s, groups, rho, dc, batch);
    }

    /**
     * Runs the whole calibration and fits the profile.
     *
     * @return the profile
     * @throws IllegalStateException if the factory's backends differ in id, or a term got no timing
     */
    public CpuLatencyProfile calibrate() {
        long t0 = System.nanoTime();
        samples.clear();
        BlockTimings timings = new BlockTimings(protocol(), settings.seed(), samples);
        String id;
        String description;
        int threads;
        Set<SpatialSchedule> schedules;
        try (NDManager manager = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(manager, false);
            Random r = new Random(settings.seed());
            try (Backend<?> b = backends.apply(manager)) {
                id = b.id();
                description = b.description();
                threads = b.intraOpThreads();
                schedules = Set.copyOf(b.spatialSchedules());
                progress.accept("backend " + id + ": " + description);
                timings.operators(b, operatorShapes(), CALIBRATION_BATCHES, r);
            }
            progress.accept("operators done: " + count(CpuTerm.CONV) + " convolutions, " + count(CpuTerm.POOL)
                    + " poolings");
            List<BlockGeometry> gs = geometries();
            for (int i = 0; i < gs.size(); i++) {
                try (NDManager sub = manager.newSubManager(); Backend<?> b = backends.apply(sub)) {
                    if (!b.id().equals(id)) {
                        throw new IllegalStateException("the backend factory must create one kind of backend, got "
                                + id + " and " + b.id());
                    }
                    timings.block(sub, ps, b, gs.get(i), specs(gs.get(i)), CALIBRATION_BATCHES,
                            CALIBRATION_DENSITIES, r);
                }
                progress.accept(String.format(Locale.ROOT, "block %d/%d %s done (%.0f s)", i + 1, gs.size(),
                        describe(gs.get(i)), (System.nanoTime() - t0) / 1e9));
            }
        }
        Map<CpuTerm, LinearTerm> terms = fit(samples, schedules);
        for (Map.Entry<CpuTerm, LinearTerm> e : terms.entrySet()) {
            progress.accept(String.format(Locale.ROOT, "fitted %s: %s", e.getKey(), e.getValue()));
        }
        return new CpuLatencyProfile(CpuLatencyProfile.FORMAT_VERSION,
                machine(settings.quick() ? "quick" : "full", id, description, threads), terms);
    }

    private long count(CpuTerm t) {
        return samples.stream().filter(s -> s.term() == t).count();
    }

    /**
     * Fits the profile's terms to timings: the masker terms on absolute error, then every other term on relative error
     * with the masker terms' prediction subtracted from each timing that evaluated maskers (at least
     * {@value #MIN_PATH_SHARE} of the timing is left to the path).
     *
     * @param timings the samples
     * @param schedules the backend's spatial schedules (their terms are fitted; others are left out)
     * @return the terms
     * @throws IllegalStateException if a required term, or a term of the backend's schedules, got no timing
     */
    static Map<CpuTerm, LinearTerm> fit(List<CalibrationSample> timings, Set<SpatialSchedule> schedules) {
        Map<CpuTerm, LinearTerm> terms = new EnumMap<>(CpuTerm.class);
        for (CpuTerm t : List.of(CpuTerm.SPATIAL_MASKER, CpuTerm.CHANNEL_MASKER)) {
            List<CalibrationSample> s = of(timings, t);
            terms.put(t, LeastSquares.fitAbsolute(t.features(), features(s),
                    s.stream().mapToDouble(CalibrationSample::millis).toArray()));
        }
        for (CpuTerm t : CpuTerm.values()) {
            if (terms.containsKey(t) || t.isSpatialSchedule() && !schedules.contains(t.schedule())) {
                continue;
            }
            List<CalibrationSample> s = of(timings, t);
            double[] y = new double[s.size()];
            for (int i = 0; i < y.length; i++) {
                CalibrationSample c = s.get(i);
                double masker = (c.spatialMaskerInput() > 0
                        ? terms.get(CpuTerm.SPATIAL_MASKER).predict(c.spatialMaskerInput()) : 0)
                        + (c.channelMaskerInput() > 0
                        ? terms.get(CpuTerm.CHANNEL_MASKER).predict(c.channelMaskerInput()) : 0);
                y[i] = Math.max(MIN_PATH_SHARE * c.millis(), c.millis() - masker);
            }
            terms.put(t, LeastSquares.fit(t.features(), features(s), y));
        }
        return terms;
    }

    private static List<CalibrationSample> of(List<CalibrationSample> timings, CpuTerm t) {
        List<CalibrationSample> s = timings.stream().filter(c -> c.term() == t).toList();
        if (s.isEmpty()) {
            throw new IllegalStateException("no timing was collected for term " + t);
        }
        return s;
    }

    private static double[][] features(List<CalibrationSample> s) {
        return s.stream().map(CalibrationSample::features).toArray(double[][]::new);
    }

    /** The operator shapes: the stem, one convolution of each kind per stage, a stride-2 3x3, the head. */
    private List<ConvShape> operatorShapes() {
        List<ConvShape> convs = List.of(
                new ConvShape(3, 64, 224, 224, 7, 2, 1, 3),
                ConvShape.of(256, 64, 56, 1, 1),
                ConvShape.of(64, 64, 56, 3, 1),
                ConvShape.of(64, 256, 56, 1, 1),
                ConvShape.of(128, 128, 28, 3, 1),
                ConvShape.of(512, 128, 28, 1, 1),
                ConvShape.of(256, 256, 14, 3, 1),
                ConvShape.of(1024, 256, 14, 1, 1),
                ConvShape.of(512, 512, 7, 3, 1),
                ConvShape.of(512, 2048, 7, 1, 1),
                ConvShape.of(64, 64, 56, 3, 2),
                ConvShape.linear(2048, 1000));
        return settings.quick() ? convs.subList(0, 6) : convs;
    }

    /**
     * Writes the timings of the last {@link #calibrate} as CSV ({@code term, configuration, ms, spatial masker input,
     * channel masker input, feature values...}), for inspecting the fit. The configuration names the block timed, its
     * gate mode, granularities, batch and realised densities in one field without commas ({@code bottleneck cin=256
     * w=64 cout=256 h=56 stride=1 groups=1 mode=SPATIAL S=4 G=1 B=1 rho=0.2500 dc=1.0000}); it is empty for the
     * operator timings.
     *
     * @param file the target
     * @throws IOException if writing fails
     */
    public void writeSamples(Path file) throws IOException {
        StringBuilder sb = new StringBuilder("term,configuration,ms,spatialMaskerInput,channelMaskerInput,features\n");
        for (CalibrationSample c : samples) {
            sb.append(c.term()).append(',').append(c.configuration()).append(',').append(c.millis()).append(',')
                    .append(c.spatialMaskerInput()).append(',').append(c.channelMaskerInput());
            for (double v : c.features()) {
                sb.append(',').append(v);
            }
            sb.append('\n');
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, sb.toString());
    }

    private static String describe(BlockGeometry g) {
        return String.format(Locale.ROOT, "%s %d->%d->%d %dx%d s%d",
                g.type() == BlockType.BASIC ? "basic" : "bottleneck",
                g.inChannels(), g.width(), g.outChannels(), g.inHeight(), g.inWidth(), g.stride());
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /**
     * A 0/1 mask with exactly {@code round(d * units)} ones per sample, placed by a seeded random permutation; with
     * {@code overBatch}, {@code round(d * batch)} open samples instead (layer gate, one unit per sample).
     *
     * @param batch {@code B}
     * @param units units per sample
     * @param density {@code d}
     * @param overBatch layer gate
     * @param r the random source
     * @return {@code B * units} values
     */
    public static float[] exactMask(int batch, int units, double density, boolean overBatch, Random r) {
        float[] v = new float[batch * units];
        if (overBatch) {
            for (int idx : permutation(batch, r, (int) Math.round(density * batch))) {
                v[idx * units] = 1;
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

    private static int[] permutation(int n, Random r, int take) {
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
     * Returns the median (mean of the middle two for an even count): {@link TimingProtocol#median}.
     *
     * @param v the values, non-empty
     * @return the median
     */
    public static double median(double[] v) {
        return TimingProtocol.median(v);
    }

    /**
     * Describes this machine and engine for a profile or a report.
     *
     * @param mode the calibration grid label
     * @param backend the id of the backend measured
     * @param backendDescription the backend's description
     * @param backendThreads the backend's intra-op threads ({@code Backend.intraOpThreads()}), or 0 when it does not
     *     know them: then PyTorch's setting ({@code ai.djl.pytorch.num_threads}, else the available processors)
     * @return the machine record
     */
    public static CpuLatencyProfile.Machine machine(String mode, String backend, String backendDescription,
            int backendThreads) {
        int threads = backendThreads > 0 ? backendThreads : pytorchThreads();
        String omp = System.getenv("OMP_WAIT_POLICY");
        return new CpuLatencyProfile.Machine(cpuModel(), Runtime.getRuntime().availableProcessors(), threads,
                omp == null || omp.isBlank() ? "unset" : omp,
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"), Engine.getDjlVersion(),
                Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion(), backend,
                backendDescription, ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME), mode);
    }

    private static int pytorchThreads() {
        String t = System.getProperty("ai.djl.pytorch.num_threads");
        try {
            return t == null || t.isBlank() ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(t.trim());
        } catch (NumberFormatException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }

    /**
     * Returns this machine's CPU model name ({@code /proc/cpuinfo}, else the architecture).
     *
     * @return the name
     */
    public static String cpuModel() {
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
