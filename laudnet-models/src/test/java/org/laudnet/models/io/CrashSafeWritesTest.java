package org.laudnet.models.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.util.AtomicFiles;
import org.laudnet.models.train.Checkpoint;
import org.laudnet.models.train.CheckpointState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Crash safety of checkpoints and model files: a child JVM ({@link CrashingWriter}) writes versions of a network
 * again and again and is killed with {@code SIGKILL} at seeded random moments; after every kill the checkpoint, its
 * {@code .prev} and the model file each load and hold one whole version (the last one the child reported, or the one
 * it was writing), temporary files a kill left are gone once the next run has written, and after a final clean run
 * the directory holds exactly the three files.
 */
class CrashSafeWritesTest {

    private static final Logger LOG = LoggerFactory.getLogger(CrashSafeWritesTest.class);
    private static final int KILLS = 10;
    private static final long SEED = 20_240_611L;
    private static final Set<String> TARGETS = Set.of(CrashingWriter.CHECKPOINT, CrashingWriter.CHECKPOINT + ".prev",
            CrashingWriter.MODEL);

    @TempDir
    Path work;

    /** One child run: its process, the versions it reported written, and its end. */
    private static final class Run {
        final Process process;
        final List<Long> wrote = new CopyOnWriteArrayList<>();
        final CountDownLatch ready = new CountDownLatch(1);
        final Thread reader;

