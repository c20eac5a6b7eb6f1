package org.laudnet.bench.latency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.BlockExecutor;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.latency.BlockLatencyQuery;
import org.laudnet.core.latency.cpu.CpuCalibrator;
import org.laudnet.core.latency.cpu.CpuLatencyModel;
import org.laudnet.core.latency.cpu.TimingProtocol;

/**
 * Validates a {@link CpuLatencyModel} against measured block latency on configurations that the calibration grid
 * does not contain: ResNet-50 identity bottlenecks of the four stages and one basic block, spatial granularities and
 * channel groups off the calibration grid (S = 8, 14; G = 16; spatial-and-channel with G = 8) or densities off it
 * (0.3, 0.5, 0.8), batch 1 and 8. A candidate whose realised query equals a calibration query is dropped.
 *
 * <p>Measured: on the backend the profile was measured on (the caller checks that), an executor per block, gate spec
 * and batch size with {@link PathPolicy#AUTO} (its own path calibration done before timing), maskers evaluated as in
 * an inference call, densities imposed by exact seeded masks, on a non-negative input imported once into the backend
 * and handed over to every call ({@link BlockExecutor#handOverInput}: no layout conversion or copy of the input is
 * timed, as inside a network); the configurations of one executor are the alternatives
 * of one {@link TimingProtocol} measurement, the protocol of the calibration: each timed call right after an untimed
 * call of the same configuration, rounds over the configurations, the median. Predicted: {@link
 * CpuLatencyModel#dynamicLatencyMs} of the realised query, and for diagnosis {@link CpuLatencyModel#pathLatencyMs} of
 * the path the executor actually took. Summary: mean absolute percentage error {@code MAPE = mean |p - m| / m} and the
 * Spearman rank correlation of predicted and measured latency (average ranks for ties).
 *
 * <p>Not thread-safe; {@link #run} runs on the calling thread.
 */
public final class LatencyValidation {

    /** Target total of the timed runs of one configuration, in ms (fast configurations get more runs). */
    public static final double TIMED_BUDGET_MS = 150;

    /** Validation densities, off the calibration grid. */
    public static final double[] DENSITIES = {0.3, 0.5, 0.8};

    /** The MAPE goal (a fraction). */
    public static final double MAPE_GOAL = 0.10;

    /** The Spearman goal. */
    public static final double SPEARMAN_GOAL = 0.95;

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
     * @param predictedMs the model's prediction (masker + fastest path)
     * @param measuredMs the measured latency: the mean of the passes' medians
     * @param predictedPath the path the model predicts
     * @param measuredPath the path the executor took most often, over all passes
     * @param takenPathPredictedMs the model's prediction of the path the executor took (masker included)
     * @param passMs the median of each pass, in order (one value for a single pass)
     */
    public record Row(String block, GateMode mode, int granularity, int groups, int batch, double density,
            double channelDensity, double predictedMs, double measuredMs, String predictedPath, String measuredPath,
            double takenPathPredictedMs, List<Double> passMs) {

        /** Copies the pass medians (a null list is the measured value alone). */
        public Row {
            passMs = passMs == null ? List.of(measuredMs) : List.copyOf(passMs);
        }

        /** A row of one pass. */
        public Row(String block, GateMode mode, int granularity, int groups, int batch, double density,
                double channelDensity, double predictedMs, double measuredMs, String predictedPath,
                String measuredPath, double takenPathPredictedMs) {
            this(block, mode, granularity, groups, batch, density, channelDensity, predictedMs, measuredMs,
                    predictedPath, measuredPath, takenPathPredictedMs, List.of(measuredMs));
        }

        /**
         * Returns the spread of the passes' medians relative to their mean, {@code (max - min) / mean} (for two passes
         * {@code |m1 - m2| / mean}); 0 for one pass.
         */
        public double passSpread() {
            double max = passMs.stream().mapToDouble(Double::doubleValue).max().orElse(0);
            double min = passMs.stream().mapToDouble(Double::doubleValue).min().orElse(0);
            double mean = passMs.stream().mapToDouble(Double::doubleValue).average().orElse(0);
            return mean > 0 ? (max - min) / mean : 0;
        }
        /** Returns {@code |predicted - measured| / measured}. */
        public double absoluteRelativeError() {
            return Math.abs(predictedMs - measuredMs) / measuredMs;
        }

        /** Returns {@code (predicted - measured) / measured}. */
        public double signedRelativeError() {
            return (predictedMs - measuredMs) / measuredMs;
        }

        /** Returns {@code |taken path's prediction - measured| / measured}. */
        public double takenPathAbsoluteRelativeError() {
            return Math.abs(takenPathPredictedMs - measuredMs) / measuredMs;
        }

        /** Returns whether the model's predicted path is the path the executor took. */
        public boolean pathAgrees() {
            return predictedPath.equals(measuredPath);
        }
    }

