package org.laudnet.bench.memory;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.util.Checks;
import org.laudnet.models.inference.GatedOutput;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.inference.LaudPredictor;

/**
 * Native memory of one {@link LaudModel} predictor over a long run: {@code inferences} batch-1 calls of the model's
 * tensor predictor ({@link LaudModel#newTensorPredictor()}), each on a fresh input tensor made in a call-scoped
 * manager (or on one of {@code distinctInputs} inputs in turn). Before the first call, every {@code interval} calls,
 * after {@code warmup} calls and at the end, a garbage collection runs and a {@link Sample} records the process's
 * resident set size ({@link ProcessMemory#rssKb}), the JVM heap in use and committed, the JVM's direct buffers, and
 * the live DJL managers and arrays of the engine ({@link DjlResources}). The result compares the RSS at the end with
 * the RSS after warm-up ({@link #RSS_GROWTH_LIMIT_PERCENT}). After the last sample the C library's native heap is
 * trimmed ({@link ProcessMemory#trimNativeHeap}) and the RSS read once more: it tells memory still in use from memory
 * freed but kept by the allocator. Linux only (RSS comes from {@code /proc}).
 *
 * <p>Networks with untrained gates (random weights) can run with {@link RandomGates} decisions instead of their own,
 * so that the sparse paths and their caches are exercised with changing masks.
 *
 * <p>Thread-safety: the methods hold no shared state, but runs must not overlap with other work in the process, since
 * each measures the whole process's memory and DJL resources.
 */
public final class NativeMemoryBenchmark {

    /** The largest RSS growth from the end of warm-up to the end that counts as flat, percent. */
    public static final double RSS_GROWTH_LIMIT_PERCENT = 5.0;

    private static final int SETTLE_MILLIS = 500;
    private static final int SETTLE_STEP_MILLIS = 25;

    private NativeMemoryBenchmark() {}

    /**
     * What to run.
     *
     * @param inferences batch-1 calls in all
     * @param warmup calls before the reference sample, fewer than {@code inferences}
     * @param interval calls between samples
     * @param seed seed of the inputs and of the random gate decisions
     * @param distinctInputs 0 for a fresh random input every call, else the number of inputs used in turn (each with
     *     its own gate decisions, so the run repeats with this period)
     * @param gateDensity the density of {@link RandomGates} decisions, or empty for the network's own gates
     */
    public record Settings(int inferences, int warmup, int interval, long seed, int distinctInputs,
            OptionalDouble gateDensity) {

        /** Validates the settings, naming the first bad one. */
        public Settings {
            Checks.positive("inferences", inferences);
            Checks.positive("warmup", warmup);
            if (warmup >= inferences) {
                throw new IllegalArgumentException("warmup must be fewer than the " + inferences
                        + " inferences, got " + warmup);
            }
            Checks.positive("interval", interval);
            Checks.nonNegative("distinctInputs", distinctInputs);
            if (gateDensity == null) {
                gateDensity = OptionalDouble.empty();
            }
            if (gateDensity.isPresent()) {
                Checks.inRange("gateDensity", gateDensity.getAsDouble(), 0, 1);
            }
        }
    }

    /**
     * One sample, taken after a garbage collection.
     *
     * @param calls inferences done so far
     * @param rssKb the process's resident set size, KiB
     * @param heapUsedBytes JVM heap in use
     * @param heapCommittedBytes JVM heap committed
     * @param directBytes memory of the JVM's direct byte buffers
     * @param managers live NDManagers of the engine ({@code -1} if not countable)
     * @param arrays live NDArrays of the engine
     * @param msPerInference mean wall time per inference since the previous sample (0 for the first sample)
     */
    public record Sample(int calls, long rssKb, long heapUsedBytes, long heapCommittedBytes, long directBytes,
            int managers, int arrays, double msPerInference) {

        /** Returns the RSS less the committed heap, KiB: native memory, plus heap pages not yet touched. */
        public long rssOutsideHeapKb() {
            return rssKb - heapCommittedBytes / 1024;
        }
    }

