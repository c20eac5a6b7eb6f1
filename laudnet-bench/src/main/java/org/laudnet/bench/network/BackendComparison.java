package org.laudnet.bench.network;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.Backends;
import org.laudnet.core.exec.ExecutorOptions;
import org.laudnet.core.exec.GateOverride;
import org.laudnet.core.exec.HostExecution;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.cuda.check.SeededPlans;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whole-network latency of CPU backends side by side in one process: ResNet-50 (seeded weights: the time does not
 * depend on their values) static, and LAUD variants (layer, channel G=4, spatial S=4-4-2-1) at an imposed density,
 * through each backend's {@link PlanRuntime}, {@code float[]} in and logits out. For every variant and batch the
 * backends run interleaved in rounds ({@link InterleavedRounds}: an untimed primer call, then timed calls of one
 * backend), so that they see the same machine state and no timed call follows another backend's work; the medians are
 * compared with the first backend's static time at the same batch.
 *
 * <p>Not thread-safe: one comparison runs at a time.
 */
public final class BackendComparison {

    private static final Logger LOG = LoggerFactory.getLogger(BackendComparison.class);

    /** The variants: {@code static}, {@code layer}, {@code channel} (G=4), {@code spatial} (S=4-4-2-1). */
    public static final List<String> VARIANTS = List.of("static", "layer", "channel", "spatial");

    /**
     * What to compare.
     *
     * @param backends backend ids ({@link Backends#create(String, NDManager)}), the first is the baseline
     * @param variants a subset of {@link #VARIANTS}
     * @param batches batch sizes
     * @param size the input side (a multiple of 32)
     * @param density the imposed density of the gated variants
     * @param runs timed rounds
     * @param warmup untimed rounds first
     * @param policy the path policy of the gated variants: AUTO (the engine's calibrated choice per block, dense where
     *     that is faster) or SPARSE (the fastest sparse path of every gated block); the static variant runs DENSE
     */
    public record Config(List<String> backends, List<String> variants, int[] batches, int size, double density,
            int runs, int warmup, PathPolicy policy) {

        /** Validates the fields. */
        public Config {
            if (backends == null || backends.isEmpty()) {
                throw new IllegalArgumentException("backends must name at least one backend");
            }
            if (variants == null || variants.isEmpty()) {
                throw new IllegalArgumentException("variants must name at least one of " + VARIANTS);
            }
            for (String v : variants) {
                if (!VARIANTS.contains(v)) {
                    throw new IllegalArgumentException("variants must be among " + VARIANTS + ", got '" + v + "'");
                }
            }
            if (batches == null || batches.length == 0 || Arrays.stream(batches).anyMatch(b -> b <= 0 || b > 256)) {
                throw new IllegalArgumentException("batches must be in [1, 256], got " + Arrays.toString(batches));
            }
            if (size <= 0 || size % 32 != 0 || size > 1024) {
                throw new IllegalArgumentException("size must be a positive multiple of 32 up to 1024, got " + size);
            }
            if (!(density > 0 && density <= 1)) {
                throw new IllegalArgumentException("density must be in (0, 1], got " + density);
            }
            if (runs <= 0 || warmup < 0) {
                throw new IllegalArgumentException("runs must be positive and warmup non-negative, got " + runs
                        + " and " + warmup);
            }
            if (policy != PathPolicy.AUTO && policy != PathPolicy.SPARSE) {
                throw new IllegalArgumentException("policy must be AUTO or SPARSE, got " + policy);
            }
            backends = List.copyOf(backends);
            variants = List.copyOf(variants);
            batches = batches.clone();
        }
    }

    /**
     * One measured configuration.
     *
     * @param variant the variant
     * @param batch the batch size
     * @param backend the backend id
     * @param description the backend's description
     * @param medianMs median latency of a call
     * @param ratioVsBaseline {@code medianMs} over the first backend's static median at this batch
     * @param macsRatio the executed MACs over the static network's (1 for static)
     */
    public record Row(String variant, int batch, String backend, String description, double medianMs,
            double ratioVsBaseline, double macsRatio) {}

    private final Config config;

