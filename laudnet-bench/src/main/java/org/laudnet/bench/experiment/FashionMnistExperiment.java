package org.laudnet.bench.experiment;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Batch;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.laudnet.bench.viz.AccuracyLatencyPlot;
import org.laudnet.bench.viz.MaskGrid;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.BlockResult;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.exec.Backends;
import org.laudnet.core.exec.ExecutorOptions;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.latency.cpu.CpuCalibrator;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.models.data.IdxDataset;
import org.laudnet.models.data.IdxImages;
import org.laudnet.models.data.Normalization;
import org.laudnet.models.latency.LatencyMeter;
import org.laudnet.models.latency.MeasuredBlockLatency;
import org.laudnet.models.train.CostModel;
import org.laudnet.models.train.FineTuneConfig;
import org.laudnet.models.train.LatencyCostModel;
import org.laudnet.models.train.LaudTrainer;
import org.laudnet.models.train.LossConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Fashion-MNIST experiment: trains the static network of {@link FashionMnistNets}, fine-tunes a LAUD variant per
 * (mode, target, cost) from it (the cost model of the latency-cost variants is measured on this machine by
 * {@link MeasuredBlockLatency} before their training) with knowledge distillation (teacher = the static network,
 * loss of method section 3, gate
 * schedules of {@link GateSchedules}), and measures each network: top-1 on the test images, eval MACs ratio, density
 * per stage, and eval latency through the inference engine ({@link PlanRuntime} and {@link NetworkExecutor} on the
 * fastest CPU backend) at batch 1 and 64, interleaved with the static network in the same process (medians after
 * warm-up). Writes {@code fashion-mnist.md}, {@code fashion-mnist-accuracy-latency.png} and
 * {@code fashion-mnist-masks.png} into the output directory.
 */
public final class FashionMnistExperiment {

    private static final Logger LOG = LoggerFactory.getLogger(FashionMnistExperiment.class);

    /** Name of the report file. */
    public static final String REPORT = "fashion-mnist.md";
    /** Name of the accuracy/latency plot. */
    public static final String PLOT = "fashion-mnist-accuracy-latency.png";
    /** Name of the mask picture. */
    public static final String MASKS = "fashion-mnist-masks.png";

    private static final int EVAL_BATCH = 250;
    /** Batch size of the measured latency tables of the latency-cost variants (the batch-64 latency column). */
    public static final int LATENCY_TABLE_BATCH = 64;
    private static final int LATENCY_TABLE_INTERVALS = 8;

    /**
     * The outcome of a run.
     *
     * @param config the settings
     * @param staticModel the static network's measurements (ratios 1)
     * @param dynamic one result per (mode, target), in the config's order
     * @param machine CPU and runtime description
     * @param threads intra-op threads of the engine
     * @param totalSeconds wall time of the run
     * @param loadBefore the 1, 5 and 15 minute load averages just before the run started
     * @param report the markdown report
     * @param plot the accuracy/latency PNG
     * @param masks the mask PNG
     */
    public record Result(
            ExperimentConfig config,
            ModelResult staticModel,
            List<ModelResult> dynamic,
            String machine,
            int threads,
            double totalSeconds,
            String loadBefore,
            Path report,
            Path plot,
            Path masks) {}

    private final ExperimentConfig config;
    private final Consumer<String> progress;

    /**
     * Creates the experiment.
     *
     * @param config the settings
     * @param progress receives progress lines (e.g. printed by the command line)
     */
    public FashionMnistExperiment(ExperimentConfig config, Consumer<String> progress) {
        if (config == null || progress == null) {
            throw new IllegalArgumentException("config and progress must not be null");
        }
        this.config = config;
        this.progress = progress;
    }

