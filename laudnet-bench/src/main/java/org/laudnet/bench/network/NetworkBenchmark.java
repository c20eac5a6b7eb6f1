package org.laudnet.bench.network;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.laudnet.bench.blocks.BlockBenchmark;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.Backends;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.GateOverride;
import org.laudnet.core.exec.GateReport;
import org.laudnet.core.exec.NetworkExecution;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PhaseTimer;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.latency.cpu.CpuCalibrator;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.plan.InferencePlan;

/**
 * Whole-network CPU latency of a gated network at imposed per-block densities (method section 4): for each mode, batch
 * size and density, the gated network through the engine's executors ({@link PathPolicy#AUTO}, maskers included, their
 * decisions replaced by {@link GateOverride#density} masks), the static network through the same executors, the plain
 * DJL forward of the static network (its own eager DJL/PyTorch blocks, what a user would run instead) and optionally an
 * ONNX Runtime peer run interleaved in rounds ({@link InterleavedRounds}: per round and engine an untimed primer call,
 * then {@value InterleavedRounds#TIMED_PER_ROUND} timed calls, each call after a {@value Settle#MILLIS} ms pause), so
 * that no timed call follows another engine's work; the medians give the ratios. A per-phase
 * profile (engine {@link PhaseTimer} summed over the blocks of one call, fastest of the timed calls) at one density and
 * batch 1 shows where each mode's time goes.
 *
 * <p>Not thread-safe; one benchmark runs at a time.
 */
public final class NetworkBenchmark {

    /** Input side (ImageNet). */
    public static final int INPUT = 224;

    /**
     * Benchmark settings.
     *
     * @param arch the architecture
     * @param batches batch sizes
     * @param densities imposed densities in (0, 1]
     * @param modes gate modes
     * @param runs timed calls per engine and row (medians)
     * @param warmup untimed rounds per row
     * @param seed weight, input and mask seed
     * @param backendId the engine backend ({@link Backends#create(String, NDManager)})
     * @param peerOnnx an ONNX file of the same static network for the ONNX Runtime peer, or null
     * @param profileDensity the density of the per-phase profile, or NaN for none
     */
    public record Config(NetworkArch arch, int[] batches, double[] densities, List<NetworkMode> modes, int runs,
            int warmup, long seed, String backendId, Path peerOnnx, double profileDensity) {
        /** Validates the settings. */
        public Config {
            if (arch == null || modes == null || modes.isEmpty() || backendId == null) {
                throw new IllegalArgumentException("arch, modes and backendId must be given");
            }
            if (runs <= 0 || warmup < 0) {
                throw new IllegalArgumentException("runs must be positive and warmup non-negative, got " + runs
                        + ", " + warmup);
            }
            if (batches == null || batches.length == 0 || Arrays.stream(batches).anyMatch(b -> b <= 0 || b > 256)) {
                throw new IllegalArgumentException("batches must lie in 1..256, got " + Arrays.toString(batches));
            }
            if (densities == null || densities.length == 0
                    || Arrays.stream(densities).anyMatch(d -> !(d > 0 && d <= 1))) {
                throw new IllegalArgumentException("densities must lie in (0, 1], got " + Arrays.toString(densities));
            }
            modes = List.copyOf(modes);
        }
    }

    /**
     * One measured configuration.
     *
     * @param arch architecture id
     * @param mode gate mode
     * @param batch batch size
     * @param density imposed per-block density
     * @param macsRatio dynamic over static MACs of the calls
     * @param latencyMs median of the gated network through the executors
     * @param staticMs median of the static network through the executors
     * @param djlMs median of the static network's plain DJL forward
     * @param peerMs median of the ONNX Runtime peer, NaN without one
     * @param paths how many blocks took each path in the last call
     */
    public record Row(String arch, NetworkMode mode, int batch, double density, double macsRatio, double latencyMs,
            double staticMs, double djlMs, double peerMs, Map<ExecutionPath, Integer> paths) {
        /** Returns {@code latencyMs / staticMs}. */
        public double latencyRatio() {
            return latencyMs / staticMs;
        }

        /** Returns {@code latencyMs / djlMs}. */
        public double ratioVsDjl() {
            return latencyMs / djlMs;
        }

        /** Returns {@code latencyMs / peerMs} (NaN without a peer). */
        public double ratioVsPeer() {
            return latencyMs / peerMs;
        }
    }

