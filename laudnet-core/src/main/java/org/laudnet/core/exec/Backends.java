package org.laudnet.core.exec;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicBoolean;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses and creates a {@link Backend} for a {@link DeviceKind}: the DJL/PyTorch CPU backend, or a backend that a
 * module on the classpath provides ({@link BackendProvider}, found with {@link ServiceLoader}: a GPU backend, or a
 * faster CPU backend such as laudnet-onednn's).
 *
 * <ul>
 *   <li>{@link DeviceKind#CUDA}: a usable CUDA provider, else an error with the reasons.
 *   <li>{@link DeviceKind#AUTO}: a usable CUDA provider, else the fastest available CPU backend
 *       ({@link #createFastestCpu}).
 *   <li>{@link DeviceKind#CPU}: always the DJL/PyTorch CPU backend (predictable for callers that mix it with their own
 *       DJL code); {@link #createFastestCpu} and {@link #create(String, NDManager)} choose other CPU backends.
 * </ul>
 *
 * <p>The first choice made in a JVM is logged at INFO with its reason, later ones at DEBUG. Thread-safe.
 */
public final class Backends {

    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);
    private static final AtomicBoolean LOGGED = new AtomicBoolean();
    /** The id of the DJL/PyTorch CPU backend. */
    public static final String DJL_ID = "djl-cpu";
    /** The id of the plain-Java reference backend. */
    public static final String REFERENCE_ID = "java";

    private Backends() {}

    /** Returns the backend providers on the classpath. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> list = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            list.add(p);
        }
        return list;
    }

    /**
     * Creates a backend.
     *
     * @param device where to run
     * @param cpuParent the manager under which a CPU backend keeps its weights
     * @return the backend (the caller owns it)
     * @throws IllegalStateException for {@link DeviceKind#CUDA} when no usable CUDA backend exists (the message says
     *     why)
     */
    public static Backend<?> create(DeviceKind device, NDManager cpuParent) {
        if (device == null || cpuParent == null) {
            throw new IllegalArgumentException("device and cpuParent must not be null");
        }
        if (device == DeviceKind.CPU) {
            return DjlBackend.create(cpuParent);
        }
        List<String> reasons = new ArrayList<>();
        for (BackendProvider p : providers()) {
            if (p.deviceKind() != DeviceKind.CUDA) {
                continue;
            }
            BackendProvider.Availability a = p.availability();
            if (a.available()) {
                try {
                    Backend<?> b = p.create();
                    log("running on " + b.description() + " (" + a.reason() + ")");
                    return b;
                } catch (RuntimeException e) {
                    reasons.add(p.id() + ": could not start: " + e.getMessage());
                }
            } else {
                reasons.add(p.id() + ": " + a.reason());
            }
        }
        String why = reasons.isEmpty() ? "no CUDA backend on the classpath (add the laudnet-cuda module)"
                : String.join("; ", reasons);
        if (device == DeviceKind.CUDA) {
            throw new IllegalStateException("CUDA requested but unavailable: " + why);
        }
        return fastestCpu(cpuParent, why);
    }

    /**
     * Creates the fastest available CPU backend: the available CPU provider of the highest
     * {@link BackendProvider#cpuRank() rank} above 0 (e.g. oneDNN where its natives load), else the DJL/PyTorch
     * backend. The choice and its reason are logged (INFO the first time in a JVM).
     *
     * @param cpuParent the manager under which the DJL backend keeps its weights
     * @return the backend (the caller owns it)
     */
    public static Backend<?> createFastestCpu(NDManager cpuParent) {
        if (cpuParent == null) {
            throw new IllegalArgumentException("cpuParent must not be null");
        }
        return fastestCpu(cpuParent, null);
    }

    /**
     * Creates a backend by its {@link Backend#id() identifier}: {@code "djl-cpu"} (or {@code "djl"}, {@code "cpu"}: the
     * DJL/PyTorch CPU backend),
     * {@code "java"} (the pure-Java reference), the id of a provider on the classpath ({@code "onednn"},
     * {@code "cuda"}), or {@code "auto"} ({@link DeviceKind#AUTO}).
     *
     * @param id the identifier, case-insensitive
     * @param cpuParent the manager under which the DJL backend keeps its weights
     * @return the backend (the caller owns it)
     * @throws IllegalArgumentException if no backend has that id (the message lists the known ones)
     * @throws IllegalStateException if the backend exists but cannot run here (the message says why)
     */
    public static Backend<?> create(String id, NDManager cpuParent) {
        if (id == null || cpuParent == null) {
            throw new IllegalArgumentException("id and cpuParent must not be null");
        }
        String key = id.trim().toLowerCase(java.util.Locale.ROOT);
        switch (key) {
            case "auto":
                return create(DeviceKind.AUTO, cpuParent);
            case DJL_ID:
            case "djl":
            case "cpu":
                return DjlBackend.create(cpuParent);
            case REFERENCE_ID:
                return new ReferenceBackend();
            default:
                break;
        }
        List<String> known = new ArrayList<>(List.of("auto", DJL_ID, REFERENCE_ID));
        for (BackendProvider p : providers()) {
            known.add(p.id());
            if (p.id().equalsIgnoreCase(key)) {
                BackendProvider.Availability a = p.availability();
                if (!a.available()) {
                    throw new IllegalStateException("backend '" + p.id() + "' cannot run here: " + a.reason());
                }
                try {
                    return p.create();
                } catch (RuntimeException e) {
                    throw new IllegalStateException("backend '" + p.id() + "' could not start: " + e.getMessage(), e);
                }
            }
        }
        throw new IllegalArgumentException("backend must be one of " + known + ", got '" + id + "'");
    }

    private static Backend<?> fastestCpu(NDManager cpuParent, String gpuReason) {
        List<BackendProvider> cpus = new ArrayList<>();
        for (BackendProvider p : providers()) {
            if (p.deviceKind() == DeviceKind.CPU && p.cpuRank() > 0) {
                cpus.add(p);
            }
        }
        cpus.sort(Comparator.comparingInt(BackendProvider::cpuRank).reversed());
        List<String> reasons = new ArrayList<>();
        for (BackendProvider p : cpus) {
            BackendProvider.Availability a = p.availability();
            if (!a.available()) {
                reasons.add(p.id() + ": " + a.reason());
                continue;
            }
            try {
                Backend<?> b = p.create();
                log("running on the CPU with " + p.id() + " (" + b.description() + "), the fastest available CPU"
                        + " backend" + (gpuReason == null ? "" : "; no GPU: " + gpuReason));
                return b;
            } catch (RuntimeException e) {
                reasons.add(p.id() + ": could not start: " + e.getMessage());
            }
        }
        Backend<?> cpu = DjlBackend.create(cpuParent);
        String why = cpus.isEmpty() ? "no faster CPU backend on the classpath (add the laudnet-onednn module)"
                : String.join("; ", reasons);
        log("running on the CPU with DJL/PyTorch (" + cpu.description() + "): " + why
                + (gpuReason == null ? "" : "; no GPU: " + gpuReason));
        return cpu;
    }


    private static void log(String message) {
        if (LOGGED.compareAndSet(false, true)) {
            LOG.info(message);
        } else {
            LOG.debug(message);
        }
    }
}