    /**
     * Runs the experiment and writes its files.
     *
     * @return the measurements and the written files
     * @throws IOException if the data cannot be read or a file cannot be written
     * @throws TranslateException if a dataset cannot batch its records
     */
    public Result run() throws IOException, TranslateException {
        long t0 = System.nanoTime();
        String loadBefore = ResultsReport.loadAverage();
        Files.createDirectories(config.outDir());
        Engine.getInstance().setRandomSeed((int) config.seed());
        IdxDataset train = subset(config.dataDir(), true, config.trainImages(), config.batch(), true);
        IdxDataset test = subset(config.dataDir(), false, config.testImages(), EVAL_BATCH, false);
        int steps = (int) Math.ceil(train.size() / (double) config.batch());
        progress.accept(String.format("data: %d training images, %d test images, batch %d (%d steps per epoch)",
                train.size(), test.size(), config.batch(), steps));

        GatedBackbone staticNet = FashionMnistNets.build(GateMode.NONE, GumbelTemperature.constant(1f), config.seed());
        List<ModelResult> dynamic = new ArrayList<>();
        MaskGrid.Data maskData = null;
        AccuracyLatencyPlot plotData = new AccuracyLatencyPlot("Fashion-MNIST: top-1 vs measured CPU latency");
        ModelResult staticResult;
        try (NDManager base = NDManager.newBaseManager();
                LaudTrainer staticTrainer = trainer(staticNet, null, null, config.staticEpochs(), steps, 1f,
                        "static")) {
            long ts = System.nanoTime();
            staticTrainer.fit(train, null);
            double staticSeconds = (System.nanoTime() - ts) / 1e9;
            Batch probe = firstBatch(test, base);
            NDArray images = probe.getData().head();
            Evaluation se = evaluate(staticNet, test);
            progress.accept(String.format("static: top-1 %.4f on %d test images (%.0f s)", se.top1, test.size(),
                    staticSeconds));
            ExperimentConfig.Variant maskVariant = maskVariant();
            Map<GateMode, LatencyCostModel> latencyCosts = new EnumMap<>(GateMode.class);
            for (ExperimentConfig.Variant v : config.variants()) {
                GateMode mode = v.mode();
                float target = v.target();
                String name = v.name();
                int total = config.fineTuneEpochs() * steps;
                GumbelTemperature tau = GateSchedules.annealed(total);
                GatedBackbone net = FashionMnistNets.build(mode, tau, config.seed() + 101,
                        config.channelMaskPlacement());
                CostModel cost = v.cost() == TrainingCost.LATENCY
                        ? latencyCosts.computeIfAbsent(mode, this::measuredLatencyCost)
                        : null;
                long tf = System.nanoTime();
                try (LaudTrainer tr = trainer(net, tau, staticNet, config.fineTuneEpochs(), steps, target, name,
                        cost)) {
                    FashionMnistNets.copyParameters(staticNet, net);
                    tr.fit(train, null);
                    double seconds = (System.nanoTime() - tf) / 1e9;
                    Evaluation e = evaluate(net, test);
                    Latency lat = measure(staticNet, net, images, base);
                    ModelResult r = new ModelResult(name, mode, target, v.cost(), e.top1, e.ratio, e.stageDensity,
                            lat.ms1, lat.ratio1, lat.ms64, lat.ratio64, lat.maxDiff, seconds, lat.ref1,
                            lat.ref64, lat.paths64);
                    dynamic.add(r);
                    progress.accept(String.format("%s: top-1 %.4f (static %.4f), MACs ratio %.3f, density per"
                                    + " stage %s, latency ratio %.2f (batch 1) / %.2f (batch 64)", name, e.top1,
                            se.top1, e.ratio, format(e.stageDensity), lat.ratio1, lat.ratio64));
                    if (v.equals(maskVariant)) {
                        maskData = maskData(net, images, name);
                    }
                }
            }
            double[] ref1 = dynamic.stream().mapToDouble(ModelResult::staticMsBatch1).toArray();
            double[] ref64 = dynamic.stream().mapToDouble(ModelResult::staticMsBatch64).toArray();
            double ms1 = CpuCalibrator.median(ref1);
            double ms64 = CpuCalibrator.median(ref64);
            staticResult = new ModelResult("static", GateMode.NONE, 1f, TrainingCost.MACS, se.top1, se.ratio,
                    se.stageDensity,
                    ms1, 1, ms64, 1, 0, staticSeconds, ms1, ms64, "DENSE");
        }
        double totalSeconds = (System.nanoTime() - t0) / 1e9;
        Path plot = config.outDir().resolve(PLOT);
        plotData.add("static", "static", 1, staticResult.top1(), 1, staticResult.top1());
        for (ModelResult r : dynamic) {
            plotData.add(r.mode().name().toLowerCase() + r.cost().nameSuffix(), String.format("t=%.2f", r.target()),
                    r.latencyRatio1(),
                    r.top1(), r.latencyRatio64(), r.top1());
        }
        plotData.write(plot, 900, 600);
        Path masks = config.outDir().resolve(MASKS);
        if (maskData != null) {
            MaskGrid.write(masks, maskData, 4);
        }
        Result result = new Result(config, staticResult, List.copyOf(dynamic), machine() + ", engine backend "
                + latencyBackend(), threads(), totalSeconds,
                loadBefore,
                config.outDir().resolve(REPORT), plot, maskData == null ? null : masks);
        Files.writeString(result.report(), ResultsReport.markdown(result));
        LOG.debug("experiment finished in {} s, report {}", String.format(Locale.ROOT, "%.1f", totalSeconds),
                result.report());
        return result;
    }

