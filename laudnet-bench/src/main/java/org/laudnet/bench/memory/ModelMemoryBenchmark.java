package org.laudnet.bench.memory;

import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.laudnet.core.util.Checks;
import org.laudnet.models.inference.GatedClassifications;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.inference.LaudPredictor;
import org.laudnet.models.weights.WeightFileException;

/**
 * Resident memory and calibration time of a {@link LaudModel} used the way a service uses it: one model shared by
 * several threads, each with its own predictor, and models loaded and closed again and again.
 *
 * <p>A run loads the model file, calibrates it at the given batch sizes (timing each), then runs {@code rounds} rounds
 * in which {@code threads} worker threads each classify the image {@code calls} times with their own predictor while
 * one more predictor classifies it once on the calling thread; the resident set size (RSS, {@code VmRSS} of
 * {@code /proc/self/status}) is read after loading, after each calibration, after each round and after closing. Then
 * {@code cycles} times: load the model, calibrate batch 1, classify 20 times, close, and read the RSS. Every
 * classification must name the same top class as the first one. Linux only (RSS comes from {@code /proc}).
 *
 * <p>Thread-safety: the methods hold no shared state, but runs must not overlap, since each measures the whole
 * process's memory.
 */
public final class ModelMemoryBenchmark {

    /** Classifications per load/close cycle. */
    public static final int CALLS_PER_CYCLE = 20;

    private ModelMemoryBenchmark() {}

    /**
     * What to run.
     *
     * @param model the {@code .laud} model file
     * @param image the image every call classifies
     * @param threads worker threads sharing the model, each with its own predictor (one more runs on the caller)
     * @param calls classifications per worker thread and round
     * @param rounds rounds of classification
     * @param cycles load/calibrate/classify/close cycles after the rounds (0 for none)
     * @param calibrateBatches batch sizes calibrated ahead of the rounds
     */
    public record Settings(Path model, Path image, int threads, int calls, int rounds, int cycles,
            int[] calibrateBatches) {

        /** Validates the settings, naming the first bad one. */
        public Settings {
            if (model == null || !Files.isRegularFile(model)) {
                throw new IllegalArgumentException("model must be an existing .laud file, got " + model);
            }
            if (image == null || !Files.isRegularFile(image)) {
                throw new IllegalArgumentException("image must be an existing image file, got " + image);
            }
            Checks.positive("threads", threads);
            Checks.positive("calls", calls);
            Checks.positive("rounds", rounds);
            Checks.nonNegative("cycles", cycles);
            calibrateBatches = calibrateBatches == null ? new int[0] : calibrateBatches.clone();
            for (int b : calibrateBatches) {
                Checks.positive("calibrate batch size", b);
            }
        }

        /** Returns a copy of the calibrated batch sizes. */
        @Override
        public int[] calibrateBatches() {
            return calibrateBatches.clone();
        }
    }

    /**
     * One calibration.
     *
     * @param batch the batch size
     * @param seconds how long {@link LaudModel#calibrate} took
     * @param rssMb the RSS after it, MiB
     */
    public record Calibration(int batch, double seconds, long rssMb) {}

    /**
     * One round of classification.
     *
     * @param seconds wall time of the round
     * @param rssMb the RSS after it, MiB
     */
    public record Round(double seconds, long rssMb) {}

    /**
     * The measurements.
     *
     * @param topClass the class every call named
     * @param rssStartMb RSS before loading, MiB
     * @param rssLoadedMb RSS after loading, MiB
     * @param calibrations one per calibrated batch size
     * @param rounds one per round
     * @param rssClosedMb RSS after closing the predictors and the model (and a garbage collection), MiB
     * @param cycleRssMb RSS after each load/close cycle, MiB
     */
    public record Result(String topClass, long rssStartMb, long rssLoadedMb, List<Calibration> calibrations,
            List<Round> rounds, long rssClosedMb, List<Long> cycleRssMb) {}

    /**
     * Returns the resident set size of this process.
     *
     * @return {@code VmRSS}, MiB
     * @throws IOException if {@code /proc/self/status} cannot be read or has no {@code VmRSS} line (not Linux)
     */
    public static long rssMb() throws IOException {
        return ProcessMemory.rssKb() / 1024;
    }

    /**
     * Runs the benchmark.
     *
     * @param s the settings
     * @param progress receives a line after every step
     * @return the measurements
     * @throws IOException if the RSS cannot be read, or the image cannot be read
     * @throws WeightFileException if the model file cannot be read
     * @throws IllegalStateException if two calls name different top classes
     */
    public static Result run(Settings s, Consumer<String> progress) throws IOException, WeightFileException {
        long start = rssMb();
        List<Calibration> calibrations = new ArrayList<>();
        List<Round> rounds = new ArrayList<>();
        String top;
        long loaded;
        try (LaudModel model = LaudModel.load(s.model())) {
            loaded = rssMb();
            progress.accept(String.format(Locale.ROOT, "loaded %s: RSS %d MiB", s.model().getFileName(), loaded));
            for (int b : s.calibrateBatches()) {
                long t = System.nanoTime();
                model.calibrate(b);
                Calibration c = new Calibration(b, (System.nanoTime() - t) / 1e9, rssMb());
                calibrations.add(c);
                progress.accept(String.format(Locale.ROOT, "calibrate(%d): %.1f s, RSS %d MiB", b, c.seconds(),
                        c.rssMb()));
            }
            top = classifyRounds(model, s, rounds, progress);
        }
        System.gc();
        long closed = rssMb();
        progress.accept(String.format(Locale.ROOT, "after close: RSS %d MiB", closed));
        List<Long> cycles = new ArrayList<>();
        for (int c = 1; c <= s.cycles(); c++) {
            try (LaudModel model = LaudModel.load(s.model());
                    LaudPredictor<Path, GatedClassifications> p = model.newClassifier(Path.class)) {
                model.calibrate(1);
                for (int i = 0; i < CALLS_PER_CYCLE; i++) {
                    expect(top, p.predict(s.image()), "cycle " + c);
                }
            } catch (TranslateException e) {
                throw new IOException("cycle " + c + ": " + e.getMessage(), e);
            }
            System.gc();
            cycles.add(rssMb());
            progress.accept(String.format(Locale.ROOT, "cycle %d (load, calibrate(1), %d calls, close): RSS %d MiB",
                    c, CALLS_PER_CYCLE, cycles.get(cycles.size() - 1)));
        }
        return new Result(top, start, loaded, List.copyOf(calibrations), List.copyOf(rounds), closed,
                List.copyOf(cycles));
    }

