package org.laudnet.onednn;

import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.dnnl.dnnl_version_t;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The oneDNN natives of this process: loads them once (the first call of {@link #status()}), and holds the CPU engine
 * every {@link OneDnnBackend} shares. The probe never throws: a missing or unloadable native library (another
 * platform, no {@code jniOpenCL}, a broken cache directory) is reported as {@code available = false} with the reason.
 *
 * <p>Natives: the presets unpack {@code libdnnl.so.3}, {@code libgomp.so.1} and their JNI glue (about 91 MB) into the
 * JavaCPP cache ({@code ~/.javacpp/cache}, or the directory of the {@code org.bytedeco.javacpp.cachedir} system
 * property) on first load; later loads reuse it.
 *
 * <p>Threads: the presets build oneDNN with its OpenMP runtime and bundle their own {@code libgomp}, in which the
 * thread count belongs to each OS thread (default: {@code OMP_NUM_THREADS}, read once when it loads, else every core of
 * the process's affinity mask). Each {@link OneDnnBackend} sets it on the threads that run its primitives; see
 * {@link #defaultThreads(int)} for the default of a backend.
 *
 * <p>Thread-safe.
 */
public final class OneDnn {

    /** The environment variable the bundled OpenMP runtime reads for its thread count. */
    public static final String THREADS_ENV = "OMP_NUM_THREADS";

    /**
     * The system property that sets the threads of each executor of every oneDNN backend created without an explicit
     * count (a positive integer; it overrides {@value #THREADS_ENV}).
     */
    public static final String THREADS_PROPERTY = "laudnet.onednn.threads";

    private static final Logger LOG = LoggerFactory.getLogger(OneDnn.class);

    /**
     * The outcome of loading the natives.
     *
     * @param available whether oneDNN can run here
     * @param reason the version and ISA ("oneDNN 3.11.0, ISA avx10_1_512_amx, OpenMP"), or why not
     */
    public record Status(boolean available, String reason) {}

    private static final Object LOCK = new Object();
    private static volatile Status status;
    private static engine cpuEngine;

    private OneDnn() {}

    /**
     * Loads the natives once and reports whether oneDNN runs here. Never throws.
     *
     * @return the cached status
     */
    public static Status status() {
        Status s = status;
        if (s != null) {
            return s;
        }
        synchronized (LOCK) {
            if (status == null) {
                status = probe();
            }
            return status;
        }
    }

    private static Status probe() {
        long t0 = System.nanoTime();
        try {
            Loader.load(dnnl.class);
            engine e = new engine(engine.kind.cpu, 0);
            dnnl_version_t v = dnnl.dnnl_version();
            String isa = isaName();
            String runtime = v.cpu_runtime() == dnnl.DNNL_RUNTIME_OMP ? "OpenMP" : "runtime " + v.cpu_runtime();
            cpuEngine = e;
            String reason = "oneDNN " + v.major() + "." + v.minor() + "." + v.patch() + ", ISA " + isa + ", " + runtime;
            LOG.debug("loaded {} in {} ms", reason, (System.nanoTime() - t0) / 1_000_000);
            return new Status(true, reason);
        } catch (LinkageError | RuntimeException e) {
            LOG.debug("oneDNN natives unusable", e);
            return new Status(false, "oneDNN natives could not be loaded: " + e);
        }
    }

    /**
     * Returns the CPU engine.
     *
     * @return the engine shared by every backend
     * @throws IllegalStateException if the natives are unusable (the message says why)
     */
    static engine engine() {
        Status s = status();
        if (!s.available()) {
            throw new IllegalStateException("oneDNN cannot run here: " + s.reason());
        }
        return cpuEngine;
    }

    /**
     * Returns the default threads of each executor of a backend created without an explicit count, for one worker:
     * {@link #defaultThreads(int) defaultThreads(1)}.
     *
     * @return the thread count
     * @throws IllegalArgumentException if {@value #THREADS_PROPERTY} is set but not a positive integer
     */
    public static int threads() {
        return defaultThreads(1);
    }

    /**
     * Returns the default threads of each executor when {@code workers} executors of a model run at once: the system
     * property {@value #THREADS_PROPERTY} when set, else {@value #THREADS_ENV} when it is a positive integer (its first
     * entry), else {@code max(1, cores / workers)}, so that {@code workers x threads <= cores}.
     *
     * @param workers executors running at once, at least 1
     * @return the thread count
     * @throws IllegalArgumentException if {@code workers < 1}, or {@value #THREADS_PROPERTY} is set but not a positive
     *     integer
     */
    public static int defaultThreads(int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, got " + workers);
        }
        String p = System.getProperty(THREADS_PROPERTY);
        if (p != null) {
            int n;
            try {
                n = Integer.parseInt(p.trim());
            } catch (NumberFormatException e) {
                n = 0;
            }
            if (n < 1) {
                throw new IllegalArgumentException("the system property " + THREADS_PROPERTY
                        + " must be a positive integer, got '" + p + "'");
            }
            return n;
        }
        String v = System.getenv(THREADS_ENV);
        if (v != null) {
            try {
                int n = Integer.parseInt(v.trim().split(",")[0]);
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // the runtime ignores it too
            }
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors() / workers);
    }

    private static String isaName() {
        int isa = dnnl.dnnl_get_effective_cpu_isa();
        for (dnnl.cpu_isa c : dnnl.cpu_isa.values()) {
            if (c.value == isa) {
                return String.valueOf(c);
            }
        }
        return "isa 0x" + Integer.toHexString(isa);
    }
}
