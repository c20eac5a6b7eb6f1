package org.laudnet.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.reference.ReferenceOps;
import org.laudnet.core.plan.FoldedConv;

/**
 * oneDNN's bundled OpenMP runtime and PyTorch's (through DJL) in one process: both {@code libgomp} copies are loaded,
 * both compute correct results when their work interleaves, and each creates the thread team its setting asks for
 * (the backend's threads per executor for oneDNN, by default {@code OMP_NUM_THREADS} or every core, set through the
 * binding of oneDNN's runtime; {@code ai.djl.pytorch.num_threads} for PyTorch): a worker thread
 * inherits the OS name of the thread that started its team, so the teams started from a thread with its own name are
 * counted in {@code /proc/self/task}.
 */
class OpenMpCoexistenceTest {

    private static final String PROBE = "omp-probe";

    @Test
    void bothOpenMpRuntimesRunInOneProcessWithTheirConfiguredThreads() throws Exception {
        assertTrue(OneDnn.status().available(), OneDnn.status().reason());
        int dnnlThreads;
        try (OneDnnBackend b = OneDnnBackend.create()) {
            dnnlThreads = b.threads();
        }
        int torchThreads = Integer.parseInt(System.getProperty("ai.djl.pytorch.num_threads",
                String.valueOf(Runtime.getRuntime().availableProcessors())));
        AtomicReference<int[]> counts = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread probe = new Thread(() -> {
            Thread.currentThread().setName(PROBE); // sets the OS name of the running thread
            try {
                counts.set(interleave());
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        probe.start();
        probe.join();
        if (failure.get() != null) {
            throw new AssertionError("interleaved oneDNN / PyTorch work failed", failure.get());
        }
        Set<String> gomps = loadedOpenMpRuntimes();
        assertTrue(gomps.size() >= 2, "two OpenMP runtimes loaded (oneDNN's and PyTorch's): " + gomps);
        int[] c = counts.get();
        System.out.printf("OpenMP coexistence: runtimes %s; oneDNN threads %d, PyTorch threads %d; probe workers after"
                + " oneDNN %d, after PyTorch's start %d, after its operator %d, after interleaving %d%n", gomps,
                dnnlThreads, torchThreads, c[0], c[3], c[1], c[2]);
        assertEquals(dnnlThreads - 1, c[0], "oneDNN's team adds OMP threads - 1 workers to the calling thread");
        assertEquals(torchThreads - 1, c[1] - c[3], "PyTorch's team adds num_threads - 1 workers");
        assertEquals(c[1], c[2], "interleaving creates no further threads");
        assertEquals(dnnlThreads, c[4], "oneDNN's runtime keeps the backend's count on the probe thread");
    }

    /** Runs oneDNN, then PyTorch, then both alternately; returns the probe's workers after each phase. */
    private static int[] interleave() throws IOException {
        int[] counts = new int[5];
        FoldedConv fc = new FoldedConv(64, 64, 3, 1, 1, 1, fill(64 * 64 * 9, 0.01f), fill(64, 0.1f));
        Nchw xs = new Nchw(1, 64, 56, 56);
        float[] x = fill(xs.size(), 0.5f);
        float[] want = ReferenceOps.conv2d(x, xs, fc, null, true);
        try (OneDnnBackend backend = OneDnnBackend.create(); Kernels<DnnlTensor> k = backend.newKernels()) {
            Runnable dnnl = () -> {
                try (Kernels.Scope<DnnlTensor> s = k.openScope()) {
                    float[] got = k.exportHost(k.conv(k.importHost(x, xs), xs, backend.upload(fc), null, true),
                            want.length);
                    for (int i = 0; i < want.length; i++) {
                        assertEquals(want[i], got[i], 1e-4f * Math.max(1f, Math.abs(want[i])), "oneDNN at " + i);
                    }
                }
            };
            dnnl.run();
            counts[0] = workers();
            try (NDManager m = NDManager.newBaseManager(Engine.getEngine("PyTorch").defaultDevice())) {
                counts[3] = workers(); // PyTorch's own start-up threads, before any parallel operator
                Runnable torch = () -> {
                    try (NDManager sub = m.newSubManager()) {
                        NDArray a = sub.ones(new ai.djl.ndarray.types.Shape(1 << 22)).mul(3f);
                        assertEquals(3f * (1 << 22), a.sum().getFloat(), 1f, "PyTorch sum");
                    }
                };
                torch.run();
                counts[1] = workers();
                for (int i = 0; i < 5; i++) {
                    dnnl.run();
                    torch.run();
                }
                counts[2] = workers();
                counts[4] = OpenMpThreads.maxThreads(); // oneDNN's runtime, after PyTorch's ran on this thread
            }
        }
        return counts;
    }

    private static float[] fill(int n, float v) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = v * ((i % 7) - 3);
        }
        return a;
    }

    /** Threads of this process named like the probe, less the probe itself. */
    private static int workers() throws IOException {
        int n = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(t.resolve("comm")).trim().equals(PROBE)) {
                        n++;
                    }
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return n - 1;
    }

    private static Set<String> loadedOpenMpRuntimes() throws IOException {
        Set<String> libs = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            int at = line.indexOf('/');
            if (at >= 0 && line.contains("libgomp")) {
                libs.add(line.substring(at));
            }
        }
        return libs;
    }
}
