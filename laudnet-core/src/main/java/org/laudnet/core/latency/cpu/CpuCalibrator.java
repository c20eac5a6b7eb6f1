package org.laudnet.core.latency.cpu;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
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
import java.util.function.Supplier;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.BlockExecutor;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.ExecutionResult;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.latency.BlockLatencyQuery;
import org.laudnet.core.latency.ConvShape;
import org.laudnet.core.util.Checks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the CPU inference engine on this machine and fits a {@link CpuLatencyProfile}.
 *
 * <p>Grid: ResNet-50 bottlenecks of every stage (identity blocks and the first, downsampling block of each stage),
 * two extra resolutions, and basic blocks; batch 1 and 8. Per block: the static block ({@link CpuTerm#DENSE} at
 * density 1), the all-closed layer gate ({@link CpuTerm#SKIP}), and for each gate spec (layer; spatial {@code S in
 * {1, 2, 4, 7}} dividing the output and smaller than it; channel {@code G in {2, 4, 8}}; spatial-and-channel {@code
 * S = 2, G = 4}) and density in {@link #CALIBRATION_DENSITIES}, every path the executor may take (the masked dense
 * fallback as {@link CpuTerm#MASKED_DENSE}), forced through
 * {@link PathPolicy} ({@code SPARSE}, {@code CHANNEL}, {@code CHANNEL_UNION}, {@code SPATIAL_WINDOWS},
 * {@code SPATIAL_M1}, {@code SPATIAL_ROWS}, {@code DENSE}) and timed
 * interleaved. Maskers: the difference of an all-closed call with and without evaluating the gates. Densities are imposed by seeded random masks with exactly {@code round(d * units)} open units per
 * sample (per batch for the layer gate). Operators: dense DJL {@code conv2d} on the network's convolution shapes and
 * pooling. Every time is the median of at least {@code runs} timed runs (up to {@code 3 runs} for
 * operations faster than {@code TIMED_BUDGET_MS / runs}) after {@code warmup} untimed runs, including the read-back of
 * the output to the host (as a caller needs it). Each term is fitted by {@link LeastSquares}.
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

    private static final Logger LOG = LoggerFactory.getLogger(CpuCalibrator.class);

    /**
     * Calibration settings.
     *
     * @param quick a reduced grid (one identity bottleneck per stage and one basic block, fewer specs) for
     *     development
     * @param runs timed runs per measurement (median)
     * @param warmup untimed runs per measurement
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
         * @return 7 runs and 2 warm-up runs (quick: 3 and 1), seed 42
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
    private final Consumer<String> progress;
    private final Map<CpuTerm, List<double[]>> features = new EnumMap<>(CpuTerm.class);
    private final Map<CpuTerm, List<Double>> times = new EnumMap<>(CpuTerm.class);

    /**
     * Creates a calibrator.
     *
     * @param settings grid and timing settings
     * @param progress receives one line per measured block (may be a no-op)
     */
    public CpuCalibrator(Settings settings, Consumer<String> progress) {
        if (settings == null || progress == null) {
            throw new IllegalArgumentException("settings and progress must not be null");
        }
        this.settings = settings;
        this.progress = progress;
        for (CpuTerm t : CpuTerm.values()) {
            features.put(t, new ArrayList<>());
            times.put(t, new ArrayList<>());
        }
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
     */
    public CpuLatencyProfile calibrate() {
        long t0 = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(manager, false);
            Random r = new Random(settings.seed());
            measureOperators(manager, r);
            List<BlockGeometry> gs = geometries();
            for (int i = 0; i < gs.size(); i++) {
                measureBlock(manager, ps, gs.get(i), r);
                progress.accept(String.format(Locale.ROOT, "block %d/%d %s done (%.0f s)", i + 1, gs.size(),
                        describe(gs.get(i)), (System.nanoTime() - t0) / 1e9));
            }
        }
        Map<CpuTerm, LinearTerm> terms = new EnumMap<>(CpuTerm.class);
        for (CpuTerm t : CpuTerm.values()) {
            double[][] f = features.get(t).toArray(new double[0][]);
            double[] y = times.get(t).stream().mapToDouble(Double::doubleValue).toArray();
            if (y.length == 0) {
                throw new IllegalStateException("no timing was collected for term " + t);
            }
            LinearTerm lt = LeastSquares.fit(t.features(), f, y);
            terms.put(t, lt);
            progress.accept(String.format(Locale.ROOT, "fitted %s: %s", t, lt));
        }
        return new CpuLatencyProfile(CpuLatencyProfile.FORMAT_VERSION,
                machine(settings.quick() ? "quick" : "full"), terms);
    }

    // ------------------------------------------------------------------------------------------------ operators

    private void measureOperators(NDManager manager, Random r) {
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
        for (int batch : CALIBRATION_BATCHES) {
            for (ConvShape c : settings.quick() ? convs.subList(0, 6) : convs) {
                try (NDManager sub = manager.newSubManager()) {
                    NDArray x = sub.randomNormal(new Shape(batch, c.inChannels(), c.inHeight(), c.inWidth()));
                    NDArray w = sub.randomNormal(0, 0.05f,
                            new Shape(c.outChannels(), c.inChannels() / c.groups(), c.kernel(), c.kernel()),
                            DataType.FLOAT32);
                    NDArray b = sub.zeros(new Shape(c.outChannels()));
                    Shape st = new Shape(c.stride(), c.stride());
                    Shape pad = new Shape(c.padding(), c.padding());
                    double t = time(() -> Conv2d.conv2d(x, w, b, st, pad, new Shape(1, 1), c.groups()).head());
                    add(CpuTerm.CONV, new double[] {(double) batch * c.macs()}, t);
                }
            }
            int[][] pools = {{64, 112, 3}, {256, 56, 0}, {512, 7, 0}, {2048, 7, 0}};
            for (int[] p : pools) {
                try (NDManager sub = manager.newSubManager()) {
                    NDArray x = sub.randomNormal(new Shape(batch, p[0], p[1], p[1]));
                    double t = p[2] == 3
                            ? time(() -> Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false))
                            : time(() -> Pool.globalAvgPool2d(x));
                    add(CpuTerm.POOL, new double[] {(double) batch * p[0] * p[1] * p[1]}, t);
                }
            }
        }
        progress.accept("operators done: " + times.get(CpuTerm.CONV).size() + " convolutions, "
                + times.get(CpuTerm.POOL).size() + " poolings");
    }

    // ------------------------------------------------------------------------------------------------ blocks

    private void measureBlock(NDManager manager, ParameterStore ps, BlockGeometry g, Random r) {
        for (int batch : CALIBRATION_BATCHES) {
            try (NDManager sub = manager.newSubManager()) {
                NDArray x = sub.randomNormal(new Shape(batch, g.inChannels(), g.inHeight(), g.inWidth()));
                double in = (double) batch * g.inChannels() * g.inHeight() * g.inWidth();
                GatedResidualBlock staticBlock = block(manager, g, GateSpec.none());
                try (BlockExecutor ex = executor(manager, ps, staticBlock)) {
                    double t = time(() -> ex.runWithMasks(x, null, null, PathPolicy.DENSE).output());
                    add(CpuTerm.DENSE, BlockWork.dense(g, batch).vector(CpuTerm.DENSE), t);
                }
                for (GateSpec spec : specs(g)) {
                    GatedResidualBlock gated = block(manager, g, spec);
                    try (BlockExecutor ex = executor(manager, ps, gated)) {
                        if (spec.mode() == GateMode.LAYER) {
                            NDArray closed = sub.zeros(new Shape(batch, 1, 1, 1));
                            double t = time(() -> ex.runWithMasks(x, closed, null, PathPolicy.AUTO).output());
                            add(CpuTerm.SKIP, BlockWork.skip(g, batch).vector(CpuTerm.SKIP), t);
                        }
                        measureMaskers(sub, x, ex, spec, in);
                        for (double d : CALIBRATION_DENSITIES) {
                            if (spec.mode() == GateMode.LAYER && batch == 1) {
                                continue;
                            }
                            measurePaths(sub, x, g, spec, ex, batch, d, r);
                        }
                    }
                }
            }
        }
    }

    /**
     * Times the maskers through the executor's public API: the same call with an all-closed mask (the branch is
     * skipped, so the call is cheap) with and without evaluating the gates, interleaved; the masker time is the
     * difference of the medians (at least 1 microsecond).
     */
    private void measureMaskers(NDManager sub, NDArray x, BlockExecutor ex, GateSpec spec, double in) {
        BlockGeometry g = ex.getGeometry();
        int batch = (int) x.getShape().get(0);
        CpuTerm term;
        NDArray sm = null;
        NDArray cm = null;
        if (spec.mode() == GateMode.SPATIAL || spec.mode() == GateMode.LAYER) {
            int m = spec.maskSize(g.outHeight());
            sm = sub.zeros(new Shape(batch, 1, m, m));
            term = CpuTerm.SPATIAL_MASKER;
        } else if (spec.mode() == GateMode.CHANNEL) {
            cm = sub.zeros(new Shape(batch, spec.channelGroups()));
            term = CpuTerm.CHANNEL_MASKER;
        } else {
            return;
        }
        final NDArray smf = sm;
        final NDArray cmf = cm;
        double[] with = new double[settings.runs() * 2];
        double[] without = new double[with.length];
        for (int rep = -settings.warmup(); rep < with.length; rep++) {
            double a = timeOnce(() -> ex.runWithMasks(x, smf, cmf, PathPolicy.SPARSE, true).output());
            double b = timeOnce(() -> ex.runWithMasks(x, smf, cmf, PathPolicy.SPARSE, false).output());
            if (rep >= 0) {
                with[rep] = a;
                without[rep] = b;
            }
        }
        add(term, new double[] {in}, Math.max(1e-3, median(with) - median(without)));
    }

    private void measurePaths(NDManager sub, NDArray x, BlockGeometry g, GateSpec spec, BlockExecutor ex, int batch,
            double d, Random r) {
        GateMode mode = spec.mode();
        BlockLatencyQuery q = query(g, spec, batch, d);
        NDArray sm = null;
        NDArray cm = null;
        if (mode.hasSpatialGate()) {
            int m = spec.maskSize(g.outHeight());
            sm = sub.create(exactMask(batch, m * m, d, mode == GateMode.LAYER, r), new Shape(batch, 1, m, m));
        }
        if (mode.hasChannelGate()) {
            cm = sub.create(exactMask(batch, spec.channelGroups(), d, false, r),
                    new Shape(batch, spec.channelGroups()));
        }
        List<PathPolicy> policies = new ArrayList<>();
        List<CpuTerm> terms = new ArrayList<>();
        List<BlockWork> works = new ArrayList<>();
        switch (mode) {
            case LAYER -> {
                int open = (int) Math.round(q.density() * batch);
                if (open == 0 || open == batch) {
                    return;
                }
                policies.add(PathPolicy.SPARSE);
                terms.add(CpuTerm.LAYER);
                works.add(BlockWork.layer(g, batch, open));
            }
            case CHANNEL -> {
                if (BlockPlan.channelSlicing(g, spec.channelGroups())) {
                    policies.add(PathPolicy.CHANNEL);
                    terms.add(CpuTerm.CHANNEL);
                    works.add(BlockWork.channel(g, batch, spec.channelGroups(), q.channelDensity()));
                    // forced without a calibration, the union path runs the whole batch as one union
                    policies.add(PathPolicy.CHANNEL_UNION);
                    terms.add(CpuTerm.CHANNEL_UNION);
                    works.add(BlockWork.channelUnion(g, batch, spec.channelGroups(), q.channelDensity()));
                }
            }
            default -> {
                if (q.activePatchesPerImage() == 0) {
                    return;
                }
                // the engine runs spatial gates sparsely only where BlockPlan.spatialPathsExist allows; other blocks
                // are timed on the masked dense path alone
                if (BlockPlan.spatialPathsExist(g, mode, spec.spatialGroups(), spec.channelGroups())) {
                    policies.add(PathPolicy.SPATIAL_WINDOWS);
                    terms.add(CpuTerm.SPATIAL_WINDOWS);
                    works.add(BlockWork.spatial(q, false));
                    policies.add(PathPolicy.SPATIAL_M1);
                    terms.add(CpuTerm.SPATIAL_M1);
                    works.add(BlockWork.spatial(q, true));
                    policies.add(PathPolicy.SPATIAL_ROWS);
                    terms.add(CpuTerm.SPATIAL_ROWS);
                    works.add(BlockWork.spatialRows(q));
                }
            }
        }
        policies.add(PathPolicy.DENSE);
        terms.add(CpuTerm.MASKED_DENSE);
        works.add(BlockWork.dense(g, batch));
        final NDArray smf = sm;
        final NDArray cmf = cm;
        double[] t = timeInterleaved(policies.size(), i -> {
            ExecutionResult res = ex.runWithMasks(x, smf, cmf, policies.get(i));
            return new Timed(res.output(), res.report().path());
        }, terms);
        for (int i = 0; i < t.length; i++) {
            if (!Double.isNaN(t[i])) {
                add(terms.get(i), works.get(i).vector(terms.get(i)), t[i]);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ timing

    /** An output to read back and the path that produced it. */
    private record Timed(NDArray output, ExecutionPath path) {}

    /** Runs {@code n} alternatives round-robin; NaN for an alternative whose path differs from its term. */
    private double[] timeInterleaved(int n, java.util.function.IntFunction<Timed> run, List<CpuTerm> expected) {
        boolean[] mismatch = new boolean[n];
        double slowest = 0;
        int warm = Math.max(1, settings.warmup());
        for (int rep = 0; rep < warm; rep++) {
            for (int i = 0; i < n; i++) {
                double ms = runOnce(run, i, expected, mismatch);
                if (rep == warm - 1) {
                    slowest = Math.max(slowest, ms);
                }
            }
        }
        int runs = timedRuns(slowest);
        double[][] t = new double[n][runs];
        for (int rep = 0; rep < runs; rep++) {
            for (int i = 0; i < n; i++) {
                t[i][rep] = runOnce(run, i, expected, mismatch);
            }
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            if (mismatch[i]) {
                LOG.debug("forced path {} was not taken; timing dropped", expected.get(i));
            }
            out[i] = mismatch[i] ? Double.NaN : median(t[i]);
        }
        return out;
    }

    private static double runOnce(java.util.function.IntFunction<Timed> run, int i, List<CpuTerm> expected,
            boolean[] mismatch) {
        long a = System.nanoTime();
        Timed res = run.apply(i);
        res.output().toFloatArray();
        long b = System.nanoTime();
        res.output().close();
        if (!res.path().name().equals(expected.get(i).executionPath())) {
            mismatch[i] = true;
        }
        return (b - a) / 1e6;
    }

    /**
     * Returns the number of timed runs: {@code runs}, raised for fast operations so that the timed runs take about
     * {@link #TIMED_BUDGET_MS} (at most {@code 3 * runs}); cheap configurations get steadier medians.
     */
    private int timedRuns(double warmupMs) {
        int runs = settings.runs();
        if (warmupMs <= 0) {
            return runs;
        }
        return (int) Math.max(runs, Math.min(3L * runs, Math.round(TIMED_BUDGET_MS / warmupMs)));
    }

    private double time(Supplier<NDArray> op) {
        double last = 0;
        for (int rep = 0; rep < settings.warmup(); rep++) {
            last = timeOnce(op);
        }
        double[] t = new double[timedRuns(last)];
        for (int rep = 0; rep < t.length; rep++) {
            t[rep] = timeOnce(op);
        }
        return median(t);
    }

    private static double timeOnce(Supplier<NDArray> op) {
        long a = System.nanoTime();
        NDArray y = op.get();
        y.toFloatArray();
        long b = System.nanoTime();
        y.close();
        return (b - a) / 1e6;
    }

    private void add(CpuTerm term, double[] f, double millis) {
        features.get(term).add(f);
        times.get(term).add(millis);
    }

    /**
     * Writes the collected timings as CSV ({@code term, ms, feature values...}), for inspecting the fit.
     *
     * @param file the target
     * @throws IOException if writing fails
     */
    public void writeSamples(Path file) throws IOException {
        StringBuilder sb = new StringBuilder("term,ms,features\n");
        for (CpuTerm t : CpuTerm.values()) {
            List<double[]> f = features.get(t);
            for (int i = 0; i < f.size(); i++) {
                sb.append(t).append(',').append(times.get(t).get(i));
                for (double v : f.get(i)) {
                    sb.append(',').append(v);
                }
                sb.append('\n');
            }
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, sb.toString());
    }

    private GatedResidualBlock block(NDManager manager, BlockGeometry g, GateSpec spec) {
        GatedResidualBlock b = GatedResidualBlock.builder().setGeometry(g).optGateSpec(spec)
                .optSeed(settings.seed()).build();
        b.initialize(manager, DataType.FLOAT32, new Shape(1, g.inChannels(), g.inHeight(), g.inWidth()));
        return b;
    }

    private static BlockExecutor executor(NDManager manager, ParameterStore ps, GatedResidualBlock b) {
        return BlockExecutor.builder().setBlock(b).setManager(manager).optParameterStore(ps).build();
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
     * Returns the median (mean of the middle two for an even count).
     *
     * @param v the values, non-empty
     * @return the median
     */
    public static double median(double[] v) {
        if (v == null || v.length == 0) {
            throw new IllegalArgumentException("v must not be empty");
        }
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /**
     * Describes this machine and engine for a profile or a report.
     *
     * @param mode the calibration grid label
     * @return the machine record
     */
    public static CpuLatencyProfile.Machine machine(String mode) {
        String t = System.getProperty("ai.djl.pytorch.num_threads");
        int threads = t == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(t.trim());
        String omp = System.getenv("OMP_WAIT_POLICY");
        return new CpuLatencyProfile.Machine(cpuModel(), Runtime.getRuntime().availableProcessors(), threads,
                omp == null || omp.isBlank() ? "unset" : omp,
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"), Engine.getDjlVersion(),
                Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion(),
                ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME), mode);
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