    private final TimingProtocol protocol;
    private final long seed;
    private final Function<NDManager, Backend<?>> backends;
    private final Consumer<String> progress;

    /**
     * Creates a validation run.
     *
     * @param runs timed runs per configuration
     * @param warmup untimed rounds per executor
     * @param seed seed of weights, inputs and masks
     * @param backends creates the backend to measure under a manager (once per executor; the run closes each)
     * @param progress receives one line per executor
     */
    public LatencyValidation(int runs, int warmup, long seed, Function<NDManager, Backend<?>> backends,
            Consumer<String> progress) {
        if (runs <= 0 || warmup < 0) {
            throw new IllegalArgumentException("runs must be positive and warmup non-negative, got " + runs + ", "
                    + warmup);
        }
        if (backends == null || progress == null) {
            throw new IllegalArgumentException("backends and progress must not be null");
        }
        this.protocol = new TimingProtocol(runs, warmup, TIMED_BUDGET_MS);
        this.seed = seed;
        this.backends = backends;
        this.progress = progress;
    }

    /** Returns the timing protocol (runs, warm-up rounds, budget). */
    public TimingProtocol protocol() {
        return protocol;
    }

    /**
     * Returns the validation configurations minus those whose realised query coincides with a calibration query of
     * the full grid.
     *
     * @return the points, grouped by block and spec
     */
    public static List<Point> points() {
        return points(false);
    }

