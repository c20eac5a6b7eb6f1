package org.laudnet.onednn;

import static org.laudnet.onednn.TestTensors.random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.exec.reference.ReferenceOps;
import org.laudnet.core.plan.FoldedConv;

/**
 * The backend owns oneDNN's threads: the OpenMP binding reaches the runtime oneDNN runs on; an executor's primitives
 * set the backend's count on the calling thread ({@code omp_get_max_threads} of that runtime then returns it, and a
 * primitive starts a team of that size); two threads driven by backends of different counts keep their own; a changed
 * count applies at the next primitive; the defaults and the argument errors.
 */
class OneDnnThreadsTest {

    private static final FoldedConv CONV = conv(48, 32, 3, 13);
    private static final Nchw XS = new Nchw(1, 32, 24, 24);
    private static final float[] X = random(XS.size(), 14);
    private static final float[] WANT = ReferenceOps.conv2d(X, XS, CONV, null, true);

    @BeforeAll
    static void binding() {
        assertTrue(OneDnn.status().available(), OneDnn.status().reason());
        assertTrue(OpenMpThreads.available(), OpenMpThreads.describe());
        assertTrue(OpenMpThreads.describe().contains("libdnnl"), OpenMpThreads.describe());
    }

    @Test
    void theExecutorAppliesTheBackendsCountOnTheCallingThread() throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try (OneDnnBackend b = OneDnnBackend.create(3); Kernels<DnnlTensor> k = b.newKernels()) {
            assertTrue(b.ownsThreads());
            assertEquals(3, b.threads());
            assertEquals(3, b.intraOpThreads(), "what CPU latency profiles record");
            assertTrue(b.description().contains("3 threads per executor"), b.description());
            assertEquals(3, thread.submit(() -> convolve(b, k)).get(), "omp_get_max_threads after a primitive");
            assertTrue(b.setIntraOpThreads(1));
            assertEquals(1, b.threads());
            assertEquals(1, b.intraOpThreads());
            assertEquals(1, thread.submit(() -> convolve(b, k)).get(), "after setIntraOpThreads(1)");
        } finally {
            thread.shutdown();
        }
    }

    @Test
    void twoThreadsWithDifferentSettingsKeepTheirOwn() throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(2);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (OneDnnBackend one = OneDnnBackend.create(1); OneDnnBackend three = OneDnnBackend.create(3);
                Kernels<DnnlTensor> k1 = one.newKernels(); Kernels<DnnlTensor> k3 = three.newKernels()) {
            Future<int[]> a = threads.submit(() -> alternate(one, k1, barrier));
            Future<int[]> b = threads.submit(() -> alternate(three, k3, barrier));
            int[] ra = a.get();
            int[] rb = b.get();
            for (int i = 0; i < ra.length; i++) {
                assertEquals(1, ra[i], "the 1-thread executor's thread, round " + i);
                assertEquals(3, rb[i], "the 3-thread executor's thread, round " + i);
            }
        } finally {
            threads.shutdown();
        }
    }

    /** Runs a convolution three times, meeting the other thread between runs; returns the count read after each. */
    private static int[] alternate(OneDnnBackend b, Kernels<DnnlTensor> k, CyclicBarrier barrier) throws Exception {
        int[] seen = new int[3];
        for (int i = 0; i < seen.length; i++) {
            convolve(b, k);
            barrier.await();
            seen[i] = OpenMpThreads.maxThreads();
            barrier.await();
        }
        return seen;
    }

    @Test
    void aPrimitiveStartsATeamOfTheBackendsSize() throws Exception {
        String name = "omp-team-probe";
        int[] workers = new int[1];
        Throwable[] failure = new Throwable[1];
        try (OneDnnBackend b = OneDnnBackend.create(3); Kernels<DnnlTensor> k = b.newKernels()) {
            Thread t = new Thread(() -> {
                Thread.currentThread().setName(name); // the OS name, which the team's workers inherit
                try {
                    convolve(b, k);
                    workers[0] = threadsNamed(name) - 1;
                } catch (Throwable e) {
                    failure[0] = e;
                }
            });
            t.start();
            t.join();
        }
        if (failure[0] != null) {
            throw new AssertionError("the probe failed", failure[0]);
        }
        assertEquals(2, workers[0], "a team of 3 adds 2 workers to the calling thread");
    }

    @Test
    void theDefaultsAndBadCountsAreNamed() {
        String old = System.getProperty(OneDnn.THREADS_PROPERTY);
        try {
            System.setProperty(OneDnn.THREADS_PROPERTY, "5");
            assertEquals(5, OneDnn.defaultThreads(4));
            try (OneDnnBackend b = OneDnnBackend.create()) {
                assertEquals(5, b.threads());
            }
            System.setProperty(OneDnn.THREADS_PROPERTY, "zero");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, OneDnnBackend::create);
            assertTrue(e.getMessage().contains(OneDnn.THREADS_PROPERTY) && e.getMessage().contains("zero"),
                    e.getMessage());
            System.clearProperty(OneDnn.THREADS_PROPERTY);
            int cores = Runtime.getRuntime().availableProcessors();
            String env = System.getenv(OneDnn.THREADS_ENV);
            if (env == null) {
                assertEquals(Math.max(1, cores / 2), OneDnn.defaultThreads(2));
                assertEquals(1, OneDnn.defaultThreads(cores + 1));
                assertEquals(cores, OneDnn.defaultThreads(1));
            } else {
                assertEquals(Integer.parseInt(env.trim().split(",")[0]), OneDnn.defaultThreads(2));
            }
        } finally {
            if (old == null) {
                System.clearProperty(OneDnn.THREADS_PROPERTY);
            } else {
                System.setProperty(OneDnn.THREADS_PROPERTY, old);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OneDnnBackend.create(0));
        assertTrue(e.getMessage().contains("threads must be at least 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> OneDnn.defaultThreads(0));
        try (OneDnnBackend b = OneDnnBackend.create(2)) {
            e = assertThrows(IllegalArgumentException.class, () -> b.setIntraOpThreads(0));
            assertTrue(e.getMessage().contains("threads must be at least 1"), e.getMessage());
        }
        try (ReferenceBackend r = new ReferenceBackend()) {
            assertFalse(r.setIntraOpThreads(2), "a backend without an intra-op pool ignores the setting");
        }
    }

    /** Runs the convolution on the calling thread, checks it, returns omp_get_max_threads there. */
    private static int convolve(OneDnnBackend b, Kernels<DnnlTensor> k) {
        try (Kernels.Scope<DnnlTensor> s = k.openScope()) {
            float[] got = k.exportHost(k.conv(k.importHost(X, XS), XS, b.upload(CONV), null, true), WANT.length);
            for (int i = 0; i < WANT.length; i++) {
                assertEquals(WANT[i], got[i], 1e-4f * Math.max(1f, Math.abs(WANT[i])), "output " + i);
            }
        }
        return OpenMpThreads.maxThreads();
    }

    private static int threadsNamed(String name) throws IOException {
        int n = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(t.resolve("comm")).trim().equals(name)) {
                        n++;
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return n;
    }

    private static FoldedConv conv(int out, int in, int k, long seed) {
        float[] w = random(out * in * k * k, seed);
        for (int i = 0; i < w.length; i++) {
            w[i] *= (float) Math.sqrt(2.0 / (in * k * k));
        }
        return new FoldedConv(out, in, k, 1, k / 2, 1, w, random(out, seed + 1));
    }

}