    /**
     * The per-phase profile of one mode.
     *
     * @param mode the mode ({@code null}: the static network through the executors)
     * @param batch batch size
     * @param density imposed density
     * @param totalMs fastest timed call
     * @param phases engine phase to milliseconds (summed over blocks) of that call
     */
    public record Profile(NetworkMode mode, int batch, double density, double totalMs, Map<String, Double> phases) {}

    /** Rows and profiles of one run. */
    public record Result(List<Row> rows, List<Profile> profiles) {}

    private final Config config;

    /**
     * Creates a benchmark.
     *
     * @param config the settings
     */
    public NetworkBenchmark(Config config) {
        this.config = config;
    }

    /** Returns the settings. */
    public Config config() {
        return config;
    }

    /**
     * Runs every configuration.
     *
     * @param progress receives one line per finished row
     * @return the rows and profiles
     * @throws IllegalArgumentException if the backend id is unknown
     * @throws IllegalStateException if the backend or the peer cannot start
     */
    public Result run(Consumer<String> progress) {
        List<Row> rows = new ArrayList<>();
        List<Profile> profiles = new ArrayList<>();
        Engine.getInstance().setRandomSeed((int) config.seed());
        try (NDManager manager = NDManager.newBaseManager();
                OnnxPeer peer = config.peerOnnx() == null ? null : OnnxPeer.open(config.peerOnnx(),
                        BlockBenchmark.threads())) {
            ParameterStore ps = new ParameterStore(manager, false);
            GateSpec[] none = new GateSpec[NetworkMode.SPATIAL_S.length];
            Arrays.fill(none, GateSpec.none());
            GatedBackbone staticNet = network(manager, none);
            try (PlanRuntime<?> staticRt = PlanRuntime.create(InferencePlan.of(staticNet),
                    Backends.create(config.backendId(), manager));
                    NetworkExecutor staticEx = staticRt.newExecutor()) {
                for (NetworkMode mode : config.modes()) {
                    GatedBackbone net = network(manager, mode.stageGates());
                    InferencePlan plan = InferencePlan.of(net);
                    try (PlanRuntime<?> rt = PlanRuntime.create(plan, Backends.create(config.backendId(), manager));
                            NetworkExecutor ex = rt.newExecutor()) {
                        // as a server would at load: no timed call pays for a channel pattern's first use
                        rt.prepareChannelPatterns();
                        for (int batch : config.batches()) {
                            rt.calibrate(batch);
                            try (NDManager sub = manager.newSubManager()) {
                                NDArray x = sub.randomNormal(0, 1, new Shape(batch, 3, INPUT, INPUT), DataType.FLOAT32);
                                float[] host = peer == null ? null : x.toFloatArray();
                                for (double d : config.densities()) {
                                    ex.setGateOverride(GateOverride.density(d, config.seed() * 31 + batch));
                                    Row r = measure(mode, batch, d, x, host, ex, staticEx, staticNet, ps, peer);
                                    rows.add(r);
                                    progress.accept(String.format(java.util.Locale.ROOT,
                                            "%s %s batch %d density %.2f: MACs %.3f, %.2f ms, static %.2f ms (%.3f),"
                                                    + " djl %.2f ms (%.3f)%s", r.arch(), mode.id(), batch, d,
                                            r.macsRatio(), r.latencyMs(), r.staticMs(), r.latencyRatio(), r.djlMs(),
                                            r.ratioVsDjl(), peer == null ? "" : String.format(java.util.Locale.ROOT,
                                                    ", peer %.2f ms (%.3f)", r.peerMs(), r.ratioVsPeer())));
                                }
                                if (batch == 1 && !Double.isNaN(config.profileDensity())) {
                                    ex.setGateOverride(GateOverride.density(config.profileDensity(), config.seed()));
                                    profiles.add(profile(mode, ex, x, config.profileDensity()));
                                    if (profiles.stream().noneMatch(p -> p.mode() == null)) {
                                        profiles.add(0, profile(null, staticEx, x, Double.NaN));
                                    }
                                }
                                ex.setGateOverride(null);
                            }
                        }
                    }
                }
            }
        }
        return new Result(rows, profiles);
    }