    private static String classifyRounds(LaudModel model, Settings s, List<Round> rounds, Consumer<String> progress)
            throws IOException {
        List<LaudPredictor<Path, GatedClassifications>> predictors = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(s.threads());
        try {
            for (int i = 0; i <= s.threads(); i++) {
                predictors.add(model.newClassifier(Path.class));
            }
            LaudPredictor<Path, GatedClassifications> own = predictors.get(s.threads());
            String top = own.predict(s.image()).best().getClassName();
            for (int r = 1; r <= s.rounds(); r++) {
                long t = System.nanoTime();
                List<Future<?>> work = new ArrayList<>();
                for (int i = 0; i < s.threads(); i++) {
                    LaudPredictor<Path, GatedClassifications> p = predictors.get(i);
                    String where = "round " + r + ", thread " + i;
                    work.add(pool.submit(() -> {
                        for (int k = 0; k < s.calls(); k++) {
                            expect(top, p.predict(s.image()), where);
                        }
                        return null;
                    }));
                }
                expect(top, own.predict(s.image()), "round " + r + ", calling thread");
                for (Future<?> f : work) {
                    f.get();
                }
                Round round = new Round((System.nanoTime() - t) / 1e9, rssMb());
                rounds.add(round);
                progress.accept(String.format(Locale.ROOT,
                        "round %d: %d threads x %d calls + 1 on the calling thread (%s) in %.1f s: RSS %d MiB", r,
                        s.threads(), s.calls(), top, round.seconds(), round.rssMb()));
            }
            return top;
        } catch (TranslateException e) {
            throw new IOException(e.getMessage(), e);
        } catch (ExecutionException e) {
            throw new IOException("a predictor thread failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            pool.shutdownNow();
            for (LaudPredictor<Path, GatedClassifications> p : predictors) {
                p.close();
            }
        }
    }

    private static void expect(String top, GatedClassifications c, String where) {
        String got = c.best().getClassName();
        if (!top.equals(got)) {
            throw new IllegalStateException(where + ": top class " + got + ", the first call gave " + top);
        }
    }

    /**
     * Writes the measurements as markdown.
     *
     * @param r the result
     * @param s the settings
     * @param machine the machine, e.g. CPU and cores
     * @param engineThreads the engine's intra-op threads
     * @param command the command line that ran the benchmark
     * @return the markdown
     */
    public static String markdown(Result r, Settings s, String machine, int engineThreads, String command) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Memory and calibration of one shared `LaudModel`\n\n");
        sb.append("Command: `").append(command).append("`\n\n");
        sb.append("- Machine: ").append(machine).append('\n');
        sb.append("- Engine intra-op threads: ").append(engineThreads).append('\n');
        sb.append("- glibc malloc: MALLOC_MMAP_THRESHOLD_=").append(env("MALLOC_MMAP_THRESHOLD_"))
                .append(", MALLOC_TRIM_THRESHOLD_=").append(env("MALLOC_TRIM_THRESHOLD_")).append('\n');
        sb.append("- Model: `").append(s.model().getFileName()).append("`; image: `")
                .append(s.image().getFileName()).append("` (top class ").append(r.topClass())
                .append(" on every call)\n");
        sb.append("- ").append(s.threads()).append(" worker threads x ").append(s.calls())
                .append(" calls per round + 1 call on the calling thread, one predictor each; ").append(s.rounds())
                .append(" rounds; calibrated batch sizes ").append(Arrays.toString(s.calibrateBatches()))
                .append('\n');
        sb.append("- RSS: VmRSS of /proc/self/status, MiB\n\n");
        sb.append("| step | seconds | RSS MiB |\n|---|---:|---:|\n");
        sb.append("| start | | ").append(r.rssStartMb()).append(" |\n");
        sb.append("| load | | ").append(r.rssLoadedMb()).append(" |\n");
        for (Calibration c : r.calibrations()) {
            sb.append(String.format(Locale.ROOT, "| calibrate(%d) | %.1f | %d |%n", c.batch(), c.seconds(),
                    c.rssMb()));
        }
        for (int i = 0; i < r.rounds().size(); i++) {
            Round round = r.rounds().get(i);
            sb.append(String.format(Locale.ROOT, "| round %d | %.1f | %d |%n", i + 1, round.seconds(),
                    round.rssMb()));
        }
        sb.append("| predictors and model closed | | ").append(r.rssClosedMb()).append(" |\n");
        for (int i = 0; i < r.cycleRssMb().size(); i++) {
            sb.append(String.format(Locale.ROOT, "| cycle %d: load, calibrate(1), %d calls, close | | %d |%n", i + 1,
                    CALLS_PER_CYCLE, r.cycleRssMb().get(i)));
        }
        return sb.toString();
    }

    private static String env(String name) {
        String v = System.getenv(name);
        return v == null ? "(glibc default)" : v;
    }
}