    /**
     * The measurements.
     *
     * @param model what ran (architecture, input, gates)
     * @param samples in call order, the first before any call
     * @param warmup the calls after which the reference sample was taken
     * @param paths how often each execution path ran (blocks x calls)
     * @param rssTrimmedKb the RSS at the end after a trim of the native heap ({@link ProcessMemory#trimNativeHeap}),
     *     KiB, or empty where the JVM cannot trim
     */
    public record Result(String model, List<Sample> samples, int warmup, Map<ExecutionPath, Long> paths,
            OptionalLong rssTrimmedKb) {

        /** Copies the lists. */
        public Result {
            samples = List.copyOf(samples);
            paths = Map.copyOf(paths);
            if (rssTrimmedKb == null) {
                rssTrimmedKb = OptionalLong.empty();
            }
        }

        /** Returns the sample taken after warm-up. */
        public Sample warm() {
            return samples.stream().filter(s -> s.calls() == warmup).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no sample after " + warmup + " calls"));
        }

        /** Returns the last sample. */
        public Sample end() {
            return samples.get(samples.size() - 1);
        }

        /** Returns the RSS growth from the end of warm-up to the end, percent of the RSS after warm-up. */
        public double rssGrowthPercent() {
            return 100.0 * (end().rssKb() - warm().rssKb()) / warm().rssKb();
        }

        /** Returns whether the RSS grew by at most {@link #RSS_GROWTH_LIMIT_PERCENT}. */
        public boolean rssWithinLimit() {
            return rssGrowthPercent() <= RSS_GROWTH_LIMIT_PERCENT;
        }
    }

