package org.laudnet.bench.fuzz;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.laudnet.core.io.LaudInputException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs fuzz cases against a {@link FuzzTarget} and classifies each one ({@link Outcome}).
 *
 * <p>Per case: the mutated files are laid out in a fresh directory; the reader runs on a worker thread under a
 * timeout, with the heap bytes it allocates on that thread measured; then the directory is listed again. The case is a
 * {@link Outcome#FAILURE} if the reader throws anything but the format's {@link LaudInputException} subclass (an
 * {@link Error} such as {@link OutOfMemoryError} included), throws that subclass without naming the input's path,
 * times out, returns an object its target finds defective (partially initialised, non-finite), accepts input that
 * must be refused, allocates more than its target's budget ({@link FuzzTarget#allocationBudget}: by default the seed's
 * own allocation times {@value #ALLOCATION_FACTOR} plus {@value #BYTES_FACTOR} bytes per input byte), or leaves the
 * case directory changed.
 *
 * <p>Before the cases, every seed must load as a valid object (a failure to do so is reported as an
 * {@link IllegalStateException}). A timed-out reader cannot be stopped: its thread is abandoned (it is a daemon
 * thread) and the next case gets a new one. Not thread-safe: one run at a time.
 */
public final class FuzzEngine implements AutoCloseable {

    /** The seed's allocation is multiplied by this to give the fixed part of a case's allocation budget. */
    public static final int ALLOCATION_FACTOR = 8;

    /** Bytes a reader may allocate per byte of input, on top of the fixed part. */
    public static final int BYTES_FACTOR = 64;

    /** The least fixed part of the allocation budget (64 MiB). */
    public static final long MIN_BUDGET_BYTES = 64L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(FuzzEngine.class);

    private final FuzzSettings settings;
    private ExecutorService worker = newWorker();

    /**
     * Creates an engine.
     *
     * @param settings how to run
     */
    public FuzzEngine(FuzzSettings settings) {
        if (settings == null) {
            throw new IllegalArgumentException("settings must not be null");
        }
        this.settings = settings;
    }

    /** One run of the reader on the worker thread. */
    private record Attempt(LoadResult result, Throwable thrown, long allocated) {}

    /**
     * Fuzzes one format: every kind the target supports and the settings select, {@code casesPerKind} cases each.
     *
     * @param target the format
     * @param listener progress
     * @return the results
     * @throws IOException if the work directory cannot be written
     * @throws IllegalStateException if a seed does not load as a valid object
     */
    public FormatReport run(FuzzTarget target, FuzzListener listener) throws IOException {
        long start = System.nanoTime();
        boolean temporary = settings.workDir() == null;
        Path root = temporary ? Files.createTempDirectory("laudnet-fuzz-") : settings.workDir();
        Path formatDir = Files.createDirectories(root.resolve(target.format().id()));
        List<String> seedNames = new ArrayList<>();
        long seedAllocation = -1;
        boolean keep = false;
        try {
            for (int s = 0; s < target.seeds().size(); s++) {
                Seed seed = target.seeds().get(s);
                long allocated = checkSeed(target, seed, formatDir.resolve("seed-" + s));
                seedAllocation = Math.max(seedAllocation, allocated);
                long size = seed.files().stream().mapToLong(f -> f.encode(f.bytes()).length).sum();
                seedNames.add(seed.entry() + " (" + seed.files().size() + " file" + (seed.files().size() == 1 ? ""
                        : "s") + ", " + String.format(Locale.ROOT, "%,d", size) + " bytes)");
            }
            FormatReport report = new FormatReport(target.format(), seedNames);
            for (MutationKind kind : target.kinds()) {
                if (!settings.kinds().contains(kind)) {
                    continue;
                }
                OutcomeCounts counts = OutcomeCounts.ZERO;
                for (int i = 0; i < settings.casesPerKind(); i++) {
                    SplittableRandom random = new SplittableRandom(caseSeed(target.format(), kind, i));
                    FuzzCase c = target.mutate(kind, i, random);
                    Path dir = formatDir.resolve(kind.id()).resolve(Integer.toString(i));
                    CaseResult r = runCase(target, c, i, dir, seedAllocation);
                    report.add(r);
                    counts = counts.plus(r.outcome());
                    if (r.outcome() == Outcome.FAILURE && settings.keepFailures()) {
                        keep = true;
                    } else {
                        deleteTree(dir);
                    }
                    listener.caseDone(r, settings.casesPerKind());
                }
                listener.kindDone(target.format(), kind, counts);
            }
            report.finish(Duration.ofNanos(System.nanoTime() - start));
            return report;
        } finally {
            if (!keep) {
                deleteTree(temporary ? root : formatDir);
            }
        }
    }

    /** The seed of one case's random source: a mix of the run's seed, the format, the kind and the index. */
    long caseSeed(FuzzFormat format, MutationKind kind, int index) {
        long h = settings.seed() * 0x9E3779B97F4A7C15L;
        h = (h ^ format.ordinal()) * 0xBF58476D1CE4E5B9L;
        h = (h ^ kind.ordinal()) * 0x94D049BB133111EBL;
        return h ^ index;
    }

    /** Loads a seed twice (the first warms the reader up) and returns the second load's allocation. */
    private long checkSeed(FuzzTarget target, Seed seed, Path dir) throws IOException {
        long allocated = -1;
        for (int round = 0; round < 2; round++) {
            Path d = dir.resolve(Integer.toString(round));
            FuzzCase c = FuzzCase.from(seed, MutationKind.BIT_FLIP).build("the seed, unchanged");
            Files.createDirectories(d);
            c.materialize(d);
            Attempt a = attempt(target, d.resolve(seed.entry()));
            deleteTree(d);
            if (a == null || a.thrown() != null || !a.result().isValid()) {
                throw new IllegalStateException(target.format() + " seed " + seed.entry() + " does not load: "
                        + (a == null ? "timed out" : a.thrown() != null ? a.thrown() : a.result().defect()),
                        a == null ? null : a.thrown());
            }
            allocated = a.allocated();
        }
        return allocated;
    }

    private CaseResult runCase(FuzzTarget target, FuzzCase c, int index, Path dir, long seedAllocation)
            throws IOException {
        deleteTree(dir);
        Files.createDirectories(dir);
        c.materialize(dir);
        Map<String, String> before = listing(dir);
        long inputBytes = before.values().stream().mapToLong(FuzzEngine::sizeOf).sum();
        Attempt a = attempt(target, dir.resolve(c.entry()));
        Outcome outcome;
        String detail;
        long allocated = a == null ? -1 : a.allocated();
        if (a == null) {
            outcome = Outcome.FAILURE;
            detail = String.format(Locale.ROOT, "timed out after %.1f s", settings.timeout().toMillis() / 1000.0);
        } else if (a.thrown() instanceof LaudInputException e) {
            String message = String.valueOf(e.getMessage());
            if (!target.refusal().isInstance(e)) {
                outcome = Outcome.FAILURE;
                detail = "refused with " + e.getClass().getSimpleName() + ", expected "
                        + target.refusal().getSimpleName() + ": " + message;
            } else if (!message.contains(dir.toString())) {
                outcome = Outcome.FAILURE;
                detail = "the refusal does not name the input's path: " + message;
            } else {
                outcome = Outcome.REFUSED;
                detail = message;
            }
        } else if (a.thrown() != null) {
            outcome = Outcome.FAILURE;
            detail = "threw " + a.thrown().getClass().getName() + ": " + a.thrown().getMessage() + at(a.thrown());
        } else if (!a.result().isValid()) {
            outcome = Outcome.FAILURE;
            detail = "returned a defective object (" + a.result().summary() + "): " + a.result().defect();
        } else if (c.mustRefuse()) {
            outcome = Outcome.FAILURE;
            detail = "accepted input that must be refused: " + a.result().summary();
        } else {
            outcome = Outcome.ACCEPTED;
            detail = a.result().summary();
        }
        long budget = target.allocationBudget(inputBytes, seedAllocation);
        if (allocated > budget) {
            detail = String.format(Locale.ROOT, "allocated %,d bytes for %,d input bytes (budget %,d); %s: %s",
                    allocated, inputBytes, budget, outcome, detail);
            outcome = Outcome.FAILURE;
        }
        Map<String, String> after = listing(dir);
        if (!after.equals(before)) {
            detail = "the case directory changed (" + difference(before, after) + "); " + outcome + ": " + detail;
            outcome = Outcome.FAILURE;
        }
        if (outcome == Outcome.FAILURE) {
            LOG.warn("{} {} #{} ({}) failed: {}", target.format(), c.kind(), index, c.description(), detail);
        }
        return new CaseResult(target.format(), c.kind(), index, c.description(), outcome, relative(detail, dir),
                allocated);
    }

    /** Where a throwable came from: its first stack frames, for failure details. */
    private static String at(Throwable t) {
        StackTraceElement[] st = t.getStackTrace();
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(3, st.length); i++) {
            s.append(i == 0 ? " at " : " < ").append(st[i]);
        }
        return s.toString();
    }

    /** Runs the reader on the worker thread; null when it timed out. */
    private Attempt attempt(FuzzTarget target, Path entry) {
        Future<Attempt> f = worker.submit(() -> {
            long a0 = allocatedByThisThread();
            try {
                LoadResult r = target.load(entry);
                return new Attempt(r, null, delta(a0));
            } catch (Throwable t) {
                return new Attempt(null, t, delta(a0));
            }
        });
        try {
            return f.get(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            worker.shutdownNow();
            worker = newWorker();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while fuzzing", e);
        } catch (ExecutionException e) {
            return new Attempt(null, e.getCause(), -1);
        }
    }

    private static long delta(long before) {
        long now = allocatedByThisThread();
        return before < 0 || now < 0 ? -1 : now - before;
    }

    /** Heap bytes allocated by the current thread so far, or -1 when the JVM does not measure them. */
    static long allocatedByThisThread() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled()) {
            return t.getCurrentThreadAllocatedBytes();
        }
        return -1;
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "laudnet-fuzz-reader");
            t.setDaemon(true);
            return t;
        });
    }

    /** Every entry under a directory (links not followed): relative path to type, size and modification time. */
    static Map<String, String> listing(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                if (!d.equals(dir)) {
                    out.put(dir.relativize(d).toString(), "dir");
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                out.put(dir.relativize(f).toString(), (a.isSymbolicLink() ? "link " : "file ") + a.size() + " "
                        + a.lastModifiedTime().toMillis());
                return FileVisitResult.CONTINUE;
            }
        });
        return out;
    }

    private static long sizeOf(String listingValue) {
        return listingValue.startsWith("file ") ? Long.parseLong(listingValue.split(" ")[1]) : 0;
    }

    private static String difference(Map<String, String> before, Map<String, String> after) {
        List<String> d = new ArrayList<>();
        after.forEach((k, v) -> {
            if (!before.containsKey(k)) {
                d.add("new " + k);
            } else if (!before.get(k).equals(v)) {
                d.add("changed " + k);
            }
        });
        before.keySet().stream().filter(k -> !after.containsKey(k)).forEach(k -> d.add("removed " + k));
        return String.join(", ", d);
    }

    /** Replaces the case directory in a message by a relative form, so reports do not depend on where cases ran. */
    private static String relative(String detail, Path dir) {
        return detail.replace(dir + "/", "").replace(dir.toString(), ".");
    }

    /** Deletes a directory tree (links are deleted, not followed); missing trees are ignored. */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Stops the worker thread. */
    @Override
    public void close() {
        worker.shutdownNow();
    }
}