        Run(Process process) {
            this.process = process;
            this.reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        if (line.equals("ready")) {
                            ready.countDown();
                        } else if (line.startsWith("wrote ")) {
                            wrote.add(Long.parseLong(line.substring("wrote ".length())));
                        }
                    }
                } catch (IOException e) {
                    // the pipe closes when the child dies
                }
            }, "crashing-writer-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        void awaitEnd() throws InterruptedException {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the child did not end");
            reader.join(10_000);
        }
    }

    private Run start(Path dir, long first, long count, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-XX:+UseSerialGC", "-Dai.djl.offline=true",
                "-Dai.djl.pytorch.num_threads=1", "-Dai.djl.pytorch.num_interop_threads=1",
                "-cp", System.getProperty("java.class.path"), CrashingWriter.class.getName(), dir.toString(),
                Long.toString(first), Long.toString(count));
        pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return new Run(pb.start());
    }

    private static Set<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static boolean isTemp(Path dir, String name) {
        return TARGETS.stream().anyMatch(t -> AtomicFiles.isTempOf(dir.resolve(name), dir.resolve(t)));
    }

    /** Checks that every parameter of {@code net} holds version {@code v}. */
    private static void assertVersion(GatedBackbone net, long v, String what) {
        int p = 0;
        for (Pair<String, Parameter> e : net.getParameters()) {
            float want = CrashingWriter.value(v, p++);
            for (float x : e.getValue().getArray().toFloatArray()) {
                if (x != want) {
                    fail(what + ": parameter " + e.getKey() + " holds " + x + ", version " + v + " has " + want);
                }
            }
        }
    }

    /**
     * Loads the checkpoint, its .prev and the model file; returns the versions found (-1 where absent). The checkpoint
     * and the model file must hold a version of {@code allowed[0]} and {@code allowed[1]}.
     */
    private static long[] loadAll(Path dir, NDManager m, List<Set<Long>> allowed) throws IOException {
        long[] found = {-1, -1, -1};
        Path ckpt = dir.resolve(CrashingWriter.CHECKPOINT);
        if (Files.exists(ckpt)) {
            try (NDManager sub = m.newSubManager()) {
                GatedBackbone net = CrashingWriter.network(sub);
                CheckpointState s = Checkpoint.load(ckpt, net, sub);
                assertTrue(allowed.get(0).contains((long) s.epoch()), "checkpoint version " + s.epoch()
                        + ", expected one of " + allowed.get(0));
                assertVersion(net, s.epoch(), ckpt.toString());
                found[0] = s.epoch();
            }
        }
        Path prev = Checkpoint.sibling(ckpt, ".prev");
        if (Files.exists(prev)) {
            try (NDManager sub = m.newSubManager()) {
                GatedBackbone net = CrashingWriter.network(sub);
                CheckpointState s = Checkpoint.load(prev, net, sub);
                assertTrue(s.epoch() <= found[0], ".prev holds version " + s.epoch() + ", newer than " + found[0]);
                assertVersion(net, s.epoch(), prev.toString());
                found[1] = s.epoch();
            }
        }
        Path model = dir.resolve(CrashingWriter.MODEL);
        if (Files.exists(model)) {
            try (NDManager sub = m.newSubManager()) {
                GatedBackbone net = (GatedBackbone) LaudModelFile.load(model, sub).network();
                long v = (long) net.getParameters().get(0).getValue().getArray().toFloatArray()[0];
                assertTrue(allowed.get(1).contains(v), "model file version " + v + ", expected one of "
                        + allowed.get(1));
                assertVersion(net, v, model.toString());
                found[2] = v;
            }
        }
        return found;
    }

    @Test
    void killedWritersLeaveLoadableFilesAndTheNextWriteRemovesTheirTemporaryFiles() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "destroyForcibly sends SIGKILL on Linux");
        Path dir = Files.createDirectory(work.resolve("out"));
        Path log = work.resolve("child-stderr.log");
        Random random = new Random(SEED);
        long[] previous = {-1, -1, -1};
        Set<String> staleBefore = Set.of();
        int killsWithTemps = 0;
        List<String> history = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            for (int k = 0; k < KILLS; k++) {
                long first = (k + 1) * 10_000L;
                Run run = start(dir, first, 0, log);
                try {
                    assertTrue(run.ready.await(120, TimeUnit.SECONDS), "the child did not start: "
                            + Files.readString(log));
                    Thread.sleep(random.nextInt(300));
                } finally {
                    run.process.destroyForcibly();
                }
                run.awaitEnd();
                assertEquals(137, run.process.exitValue(), "the child should have died of SIGKILL");

                // on disk: the last version the run reported or the one after it; without a report, what was there
                // before the run or the run's first version
                List<Set<Long>> allowed = new ArrayList<>();
                for (int f : new int[] {0, 2}) {
                    Set<Long> a = new HashSet<>();
                    if (!run.wrote.isEmpty()) {
                        long c = run.wrote.get(run.wrote.size() - 1);
                        a.add(c);
                        a.add(c + 1);
                    } else {
                        a.add(previous[f]);
                        a.add(first);
                    }
                    allowed.add(a);
                }
                Set<String> names = names(dir);
                Set<String> temps = new TreeSet<>();
                for (String n : names) {
                    if (isTemp(dir, n)) {
                        temps.add(n);
                    } else {
                        assertTrue(TARGETS.contains(n), "unexpected file " + n + " after kill " + k + ": " + names);
                    }
                }
                if (!run.wrote.isEmpty()) {
                    for (String stale : staleBefore) {
                        assertFalse(names.contains(stale), stale + " left by kill " + (k - 1)
                                + " survived a completed write of run " + k + ": " + names);
                    }
                }
                long[] found = loadAll(dir, m, allowed);
                for (int f : new int[] {0, 2}) {
                    if (previous[f] >= 0 || !run.wrote.isEmpty()) {
                        assertTrue(found[f] >= 0, "a written version is missing after kill " + k + ": " + names);
                    }
                }
                previous = found;
                killsWithTemps += temps.isEmpty() ? 0 : 1;
                history.add("kill " + k + ": wrote " + run.wrote.size() + ", versions " + found[0] + "/" + found[1]
                        + "/" + found[2] + ", temporary files " + temps);
                staleBefore = temps;
            }

            // a clean run writes one version and ends: exactly the three files remain
            long last = 999_000L;
            Run clean = start(dir, last, 1, log);
            clean.awaitEnd();
            assertEquals(0, clean.process.exitValue(), Files.readString(log));
            assertEquals(List.of(last), clean.wrote);
            assertEquals(TARGETS, names(dir), String.join("\n", history));
            long[] found = loadAll(dir, m, List.of(Set.of(last), Set.of(last)));
            assertEquals(last, found[0]);
            assertEquals(last, found[2]);
        }
        LOG.info("{}\nkills that left temporary files: {} of {}", String.join("\n", history), killsWithTemps,
                KILLS);
    }
}
