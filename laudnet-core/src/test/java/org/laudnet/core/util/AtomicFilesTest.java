package org.laudnet.core.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Atomic writes: content, failures, and the removal of stale temporary files of the same target only. */
class AtomicFilesTest {

    @TempDir
    Path dir;

    private Set<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void writesAndReplacesLeavingOnlyTheTarget() throws IOException {
        Path target = dir.resolve("a.bin");
        AtomicFiles.write(target, out -> out.write(bytes("first")));
        AtomicFiles.write(target, out -> out.write(bytes("second")));
        assertArrayEquals(bytes("second"), Files.readAllBytes(target));
        assertEquals(Set.of("a.bin"), names());
    }

    @Test
    void failingContentLeavesTheTargetAndNoTemporaryFile() throws IOException {
        Path target = dir.resolve("a.bin");
        AtomicFiles.write(target, out -> out.write(bytes("good")));
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[4096]);
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertArrayEquals(bytes("good"), Files.readAllBytes(target));
        assertEquals(Set.of("a.bin"), names());
    }

    @Test
    void missingDirectoryIsNamed() {
        Path target = dir.resolve("no-such-dir").resolve("a.bin");
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> AtomicFiles.write(target, out -> out.write(1)));
        assertTrue(e.getMessage().contains("no-such-dir"), e.getMessage());
    }

    @Test
    void temporaryNamesMatchTheirTargetOnly() {
        Path target = dir.resolve("model.laud");
        assertTrue(AtomicFiles.isTempOf(dir.resolve(".model.laud.k3j2x.tmp"), target));
        assertTrue(AtomicFiles.isTempOf(dir.resolve(".model.laud.3w5e11264sgsf.tmp"), target)); // 2^64 - 1
        assertFalse(AtomicFiles.isTempOf(dir.resolve(".model.laud.3w5e11264sgsf0.tmp"), target)); // 14 chars
        assertFalse(AtomicFiles.isTempOf(dir.resolve(".model.laud..tmp"), target));
        assertFalse(AtomicFiles.isTempOf(dir.resolve(".model.laud.tmp"), target));
        assertFalse(AtomicFiles.isTempOf(dir.resolve("model.laud.k3.tmp"), target));
        assertFalse(AtomicFiles.isTempOf(dir.resolve(".model.laud.K3.tmp"), target));
        assertFalse(AtomicFiles.isTempOf(dir.resolve(".model.laud.prev.k3.tmp"), target)); // model.laud.prev's
        assertFalse(AtomicFiles.isTempOf(dir.resolve(".model.k3.tmp"), target));
        assertFalse(AtomicFiles.isTempOf(dir.resolve("sub").resolve(".model.laud.k3.tmp"), target));
        assertTrue(AtomicFiles.isTempOf(dir.resolve(".model.laud.prev.k3.tmp"), dir.resolve("model.laud.prev")));
    }

    @Test
    void writeRemovesStaleTemporaryFilesOfItsTargetAndNothingElse() throws IOException {
        Path target = dir.resolve("model.laud");
        Files.write(target, bytes("old"));
        // left by writers killed before their rename
        Files.write(dir.resolve(".model.laud.k3j2x.tmp"), bytes("half a model"));
        Files.write(dir.resolve(".model.laud.0.tmp"), new byte[0]);
        // not temporary files of model.laud: kept
        List<String> others = List.of(".model.laud.tmp", "model.laud.k3.tmp", ".model.laud.K3.tmp",
                ".model.laud.prev.k3.tmp", ".other.laud.k3.tmp", "notes.txt");
        for (String o : others) {
            Files.write(dir.resolve(o), bytes(o));
        }
        Files.createDirectory(dir.resolve(".model.laud.d1.tmp"));
        Files.createSymbolicLink(dir.resolve(".model.laud.s1.tmp"), dir.resolve("notes.txt"));

        AtomicFiles.write(target, out -> out.write(bytes("new")));

        assertArrayEquals(bytes("new"), Files.readAllBytes(target));
        Set<String> expected = new TreeSet<>(others);
        expected.addAll(List.of("model.laud", ".model.laud.d1.tmp", ".model.laud.s1.tmp"));
        assertEquals(expected, names());
        for (String o : others) {
            assertArrayEquals(bytes(o), Files.readAllBytes(dir.resolve(o)), o);
        }
        assertEquals(List.of(), AtomicFiles.removeStaleTemps(target));
    }

    @Test
    void aWriteInProgressInThisJvmKeepsItsTemporaryFile() throws Exception {
        Path target = dir.resolve("shared.bin");
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<?> slow = pool.submit(() -> {
                AtomicFiles.write(target, out -> {
                    out.write(bytes("slow"));
                    writing.countDown();
                    try {
                        assertTrue(release.await(30, TimeUnit.SECONDS));
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                });
                return null;
            });
            assertTrue(writing.await(30, TimeUnit.SECONDS));
            Set<String> during = names();
            assertEquals(1, during.size(), during.toString());
            String slowTemp = during.iterator().next();
            assertTrue(AtomicFiles.isTempOf(dir.resolve(slowTemp), target), slowTemp);

            AtomicFiles.write(target, out -> out.write(bytes("fast")));
            assertTrue(Files.exists(dir.resolve(slowTemp)), "the live writer's temporary file was deleted");
            assertArrayEquals(bytes("fast"), Files.readAllBytes(target));

            release.countDown();
            slow.get(30, TimeUnit.SECONDS);
            assertArrayEquals(bytes("slow"), Files.readAllBytes(target));
            assertEquals(Set.of("shared.bin"), names());
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void aTemporaryFileLockedByAnotherLiveProcessIsKeptUntilThatProcessDies() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "SIGKILL semantics of destroyForcibly (Linux)");
        Path target = dir.resolve("model.laud");
        Path held = dir.resolve(".model.laud.live1.tmp");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                TempFileHolder.class.getName(), held.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked true", r.readLine());

            AtomicFiles.write(target, out -> out.write(bytes("one")));
            assertEquals(Set.of("model.laud", ".model.laud.live1.tmp"), names());

            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(137, p.exitValue(), "killed by SIGKILL");
            assertEquals(List.of(held.toAbsolutePath()), AtomicFiles.removeStaleTemps(target));
            assertEquals(Set.of("model.laud"), names());
        } finally {
            p.destroyForcibly();
        }
    }
}