    /**
     * The variant whose masks are pictured: a spatial MACs variant with the target closest to 0.5 (its masks show
     * pixels), else the first variant.
     */
    private ExperimentConfig.Variant maskVariant() {
        List<ExperimentConfig.Variant> all = config.variants();
        ExperimentConfig.Variant best = null;
        for (ExperimentConfig.Variant v : all) {
            if (v.mode() == GateMode.SPATIAL && v.cost() == TrainingCost.MACS
                    && (best == null || Math.abs(v.target() - 0.5f) < Math.abs(best.target() - 0.5f))) {
                best = v;
            }
        }
        return best != null ? best : all.get(0);
    }

    /**
     * Measures the latency tables of the blocks of a network with the given gates at batch
     * {@value #LATENCY_TABLE_BATCH} through the inference engine (on a freshly initialised copy: the weights do not
     * matter, the gates and shapes do) and returns the latency cost model on them.
     */
    private LatencyCostModel measuredLatencyCost(GateMode mode) {
        long t = System.nanoTime();
        int runs = Math.max(3, config.latencyRuns() / 10);
        GatedBackbone net = FashionMnistNets.build(mode, GumbelTemperature.constant(1f), config.seed(),
                config.channelMaskPlacement());
        MeasuredBlockLatency tables;
        try (NDManager m = NDManager.newBaseManager()) {
            net.initialize(m, DataType.FLOAT32, new Shape(1, 1, net.getInputSize(), net.getInputSize()));
            tables = MeasuredBlockLatency.measure(net, LATENCY_TABLE_BATCH, LATENCY_TABLE_INTERVALS, runs,
                    config.seed());
        }
        LatencyCostModel cost = LatencyCostModel.of(tables);
        StringBuilder sb = new StringBuilder();
        for (int b = 0; b < cost.numBlocks(); b++) {
            double half = net.getBlocks().get(b).getGateSpec().mode().hasSpatialGate() ? cost.dynamicCost(b, 0.5, 1)
                    : cost.dynamicCost(b, 1, 0.5);
            sb.append(b == 0 ? "" : " ").append(String.format("%.2f/%.2f", half, cost.denseCost(b)));
        }
        progress.accept(String.format("latency cost for %s gates: block tables measured at batch %d (%d knots, %d"
                        + " runs each) in %.0f s; per block ms at density 0.5 / static: %s; stem and head %.2f ms",
                mode.name().toLowerCase(), LATENCY_TABLE_BATCH,
                LATENCY_TABLE_INTERVALS + 1, runs, (System.nanoTime() - t) / 1e9, sb, cost.fixedCost()));
        return cost;
    }

    private LaudTrainer trainer(GatedNetwork net, GumbelTemperature tau, GatedNetwork teacher, int epochs, int steps,
            float target, String label) {
        return trainer(net, tau, teacher, epochs, steps, target, label, null);
    }