    /**
     * Returns the validation configurations minus those whose realised query coincides with a calibration query of
     * the full grid; the quick set (for checking that the command works) keeps density 0.5 of the stage-2
     * bottleneck and the basic block only.
     *
     * @param quick whether to return the quick set
     * @return the points, grouped by block and spec
     */
    public static List<Point> points(boolean quick) {
        Set<BlockLatencyQuery> calibration =
                new CpuCalibrator(CpuCalibrator.Settings.defaults(false), s -> { }).calibrationQueries();
        List<BlockGeometry> blocks = quick
                ? List.of(BlockGeometry.bottleneck(512, 128, 28, 1), BlockGeometry.basic(256, 256, 14, 1))
                : List.of(
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
                    double[] densities = spec.mode() == GateMode.BOTH || quick ? new double[] {0.5} : DENSITIES;
                    for (double d : densities) {
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
     * Measures every point in {@code passes} passes over all points (each pass with fresh executors, their own path
     * calibration and the same seeded masks, so that the passes lie minutes apart) and predicts it: the row's measured
     * latency is the mean of the passes' medians, and their spread ({@link Row#passSpread}) shows how far two
     * measurements of one configuration on this machine differ.
     *
     * @param model the model under test (of the profile of the backend measured)
     * @param points the configurations
     * @param passes passes over all points, at least 1
     * @return one row per point
     */
    public List<Row> run(CpuLatencyModel model, List<Point> points, int passes) {
        if (passes < 1) {
            throw new IllegalArgumentException("passes must be at least 1, got " + passes);
        }
        List<List<TimingProtocol.Result>> results = new ArrayList<>();
        for (int pass = 1; pass <= passes; pass++) {
            results.add(measure(points, pass, passes));
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            List<TimingProtocol.Result> ofPoint = new ArrayList<>();
            for (List<TimingProtocol.Result> pass : results) {
                ofPoint.add(pass.get(i));
            }
            rows.add(row(model, points.get(i).geometry(), points.get(i).query(), ofPoint));
        }
        return rows;
    }

    /** One pass: the results of every point, in the order of {@code points}. */
    private List<TimingProtocol.Result> measure(List<Point> points, int pass, int passes) {
        Map<String, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < points.size(); i++) {
            Point p = points.get(i);
            groups.computeIfAbsent(p.geometry() + "|" + p.spec() + "|" + p.batch(), k -> new ArrayList<>()).add(i);
        }
        TimingProtocol.Result[] out = new TimingProtocol.Result[points.size()];
        Random r = new Random(seed);
        try (NDManager manager = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(manager, false);
            for (List<Integer> indices : groups.values()) {
                List<Point> group = indices.stream().map(points::get).toList();
                Point first = group.get(0);
                BlockGeometry g = first.geometry();
                int batch = first.batch();
                try (NDManager sub = manager.newSubManager(); Backend<?> backend = backends.apply(sub)) {
                    GatedResidualBlock block = GatedResidualBlock.builder().setGeometry(g)
                            .optGateSpec(first.spec()).optSeed(seed).build();
                    block.initialize(sub, DataType.FLOAT32, new Shape(1, g.inChannels(), g.inHeight(),
                            g.inWidth()));
                    try (BlockExecutor ex = BlockExecutor.builder().setBlock(block).setManager(sub)
                            .optParameterStore(ps).optBackend(backend).build()) {
                        ex.calibrate(batch);
                        ex.prepareChannelPatterns();
                        NDArray x = sub.randomNormal(new Shape(batch, g.inChannels(), g.inHeight(), g.inWidth()))
                                .maximum(0f);
                        List<TimingProtocol.Result> res;
                        try (BlockExecutor.ResidentInput in = ex.handOverInput(x)) {
                            List<TimingProtocol.Call> calls = new ArrayList<>();
                            for (Point p : group) {
                                NDArray[] m = masks(sub, p, r);
                                calls.add(TimingProtocol.Call.of(in::refresh,
                                        () -> ex.runWithMasks(in, m[0], m[1], PathPolicy.AUTO, true).path().name()));
                            }
                            res = protocol.measure(calls);
                        }
                        for (int i = 0; i < group.size(); i++) {
                            out[indices.get(i)] = res.get(i);
                        }
                    }
                }
                progress.accept(String.format(Locale.ROOT, "%s%s %s batch %d: %d configurations",
                        passes > 1 ? "pass " + pass + "/" + passes + ": " : "", label(g), first.spec().mode(), batch,
                        group.size()));
            }
        }
        return List.of(out);
    }

    private static Row row(CpuLatencyModel model, BlockGeometry g, BlockLatencyQuery q,
            List<TimingProtocol.Result> passes) {
        Map<String, Integer> labels = new TreeMap<>();
        List<Double> medians = new ArrayList<>();
        for (TimingProtocol.Result res : passes) {
            res.labels().forEach((k, v) -> labels.merge(k, v, Integer::sum));
            medians.add(res.medianMs());
        }
        String taken = labels.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
        double takenMs;
        try {
            takenMs = model.pathLatencyMs(CpuLatencyModel.termOf(taken, q), q);
        } catch (IllegalArgumentException e) {
            // a path the profile does not describe (another backend's schedule): no prediction of it
            takenMs = Double.NaN;
        }
        return new Row(label(g), q.mode(), q.mode() == GateMode.LAYER ? g.outHeight() : q.spatialGranularity(),
                q.channelGroups(), q.batchSize(), q.mode() == GateMode.CHANNEL ? 1 : q.density(), q.channelDensity(),
                model.dynamicLatencyMs(q), medians.stream().mapToDouble(Double::doubleValue).average().orElseThrow(),
                model.predictedPath(q).executionPath(), taken, takenMs, medians);
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

    static String label(BlockGeometry g) {
        return String.format(Locale.ROOT, "%s %d-%d-%d @%d", g.type() == BlockType.BASIC ? "basic" : "bottleneck",
                g.inChannels(), g.width(), g.outChannels(), g.inHeight());
    }

    /**
     * Returns the mean over rows of {@link Row#passSpread}: how far the passes' medians of one configuration differ,
     * relative to their mean (0 for single-pass rows).
     *
     * @param rows the rows
     * @return the mean spread
     * @throws IllegalArgumentException for no rows
     */
    public static double meanPassSpread(List<Row> rows) {
        if (rows == null || rows.isEmpty()) {
            throw new IllegalArgumentException("rows must not be empty");
        }
        return rows.stream().mapToDouble(Row::passSpread).average().orElseThrow();
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
     * Returns the mean signed relative error {@code mean (p - m) / m}: the model's bias (negative: it predicts too
     * little).
     *
     * @param rows the rows, non-empty
     * @return the bias (a fraction)
     */
    public static double bias(List<Row> rows) {
        if (rows == null || rows.isEmpty()) {
            throw new IllegalArgumentException("rows must not be empty");
        }
        return rows.stream().mapToDouble(Row::signedRelativeError).average().orElseThrow();
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
}