    /**
     * Runs the benchmark on a model. The model must be open; the predictor is created and closed here.
     *
     * @param model the model
     * @param description what the model is, for the report (architecture, input, gates)
     * @param s the settings
     * @param progress receives a line per sample
     * @return the measurements
     * @throws IOException if the RSS cannot be read (not Linux)
     * @throws TranslateException if a call fails
     * @throws IllegalStateException if a call returns non-finite logits
     */
    public static Result run(LaudModel model, String description, Settings s, Consumer<String> progress)
            throws IOException, TranslateException {
        int channels = model.network().getStem().inChannels();
        int size = model.network().getInputSize();
        Shape shape = new Shape(channels, size, size);
        int elements = channels * size * size;
        TreeSet<Integer> sampleAt = new TreeSet<>();
        for (int c = s.interval(); c <= s.inferences(); c += s.interval()) {
            sampleAt.add(c);
        }
        sampleAt.add(s.warmup());
        sampleAt.add(s.inferences());

        Random random = new Random(s.seed());
        float[][] pool = new float[s.distinctInputs()][];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = gaussian(random, elements);
        }
        Engine engine = model.asDjlModel().getNDManager().getEngine();
        DjlResources resources = DjlResources.of(engine);
        List<Sample> samples = new ArrayList<>();
        Map<ExecutionPath, Long> paths = new EnumMap<>(ExecutionPath.class);
        OptionalLong trimmed = OptionalLong.empty();
        RandomGates gates = s.gateDensity().isPresent() ? new RandomGates(s.gateDensity().getAsDouble()) : null;
        try (NDManager inputs = engine.newBaseManager();
                LaudPredictor<NDArray, GatedOutput> predictor = model.newTensorPredictor()) {
            if (gates != null) {
                predictor.executor().setGateOverride(gates);
            }
            samples.add(sample(0, 0, resources));
            progress.accept(line(samples.get(0)));
            float[] fresh = new float[elements];
            int last = 0;
            long since = System.nanoTime();
            for (int call = 1; call <= s.inferences(); call++) {
                long key = pool.length > 0 ? (call - 1) % pool.length : call - 1;
                float[] x = pool.length > 0 ? pool[(int) key] : fill(random, fresh);
                if (gates != null) {
                    gates.reseed(s.seed() * 1_000_003L + key);
                }
                try (NDManager scope = inputs.newSubManager()) {
                    GatedOutput out = predictor.predict(scope.create(x, shape));
                    for (float v : out.logits()) {
                        if (!Float.isFinite(v)) {
                            throw new IllegalStateException("call " + call + " returned a non-finite logit " + v);
                        }
                    }
                    for (ExecutionPath p : out.gateReport().paths()) {
                        paths.merge(p, 1L, Long::sum);
                    }
                }
                if (sampleAt.contains(call)) {
                    double ms = (System.nanoTime() - since) / 1e6 / (call - last);
                    samples.add(sample(call, ms, resources));
                    progress.accept(line(samples.get(samples.size() - 1)));
                    last = call;
                    since = System.nanoTime();
                }
            }
            if (ProcessMemory.trimNativeHeap()) {
                trimmed = OptionalLong.of(ProcessMemory.rssKb());
                progress.accept(String.format(Locale.ROOT, "after trimming the native heap: RSS %.1f MiB",
                        trimmed.getAsLong() / 1024.0));
            }
        }
        return new Result(description, samples, s.warmup(), paths, trimmed);
    }

    private static float[] gaussian(Random random, int n) {
        return fill(random, new float[n]);
    }

    private static float[] fill(Random random, float[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    private static Sample sample(int calls, double ms, DjlResources resources) throws IOException {
        System.gc();
        settleDirectBuffers();
        DjlResources.Counts c = resources.count();
        return new Sample(calls, ProcessMemory.rssKb(), ProcessMemory.heapUsedBytes(),
                ProcessMemory.heapCommittedBytes(), ProcessMemory.directBufferBytes(), c.managers(), c.arrays(), ms);
    }

    /**
     * Waits (at most {@value #SETTLE_MILLIS} ms) until the direct buffers the collection found unreachable are freed:
     * their cleaner runs on its own thread after the collection.
     */
    private static void settleDirectBuffers() {
        long previous = ProcessMemory.directBufferBytes();
        for (int waited = 0; waited < SETTLE_MILLIS; waited += SETTLE_STEP_MILLIS) {
            try {
                Thread.sleep(SETTLE_STEP_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = ProcessMemory.directBufferBytes();
            if (now == previous) {
                return;
            }
            previous = now;
        }
    }

    private static String line(Sample s) {
        return String.format(Locale.ROOT, "%6d calls: RSS %7.1f MiB, heap %6.1f of %6.1f MiB, direct %5.1f MiB, %4d"
                + " NDManagers, %5d NDArrays%s", s.calls(), s.rssKb() / 1024.0, s.heapUsedBytes() / 1048576.0,
                s.heapCommittedBytes() / 1048576.0, s.directBytes() / 1048576.0, s.managers(), s.arrays(),
                s.calls() == 0 ? "" : String.format(Locale.ROOT, ", %.2f ms/inference", s.msPerInference()));
    }

    /**
     * Writes the measurements as markdown.
     *
     * @param r the result
     * @param s the settings
     * @param machine the machine (CPU model, cores, threads)
     * @param engineThreads the engine's intra-op threads
     * @param policy the model's path policy
     * @param command the command line that ran the benchmark
     * @return the markdown
     */
    public static String markdown(Result r, Settings s, String machine, int engineThreads, String policy,
            String command) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "# Native memory over %,d inferences of one predictor%n%n",
                s.inferences()));
        sb.append("Command: `").append(command).append("`\n\n");
        sb.append("- Machine: ").append(machine).append('\n');
        sb.append("- Engine intra-op threads: ").append(engineThreads).append('\n');
        sb.append("- glibc malloc: MALLOC_MMAP_THRESHOLD_=").append(env("MALLOC_MMAP_THRESHOLD_"))
                .append(", MALLOC_TRIM_THRESHOLD_=").append(env("MALLOC_TRIM_THRESHOLD_")).append('\n');
        sb.append("- Model: ").append(r.model()).append("; path policy ").append(policy).append('\n');
        sb.append("- Gates: ").append(s.gateDensity().isPresent()
                ? String.format(Locale.ROOT, "random decisions, each unit (cell, channel group, layer) open with"
                        + " probability %.2f, drawn anew for every input (seed %d)", s.gateDensity().getAsDouble(),
                        s.seed())
                : "the network's own decisions").append('\n');
        sb.append("- Calls: batch 1 through `LaudModel.newTensorPredictor()`, ")
                .append(s.distinctInputs() == 0 ? "a fresh random input tensor every call"
                        : s.distinctInputs() + " random input tensors in turn")
                .append(" (seed ").append(s.seed()).append("), each made in a call-scoped NDManager\n");
        sb.append("- Samples (every ").append(s.interval()).append(" calls, after warm-up at ").append(s.warmup())
                .append(" calls, at the end), each after `System.gc()`: RSS = VmRSS of /proc/self/status;"
                        + " heap = JVM heap in use / committed (resident once touched: the collector enlarging the"
                        + " heap raises the RSS); RSS - heap = RSS less the committed heap; direct = the JVM's direct"
                        + " byte buffers; NDManagers and NDArrays = live managers below the engine's system"
                        + " manager and the arrays they hold, in the whole process (arrays: DJL's"
                        + " `getManagedArrays()`; managers: DJL's manager tree, read by reflection, as DJL has no"
                        + " public count)\n\n");
        sb.append("| calls | RSS MiB | heap used / committed MiB | RSS - heap MiB | direct MiB | NDManagers | NDArrays"
                + " | ms / inference |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Sample x : r.samples()) {
            sb.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f / %.1f | %.1f | %.1f | %s | %d | %s |%n",
                    x.calls(), x.rssKb() / 1024.0, x.heapUsedBytes() / 1048576.0, x.heapCommittedBytes() / 1048576.0,
                    x.rssOutsideHeapKb() / 1024.0, x.directBytes() / 1048576.0,
                    x.managers() < 0 ? "n/a" : String.valueOf(x.managers()), x.arrays(),
                    x.calls() == 0 ? "" : String.format(Locale.ROOT, "%.2f", x.msPerInference())));
        }
        Sample w = r.warm();
        Sample e = r.end();
        sb.append("\n## Result\n\n");
        sb.append(String.format(Locale.ROOT, "- RSS after warm-up (%d calls): %.1f MiB; at the end (%d calls): %.1f"
                + " MiB; growth %+.2f %% (%+.1f MiB): %s the %.0f %% limit%n", w.calls(), w.rssKb() / 1024.0,
                e.calls(), e.rssKb() / 1024.0, r.rssGrowthPercent(), (e.rssKb() - w.rssKb()) / 1024.0,
                r.rssWithinLimit() ? "within" : "NOT within", RSS_GROWTH_LIMIT_PERCENT));
        if (r.rssTrimmedKb().isPresent()) {
            long t = r.rssTrimmedKb().getAsLong();
            sb.append(String.format(Locale.ROOT, "- RSS at the end after trimming the native heap (glibc"
                    + " `malloc_trim` through `System.trim_native_heap`): %.1f MiB, %+.2f %% against the RSS after"
                    + " warm-up; %.1f MiB of the final RSS were memory freed but kept by the allocator%n", t / 1024.0,
                    100.0 * (t - w.rssKb()) / w.rssKb(), (e.rssKb() - t) / 1024.0));
        }
        sb.append(String.format(Locale.ROOT, "- RSS less the committed heap: %.1f MiB after warm-up, %.1f MiB at the"
                + " end (%+.2f %%)%n", w.rssOutsideHeapKb() / 1024.0, e.rssOutsideHeapKb() / 1024.0,
                100.0 * (e.rssOutsideHeapKb() - w.rssOutsideHeapKb()) / w.rssOutsideHeapKb()));
        sb.append(String.format(Locale.ROOT, "- JVM heap in use: %.1f MiB after warm-up, %.1f MiB at the end;"
                + " committed: %.1f MiB after warm-up, %.1f MiB at the end%n", w.heapUsedBytes() / 1048576.0,
                e.heapUsedBytes() / 1048576.0, w.heapCommittedBytes() / 1048576.0,
                e.heapCommittedBytes() / 1048576.0));
        if (e.heapCommittedBytes() != w.heapCommittedBytes()) {
            sb.append(String.format(Locale.ROOT, "- The JVM resized its heap by %+.1f MiB after warm-up, which moves"
                    + " the RSS by up to as much without any native allocation: for a figure of native memory alone,"
                    + " run with a fixed, pre-touched heap (`LAUDNET_JAVA_OPTS=\"-Xms768m -Xmx768m"
                    + " -XX:+AlwaysPreTouch\"`)%n", (e.heapCommittedBytes() - w.heapCommittedBytes()) / 1048576.0));
        }
        sb.append(String.format(Locale.ROOT, "- Live NDManagers: %s after warm-up, %s at the end; live NDArrays: %d"
                + " after warm-up, %d at the end%n", w.managers() < 0 ? "n/a" : w.managers(),
                e.managers() < 0 ? "n/a" : e.managers(), w.arrays(), e.arrays()));
        sb.append("- Paths taken (blocks x calls): ");
        List<String> parts = new ArrayList<>();
        for (ExecutionPath p : ExecutionPath.values()) {
            Long n = r.paths().get(p);
            if (n != null) {
                parts.add(String.format(Locale.ROOT, "%s %,d", p, n));
            }
        }
        sb.append(String.join(", ", parts)).append('\n');
        return sb.toString();
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v == null ? "(glibc default)" : v;
    }
}