    private LaudTrainer trainer(GatedNetwork net, GumbelTemperature tau, GatedNetwork teacher, int epochs, int steps,
            float target, String label, CostModel cost) {
        LossConfig loss = teacher == null
                ? new LossConfig(0f, 1f, 0f, 1f, 0f, epochs)
                : LossConfig.paper(target, epochs).withForm(config.lossForm());
        FineTuneConfig ft = teacher == null
                ? FineTuneConfig.adamW(epochs, steps, 3e-3f).withMultipliers(1f, 1f)
                : FineTuneConfig.adamW(epochs, steps, 1e-3f).withMultipliers(1f, 10f);
        ProgressPrinter printer = new ProgressPrinter(label, steps, 0, epochs, progress);
        LaudTrainer.Builder b = LaudTrainer.builder()
                .setNetwork(net)
                .setLoss(loss)
                .setConfig(ft)
                .addTrainingListener(printer);
        if (tau != null) {
            b.optTemperature(tau);
        }
        if (teacher != null) {
            b.optTeacher(teacher);
        }
        if (cost != null) {
            b.optCostModel(cost);
            printer.setCostName(cost instanceof LatencyCostModel ? "latency" : "cost");
        }
        LaudTrainer tr = b.build();
        printer.setOwner(tr);
        return tr;
    }

