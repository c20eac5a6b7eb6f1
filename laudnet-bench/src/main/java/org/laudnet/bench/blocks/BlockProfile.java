package org.laudnet.bench.blocks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
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
import org.laudnet.core.exec.PhaseTimer;
import org.laudnet.core.latency.cpu.CpuCalibrator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the time of one block call goes: runs the static block and the gated executors of each stage (LAYER,
 * SPATIAL S = 4 and 2, CHANNEL G = 4) at one density with a {@link PhaseTimer} attached, and reports the median
 * milliseconds of each phase (fastest run; gate, index, identity, conv1, gather, conv2, conv3, scatter) and of the whole call.
 *
 * <p>Each executor runs on a non-negative input imported once into its backend and handed over to every call
 * ({@link BlockExecutor#handOverInput}), restored between calls outside the timing, as a block runs inside a network:
 * no layout conversion is timed.
 *
 * <p>Masks are exact-fraction seeded masks as in {@link BlockBenchmark}; a LAYER call at batch 1 is profiled with
 * its sample open ({@code round(d * B)} open samples).
 */
public final class BlockProfile {

    private static final Logger LOG = LoggerFactory.getLogger(BlockProfile.class);

    /** Phase columns, in pipeline order. */
    public static final List<String> PHASES =
            List.of("gate", "index", "identity", "conv1", "gather", "conv2", "conv3", "scatter");

    /**
     * Median phase times of one configuration.
     *
     * @param stage ResNet-50 stage
     * @param mode gate mode (NONE for the static block)
     * @param granularity spatial S, groups G for CHANNEL, map size for LAYER, 0 for NONE
     * @param batch batch size
     * @param density imposed density
     * @param path the path taken most often
     * @param totalMs median wall clock of the call
     * @param minTotalMs fastest wall clock of the call
     * @param phases fastest milliseconds per phase (over the timed runs; the least disturbed by other processes)
     */
    public record Entry(int stage, GateMode mode, int granularity, int batch, double density, ExecutionPath path,
            double totalMs, double minTotalMs, Map<String, Double> phases) {}

    private BlockProfile() {}

    /**
     * Profiles each stage's static and gated blocks.
     *
     * @param stages stage shapes
     * @param batches batch sizes
     * @param density imposed density in (0, 1]
     * @param runs timed runs (median reported)
     * @param warmup untimed runs
     * @param seed weight and mask seed
     * @param policy path policy of the gated blocks: AUTO profiles what the executor chooses, SPARSE the sparse
     *     path even where the executor would fall back to dense
     * @param backends creates the engine backend the blocks run on (once; closed before returning)
     * @return the entries, in stage, mode, batch order
     * @throws IllegalArgumentException for a density outside (0, 1] or non-positive runs
     */
    public static List<Entry> run(List<BlockBenchmark.StageShape> stages, int[] batches, double density, int runs,
            int warmup, long seed, PathPolicy policy, Function<NDManager, Backend<?>> backends) {
        if (!(density > 0 && density <= 1)) {
            throw new IllegalArgumentException("density must lie in (0, 1], got " + density);
        }
        if (runs <= 0) {
            throw new IllegalArgumentException("runs must be positive, got " + runs);
        }
        List<Entry> out = new ArrayList<>();
        if (backends == null) {
            throw new IllegalArgumentException("backends must not be null");
        }
        try (NDManager manager = NDManager.newBaseManager(); Backend<?> backend = backends.apply(manager)) {
            ParameterStore ps = new ParameterStore(manager, false);
            for (BlockBenchmark.StageShape st : stages) {
                BlockGeometry g = BlockGeometry.bottleneck(st.inChannels(), st.width(), st.size(), 1);
                List<GateSpec> specs = new ArrayList<>();
                specs.add(GateSpec.none());
                specs.add(GateSpec.layer());
                for (int s : new int[] {4, 2}) {
                    if (st.size() % s == 0 && s < st.size()) {
                        specs.add(GateSpec.spatial(s));
                    }
                }
                specs.add(GateSpec.channel(4));
                for (GateSpec spec : specs) {
                    GatedResidualBlock b = GatedResidualBlock.builder().setGeometry(g).optGateSpec(spec)
                            .optSeed(seed).build();
                    b.initialize(manager, DataType.FLOAT32, new Shape(1, g.inChannels(), g.inHeight(), g.inWidth()));
                    try (BlockExecutor ex = BlockBenchmark.executor(manager, ps, backend, b)) {
                        ex.prepareChannelPatterns();
                        for (int batch : batches) {
                            ex.calibrate(batch);
                            Entry e = profile(manager, st, g, spec, ex, batch, density, runs, warmup, seed, policy);
                            LOG.info("profile stage {} {} batch {}: {} ms {} {}", e.stage(), e.mode(), batch,
                                    String.format(Locale.ROOT, "%.3f", e.totalMs()), e.path(), e.phases());
                            out.add(e);
                        }
                    }
                }
            }
        }
        return out;
    }

    private static Entry profile(NDManager manager, BlockBenchmark.StageShape st, BlockGeometry g, GateSpec spec,
            BlockExecutor ex, int batch, double density, int runs, int warmup, long seed, PathPolicy policy) {
        Random r = new Random(seed * 17 + st.stage() * 100L + batch);
        GateMode mode = spec.mode();
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = sub.randomNormal(0, 1, new Shape(batch, g.inChannels(), g.inHeight(), g.inWidth()),
                    DataType.FLOAT32).maximum(0f);
            NDArray sm = null;
            NDArray cm = null;
            if (mode.hasSpatialGate()) {
                int m = spec.maskSize(g.outHeight());
                boolean layer = mode == GateMode.LAYER;
                sm = sub.create(BlockBenchmark.exactMask(batch, m * m, density, layer, r),
                        new Shape(batch, 1, m, m));
            }
            if (mode.hasChannelGate()) {
                cm = sub.create(BlockBenchmark.exactMask(batch, spec.channelGroups(), density, false, r),
                        new Shape(batch, spec.channelGroups()));
            }
            PhaseTimer timer = new PhaseTimer();
            Map<String, double[]> phases = new LinkedHashMap<>();
            double[] total = new double[runs];
            Map<ExecutionPath, Integer> paths = new EnumMap<>(ExecutionPath.class);
            ex.setPhaseTimer(timer);
            // the input imported once and handed over: a call does what the block does inside a network
            try (BlockExecutor.ResidentInput in = ex.handOverInput(x)) {
                for (int i = -warmup; i < runs; i++) {
                    in.refresh();
                    timer.reset();
                    long t0 = System.nanoTime();
                    ExecutionReport rep = mode == GateMode.NONE
                            ? ex.run(in, PathPolicy.AUTO)
                            : ex.runWithMasks(in, sm, cm, policy, true);
                    long t1 = System.nanoTime();
                    if (i < 0) {
                        continue;
                    }
                    total[i] = (t1 - t0) / 1e6;
                    paths.merge(rep.path(), 1, Integer::sum);
                    for (Map.Entry<String, Double> e : timer.millis().entrySet()) {
                        phases.computeIfAbsent(e.getKey(), k -> new double[runs])[i] = e.getValue();
                    }
                }
            } finally {
                ex.setPhaseTimer(null);
            }
            Map<String, Double> med = new LinkedHashMap<>();
            for (String p : PHASES) {
                double[] v = phases.get(p);
                med.put(p, v == null ? 0.0 : Arrays.stream(v).min().orElse(0));
            }
            ExecutionPath path = paths.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            int gran = switch (mode) {
                case NONE -> 0;
                case LAYER -> g.outHeight();
                case CHANNEL, BOTH -> spec.channelGroups();
                default -> spec.spatialGranularity();
            };
            return new Entry(st.stage(), mode, gran, batch, density, path, CpuCalibrator.median(total),
                    Arrays.stream(total).min().orElse(0), med);
        }
    }

    /**
     * Renders the entries as a markdown section (one row per entry, one column per phase).
     *
     * @param entries the entries
     * @return the markdown text
     */
    public static String markdown(List<Entry> entries) {
        StringBuilder sb = new StringBuilder("## Where the time goes (fastest ms per phase, PhaseTimer)\n\n");
        sb.append("Phases: gate = maskers and the read-back of their decisions; index = mask read-back and host "
                + "index tables (cached per mask pattern); gather = sample, row or window gathers; scatter = writing "
                + "the branch into the output (for spatial paths: the gather of conv2 rows into conv3's dense input) "
                + "plus the final add and ReLU. A phase's time is the time of the engine operations issued in it; each phase "
                + "column is the fastest of the timed runs (the least disturbed by other processes on the shared "
                + "cores), total is the median (and fastest) wall clock of the whole call.\n\n");
        sb.append("| stage | mode | gran | batch | density | path | total (min) |");
        for (String p : PHASES) {
            sb.append(' ').append(p).append(" |");
        }
        sb.append("\n|---|---|---|---|---|---|---|");
        for (int i = 0; i < PHASES.size(); i++) {
            sb.append("---|");
        }
        sb.append('\n');
        for (Entry e : entries) {
            sb.append(String.format(Locale.ROOT, "| %d | %s | %d | %d | %.2f | %s | %.3f (%.3f) |", e.stage(),
                    e.mode(), e.granularity(), e.batch(), e.density(), e.path(), e.totalMs(), e.minTotalMs()));
            for (String p : PHASES) {
                sb.append(String.format(Locale.ROOT, " %.3f |", e.phases().getOrDefault(p, 0.0)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