    /**
     * Creates a comparison.
     *
     * @param config what to compare
     */
    public BackendComparison(Config config) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        this.config = config;
    }

    /**
     * Runs the comparison.
     *
     * @return one row per variant, batch and backend
     * @throws IllegalArgumentException if a backend id is unknown
     * @throws IllegalStateException if a backend cannot run here
     */
    public List<Row> run() {
        List<Row> rows = new ArrayList<>();
        Map<Integer, Double> baseline = new LinkedHashMap<>();
        List<String> order = new ArrayList<>(config.variants());
        if (order.remove("static")) {
            order.add(0, "static");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            for (String variant : order) {
                InferencePlan plan = plan(variant);
                List<PlanRuntime<?>> runtimes = new ArrayList<>();
                try {
                    for (String id : config.backends()) {
                        // the runtime owns its backend and closes it
                        runtimes.add(PlanRuntime.create(plan, Backends.create(id, manager)));
                    }
                    for (int batch : config.batches()) {
                        rows.addAll(measure(variant, batch, runtimes, baseline));
                    }
                } finally {
                    for (PlanRuntime<?> rt : runtimes) {
                        rt.close();
                    }
                }
            }
        }
        return rows;
    }

    private List<Row> measure(String variant, int batch, List<PlanRuntime<?>> runtimes, Map<Integer, Double> baseline) {
        float[] x = images(batch, config.size(), 7 + batch);
        int n = runtimes.size();
        List<NetworkExecutor> executors = new ArrayList<>();
        try {
            for (PlanRuntime<?> rt : runtimes) {
                NetworkExecutor ex = rt.newExecutor(ExecutorOptions.defaults()
                        .withPolicy(variant.equals("static") ? PathPolicy.DENSE : config.policy()));
                if (!variant.equals("static")) {
                    ex.setGateOverride(GateOverride.density(config.density(), 5));
                }
                executors.add(ex);
            }
            double[] macs = new double[n];
            List<InterleavedRounds.Contender> contenders = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                NetworkExecutor ex = executors.get(i);
                int slot = i;
                HostExecution[] result = new HostExecution[1];
                contenders.add(new InterleavedRounds.Contender(() -> { }, () -> result[0] = ex.run(x, batch),
                        () -> macs[slot] = result[0].report().macsRatio()));
            }
            double[][] times = InterleavedRounds.run(contenders, config.warmup(), config.runs());
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                double median = median(times[i]);
                if (i == 0 && variant.equals("static")) {
                    baseline.put(batch, median);
                }
                Double base = baseline.get(batch);
                Backend<?> b = runtimes.get(i).backend();
                Row row = new Row(variant, batch, b.id(), b.description(), median,
                        base == null ? Double.NaN : median / base, variant.equals("static") ? 1.0 : macs[i]);
                LOG.info("{} batch {} on {}: {} ms", variant, batch, b.id(), String.format(Locale.ROOT, "%.2f",
                        median));
                rows.add(row);
            }
            return rows;
        } finally {
            for (NetworkExecutor ex : executors) {
                ex.close();
            }
        }
    }

    private InferencePlan plan(String variant) {
        GateSpec[] gates = switch (variant) {
            case "static" -> all(GateSpec.none());
            case "layer" -> all(GateSpec.layer());
            case "channel" -> all(GateSpec.channel(4));
            case "spatial" -> new GateSpec[] {GateSpec.spatial(4), GateSpec.spatial(4), GateSpec.spatial(2),
                GateSpec.spatial(1)};
            default -> throw new IllegalArgumentException("unknown variant '" + variant + "'");
        };
        return SeededPlans.resnet50(2026, config.size(), 1000, gates);
    }

    private static GateSpec[] all(GateSpec g) {
        return new GateSpec[] {g, g, g, g};
    }

    private static float[] images(int batch, int size, long seed) {
        Random r = new Random(seed);
        float[] x = new float[batch * 3 * size * size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    /**
     * Formats rows as a markdown table with the settings above it.
     *
     * @param rows the rows of {@link #run()}
     * @param note a line under the title (e.g. "reduced run"), or empty
     * @return the markdown
     */
    public String markdown(List<Row> rows, String note) {
        StringBuilder sb = new StringBuilder("# ResNet-50 on CPU backends, side by side\n\n");
        if (note != null && !note.isBlank()) {
            sb.append(note).append("\n\n");
        }
        sb.append(String.format(Locale.ROOT, "Input %dx%d, density %.2f for the gated variants (imposed; path policy"
                + " %s, calibrated on the warm-up), medians of %d timed calls per backend in %d rounds after %d warm-up"
                + " rounds, backends interleaved per round (each an untimed primer call, then %d timed calls), each"
                + " call after a %d ms pause; float[] in and logits out.%n", config.size(), config.size(),
                config.density(), config.policy(), config.runs(), InterleavedRounds.rounds(config.runs()),
                config.warmup(), InterleavedRounds.TIMED_PER_ROUND, Settle.MILLIS));
        sb.append(String.format(Locale.ROOT, "Threads: laudnet.onednn.threads=%s, OMP_NUM_THREADS=%s (the oneDNN"
                + " backend's default threads per executor, in that order, else every core; its line below gives the"
                + " count it ran with), ai.djl.pytorch.num_threads=%s; %d processors; %s %s, Java %s.%n%n",
                System.getProperty("laudnet.onednn.threads", "unset"),
                System.getenv().getOrDefault("OMP_NUM_THREADS", "unset"),
                System.getProperty("ai.djl.pytorch.num_threads", "unset"), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.arch"), Runtime.version()));
        List<String> seen = new ArrayList<>();
        for (Row r : rows) {
            if (!seen.contains(r.backend())) {
                seen.add(r.backend());
                sb.append("- `").append(r.backend()).append("`: ").append(r.description()).append('\n');
            }
        }
        sb.append("\n| variant | batch | backend | median ms | ms / image | vs ").append(config.backends().get(0))
                .append(" static | MACs ratio |\n|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %.2f | %.2f | %.3f | %.3f |%n", r.variant(),
                    r.batch(), r.backend(), r.medianMs(), r.medianMs() / r.batch(), r.ratioVsBaseline(),
                    r.macsRatio()));
        }
        return sb.toString();
    }

    /**
     * Writes {@link #markdown} to a file.
     *
     * @param rows the rows
     * @param note a line under the title, or empty
     * @param file the output file (its directory is created)
     * @throws IOException if it cannot be written
     */
    public void writeMarkdown(List<Row> rows, String note, Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Files.writeString(file, markdown(rows, note));
    }
}
