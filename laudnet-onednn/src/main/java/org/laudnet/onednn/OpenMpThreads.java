package org.laudnet.onednn;

import com.sun.jna.Function;
import com.sun.jna.Library;
import com.sun.jna.NativeLibrary;
import java.util.Map;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The thread count of oneDNN's OpenMP runtime, set per OS thread: a binding (through JNA) to
 * {@code omp_set_num_threads} and {@code omp_get_max_threads} of exactly the {@code libgomp} instance that
 * {@code libdnnl} runs on, which the presets bundle and which is another runtime than PyTorch's
 * ({@code libgomp-*.so.1} in the DJL cache).
 *
 * <p>How the instance is found: the functions are looked up with {@code dlsym} through the handle of the loaded
 * {@code libdnnl.so.3} (else of the presets' JNI library), which searches that library's own dependencies, so the
 * symbols resolve to the {@code libgomp.so.1} the dynamic linker bound {@code libdnnl} to, whichever file that is.
 * The handle is obtained with {@code RTLD_NOLOAD} and without {@code RTLD_GLOBAL}: nothing is loaded, and oneDNN's
 * runtime is not put into the global symbol scope (where it could capture PyTorch's OpenMP calls).
 *
 * <p>Semantics: in {@code libgomp} the thread count ({@code nthreads-var}) belongs to the calling OS thread; a thread
 * that never set it uses {@code OMP_NUM_THREADS}, else every core. {@link #apply} remembers per thread what it last
 * set, so that a call that changes nothing costs one {@link ThreadLocal} read.
 *
 * <p>When the binding cannot be made (another platform, a runtime without these symbols, JNA unusable) the reason is
 * logged once at INFO and {@link #apply} does nothing: oneDNN then sizes its teams from {@code OMP_NUM_THREADS} or the
 * core count, as if the backend did not own its threads.
 *
 * <p>Thread-safe.
 */
final class OpenMpThreads {

    private static final Logger LOG = LoggerFactory.getLogger(OpenMpThreads.class);
    /** {@code dlopen} flags: resolve lazily, and only return a library that is already loaded. */
    private static final int RTLD_LAZY_NOLOAD = 0x1 | 0x4;

    /** The two functions of the bound runtime, and where they were found. */
    private record Binding(Function set, Function get, String library) {}

    private static final Object LOCK = new Object();
    private static volatile Binding binding;
    private static volatile String unavailable;
    /** Per thread, the count this class last set (0: none). */
    private static final ThreadLocal<int[]> APPLIED = ThreadLocal.withInitial(() -> new int[1]);

    private OpenMpThreads() {}

    /**
     * Returns whether the thread count can be set (binding the runtime on first use).
     *
     * @return true where {@link #apply} sets oneDNN's thread count
     */
    static boolean available() {
        return bind() != null;
    }

    /**
     * Returns where the functions were found, or why the binding failed.
     *
     * @return a description for logs and reports
     */
    static String describe() {
        Binding b = bind();
        return b != null ? "omp_set_num_threads of the libgomp that " + b.library + " runs on" : unavailable;
    }

    /**
     * Sets the calling thread's OpenMP thread count unless this class already set it to {@code threads} on this thread.
     * Does nothing where the binding is unavailable.
     *
     * @param threads at least 1
     */
    static void apply(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        int[] applied = APPLIED.get();
        if (applied[0] == threads) {
            return;
        }
        Binding b = bind();
        if (b == null) {
            return;
        }
        b.set.invoke(new Object[] {threads});
        applied[0] = threads;
    }

    /**
     * Returns {@code omp_get_max_threads()} of oneDNN's runtime on the calling thread: the team size a parallel region
     * started here gets.
     *
     * @return the count, or -1 where the binding is unavailable
     */
    static int maxThreads() {
        Binding b = bind();
        return b == null ? -1 : b.get.invokeInt(new Object[0]);
    }

    private static Binding bind() {
        Binding b = binding;
        if (b != null || unavailable != null) {
            return b;
        }
        synchronized (LOCK) {
            if (binding == null && unavailable == null) {
                try {
                    binding = lookUp();
                    LOG.debug("oneDNN threads: {}", describe());
                } catch (LinkageError | RuntimeException e) {
                    unavailable = "oneDNN's OpenMP runtime could not be bound (" + e + "); oneDNN sizes its thread"
                            + " teams from " + OneDnn.THREADS_ENV + " or the core count";
                    LOG.info("{}", unavailable);
                }
            }
            return binding;
        }
    }

    private static Binding lookUp() {
        OneDnn.Status s = OneDnn.status();
        if (!s.available()) {
            throw new IllegalStateException(s.reason());
        }
        String path = null;
        for (Map.Entry<String, String> e : Loader.getLoadedLibraries().entrySet()) {
            if (e.getKey().equals("dnnl") || e.getKey().startsWith("dnnl@")) {
                path = e.getValue();
            }
        }
        if (path == null) {
            path = Loader.load(dnnl.class); // already loaded: returns the JNI library's path
        }
        NativeLibrary lib = NativeLibrary.getInstance(path, Map.of(Library.OPTION_OPEN_FLAGS, RTLD_LAZY_NOLOAD));
        Function set = lib.getFunction("omp_set_num_threads");
        Function get = lib.getFunction("omp_get_max_threads");
        int n = get.invokeInt(new Object[0]);
        if (n < 1) {
            throw new IllegalStateException("omp_get_max_threads returned " + n);
        }
        return new Binding(set, get, path.substring(path.lastIndexOf('/') + 1));
    }
}