    /**
     * Reads the first {@code count} images of a Fashion-MNIST split.
     *
     * @param dir data directory
     * @param train training or test split
     * @param count images kept (all if larger than the split)
     * @param batch batch size
     * @param shuffle seeded shuffle per epoch (training) or sequential order
     * @return the dataset, normalised with the Fashion-MNIST statistics
     * @throws IOException if a file is missing or malformed
     */
    static IdxDataset subset(Path dir, boolean train, int count, int batch, boolean shuffle) throws IOException {
        IdxDataset full = IdxDataset.builder().setDirectory(dir, train).optShuffle(batch, 1).build();
        IdxImages im = full.getImages();
        int n = Math.min(count, im.count());
        int px = im.rows() * im.cols();
        byte[] pixels = Arrays.copyOf(im.pixels(), n * px);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = full.label(i);
        }
        IdxDataset.Builder b = IdxDataset.builder()
                .setData(new IdxImages(n, im.rows(), im.cols(), pixels), labels)
                .optNormalization(Normalization.fashionMnist());
        if (shuffle) {
            b.optShuffle(batch, 1);
        } else {
            b.setSampling(batch, false);
        }
        return b.build();
    }

    private static Batch firstBatch(IdxDataset test, NDManager manager) throws IOException, TranslateException {
        return test.getData(manager).iterator().next();
    }

    private record Evaluation(double top1, double ratio, List<Double> stageDensity) {}

    private Evaluation evaluate(GatedNetwork net, IdxDataset test) throws IOException, TranslateException {
        int stages = net.getStages().size();
        double[] density = new double[stages];
        long n = 0;
        long correct = 0;
        double ratio = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            for (Batch batch : test.getData(m)) {
                try (NDManager sub = m.newSubManager()) {
                    NDArray x = batch.getData().head();
                    x.attach(sub);
                    NetworkResult r = net.run(ps, x, false);
                    long b = r.logits().getShape().get(0);
                    long[] pred = r.logits().argMax(1).toLongArray();
                    float[] labels = batch.getLabels().head().toFloatArray();
                    for (int i = 0; i < pred.length; i++) {
                        if (pred[i] == (long) labels[i]) {
                            correct++;
                        }
                    }
                    n += b;
                    ratio += b * r.dynamicMacs().getFloat() / net.staticMacs();
                    int blockIndex = 0;
                    for (int s = 0; s < stages; s++) {
                        int k = net.getStages().get(s).blocks();
                        double sum = 0;
                        for (int j = 0; j < k; j++) {
                            NetworkResult.BlockDensityResult d = r.blocks().get(blockIndex++);
                            sum += d.d3().getFloat() * d.dc().getFloat();
                        }
                        density[s] += b * sum / k;
                    }
                } finally {
                    batch.close();
                }
            }
        }
        List<Double> dens = new ArrayList<>();
        for (double d : density) {
            dens.add(d / n);
        }
        return new Evaluation(correct / (double) n, ratio / n, List.copyOf(dens));
    }

    private record Latency(double ms1, double ratio1, double ms64, double ratio64, double maxDiff, double ref1,
            double ref64, String paths64) {}

    private Latency measure(GatedNetwork reference, GatedNetwork candidate, NDArray images, NDManager base) {
        int b64 = (int) Math.min(64, images.getShape().get(0));
        ExecutorOptions options = ExecutorOptions.defaults().withPolicy(config.policy());
        try (NDManager m = base.newSubManager();
                PlanRuntime<?> refRuntime = PlanRuntime.create(InferencePlan.of(reference), Backends.createFastestCpu(m));
                PlanRuntime<?> candRuntime = PlanRuntime.create(InferencePlan.of(candidate),
                        Backends.createFastestCpu(m));
                NetworkExecutor ref = refRuntime.newExecutor(options);
                NetworkExecutor cand = candRuntime.newExecutor(options)) {
            NDArray x1 = images.get("0:1");
            NDArray x64 = images.get("0:" + b64);
            x1.attach(m);
            x64.attach(m);
            if (config.policy() == PathPolicy.AUTO) {
                refRuntime.calibrate(1, b64);
                candRuntime.calibrate(1, b64);
            }
            double maxDiff;
            try (NDManager sub = m.newSubManager()) {
                NDArray x = x64.duplicate();
                x.attach(sub);
                NDArray sparse = cand.run(x).logits();
                NDArray dense = candidate.run(new ParameterStore(sub, false), x, false).logits();
                maxDiff = sparse.sub(dense).abs().max().getFloat();
            }
            int runs = config.latencyRuns();
            Duration warmup = latencyWarmup(runs);
            LatencyMeter.Pair p1 = LatencyMeter.interleaved(() -> once(ref, x1, m), () -> once(cand, x1, m),
                    Math.max(2, runs / 5), runs, warmup);
            int runs64 = Math.max(3, runs / 3);
            LatencyMeter.Pair p64 = LatencyMeter.interleaved(() -> once(ref, x64, m), () -> once(cand, x64, m),
                    2, runs64, warmup);
            LOG.debug("latency warm-up: {} rounds at batch 1, {} at batch {} ({} s each at least)", p1.warmupRounds(),
                    p64.warmupRounds(), b64, warmup.toMillis() / 1e3);
            String paths;
            try (NDManager sub = m.newSubManager()) {
                NDArray x = x64.duplicate();
                x.attach(sub);
                paths = String.join(",", cand.run(x).report().paths().stream().map(Enum::name).toList());
            }
            return new Latency(p1.medianB(), p1.ratio(), p64.medianB(), p64.ratio(), maxDiff, p1.medianA(),
                    p64.medianA(), paths);
        }
    }

    /**
     * The least warm-up time of each latency measurement: {@code latencyRuns x 100 ms}, within 0.3-5 s (the demo: 3 s).
     * A network of this size runs in about a millisecond at batch 1; in its first seconds the JVM still compiles the
     * engine's host code, which on a 2-core machine slows the calls several-fold (see {@link LatencyMeter}).
     *
     * @param latencyRuns the configured timed rounds at batch 1
     * @return the warm-up time
     */
    static Duration latencyWarmup(int latencyRuns) {
        return Duration.ofMillis(Math.max(300, Math.min(5000, 100L * latencyRuns)));
    }

    private static void once(NetworkExecutor net, NDArray x, NDManager parent) {
        try (NDManager sub = parent.newSubManager()) {
            NDArray xs = x.duplicate();
            xs.attach(sub);
            net.run(xs).logits().toFloatArray();
        }
    }

    private MaskGrid.Data maskData(GatedNetwork net, NDArray images, String name) {
        int n = (int) Math.min(config.maskImages(), images.getShape().get(0));
        int stages = net.getStages().size();
        int side = net.getInputSize();
        float[][] pics = new float[n][];
        float[][][] masks = new float[n][stages][];
        int[] sides = new int[stages];
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = images.get("0:" + n).duplicate();
            x.attach(m);
            float[] raw = x.toFloatArray();
            for (int i = 0; i < n; i++) {
                pics[i] = Arrays.copyOfRange(raw, i * side * side, (i + 1) * side * side);
            }
            ParameterStore ps = new ParameterStore(m, false);
            NDArray h = net.runStem(ps, x, false);
            int blockIndex = 0;
            for (int s = 0; s < stages; s++) {
                int k = net.getStages().get(s).blocks();
                float[][] sum = null;
                for (int j = 0; j < k; j++) {
                    AbstractGatedBlock block = net.getBlocks().get(blockIndex++);
                    BlockResult r = block.run(ps, h, false);
                    h = r.output();
                    float[][] cell = stageMask(r, n, block.getGeometry().outHeight());
                    sides[s] = (int) Math.round(Math.sqrt(cell[0].length));
                    if (sum == null) {
                        sum = cell;
                    } else {
                        for (int i = 0; i < n; i++) {
                            for (int q = 0; q < cell[i].length; q++) {
                                sum[i][q] += cell[i][q];
                            }
                        }
                    }
                }
                for (int i = 0; i < n; i++) {
                    for (int q = 0; q < sum[i].length; q++) {
                        sum[i][q] /= k;
                    }
                    masks[i][s] = sum[i];
                }
            }
        }
        return new MaskGrid.Data(name, pics, side, masks, sides);
    }

    /** Per image the fraction of the block's output computed at each mask cell (channel density for CHANNEL). */
    private static float[][] stageMask(BlockResult r, int n, int outSide) {
        float[][] out = new float[n][];
        if (r.spatialMask().isPresent()) {
            NDArray mask = r.spatialMask().get();
            int m = (int) mask.getShape().get(2);
            float[] v = mask.toFloatArray();
            float dc = r.channelMask().isPresent() ? -1 : 1;
            for (int i = 0; i < n; i++) {
                out[i] = Arrays.copyOfRange(v, i * m * m, (i + 1) * m * m);
                if (dc < 0) {
                    float c = r.channelMask().get().get(i).mean().getFloat();
                    for (int q = 0; q < out[i].length; q++) {
                        out[i][q] *= c;
                    }
                }
            }
        } else if (r.channelMask().isPresent()) {
            NDArray cm = r.channelMask().get();
            for (int i = 0; i < n; i++) {
                out[i] = new float[] {cm.get(i).mean().getFloat()};
            }
        } else {
            for (int i = 0; i < n; i++) {
                out[i] = new float[] {1f};
            }
        }
        return out;
    }

    private static String format(List<Double> d) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < d.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format("%.2f", d.get(i)));
        }
        return sb.append(']').toString();
    }

    /**
     * Describes the machine: CPU model, cores, OS and Java version.
     *
     * @return one line
     */
    public static String machine() {
        String cpu = "unknown CPU";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).trim();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("no /proc/cpuinfo: {}", e.toString());
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores visible, "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", Java "
                + System.getProperty("java.version");
    }

    /**
     * Returns the id of the backend the latencies are measured on: the fastest CPU backend available here
     * ({@link Backends#createFastestCpu}: {@code onednn} where its natives load, else {@code djl-cpu}), the one a
     * user's {@code AUTO} executor gets.
     */
    static String latencyBackend() {
        try (NDManager m = NDManager.newBaseManager(); var b = Backends.createFastestCpu(m)) {
            return b.id();
        }
    }

    /**
     * Returns the engine's intra-op threads: {@code ai.djl.pytorch.num_threads} if set, else the visible cores.
     *
     * @return the thread count
     */
    public static int threads() {
        String t = System.getProperty("ai.djl.pytorch.num_threads");
        try {
            return t == null ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(t.trim());
        } catch (NumberFormatException e) {
            return Runtime.getRuntime().availableProcessors();
        }
    }
}