    private GatedBackbone network(NDManager manager, GateSpec[] stageGates) {
        Engine.getInstance().setRandomSeed((int) config.seed());
        GatedBackbone net = config.arch().build(stageGates);
        net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, INPUT, INPUT));
        return net;
    }

    private Row measure(NetworkMode mode, int batch, double density, NDArray x, float[] host, NetworkExecutor ex,
            NetworkExecutor staticEx, GatedBackbone staticNet, ParameterStore ps, OnnxPeer peer) {
        NetworkExecution[] gated = new NetworkExecution[1];
        NetworkExecution[] plain = new NetworkExecution[1];
        NDManager[] scratch = new NDManager[1];
        List<InterleavedRounds.Contender> contenders = new ArrayList<>(List.of(
                new InterleavedRounds.Contender(() -> { }, () -> gated[0] = ex.run(x, PathPolicy.AUTO),
                        () -> gated[0].logits().close(), ex::primitivesCreated),
                new InterleavedRounds.Contender(() -> { }, () -> plain[0] = staticEx.run(x, PathPolicy.AUTO),
                        () -> plain[0].logits().close(), staticEx::primitivesCreated),
                // every array of the plain forward (logits and its density bookkeeping) lands in the scratch manager
                new InterleavedRounds.Contender(() -> {
                    scratch[0] = x.getManager().newSubManager();
                    x.tempAttach(scratch[0]);
                }, () -> staticNet.run(ps, x, false), () -> scratch[0].close())));
        if (peer != null) {
            contenders.add(InterleavedRounds.Contender.of(() -> peer.run(host, batch)));
        }
        double[][] ms = InterleavedRounds.run(contenders, config.warmup(), config.runs());
        // the last gated call's report (its logits are closed, its report is plain data)
        GateReport report = gated[0].report();
        Map<ExecutionPath, Integer> paths = new EnumMap<>(ExecutionPath.class);
        for (ExecutionPath p : report.paths()) {
            paths.merge(p, 1, Integer::sum);
        }
        return new Row(config.arch().id(), mode, batch, density, report.macsRatio(), CpuCalibrator.median(ms[0]),
                CpuCalibrator.median(ms[1]), CpuCalibrator.median(ms[2]),
                peer == null ? Double.NaN : CpuCalibrator.median(ms[3]), paths);
    }

    private Profile profile(NetworkMode mode, NetworkExecutor ex, NDArray x, double density) {
        PhaseTimer timer = new PhaseTimer();
        ex.setPhaseTimer(timer);
        double best = Double.POSITIVE_INFINITY;
        Map<String, Double> phases = new LinkedHashMap<>();
        try {
            for (int i = -config.warmup(); i < config.runs(); i++) {
                timer.reset();
                long t0 = System.nanoTime();
                ex.run(x, PathPolicy.AUTO).logits().close();
                double ms = (System.nanoTime() - t0) / 1e6;
                if (i >= 0 && ms < best) {
                    best = ms;
                    phases = timer.millis();
                }
            }
        } finally {
            ex.setPhaseTimer(null);
        }
        return new Profile(mode, 1, density, best, phases);
    }
}
