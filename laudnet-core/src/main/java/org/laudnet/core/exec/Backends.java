package org.laudnet.core.exec;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicBoolean;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses and creates a {@link Backend} for a {@link DeviceKind}: the DJL/PyTorch CPU backend, or a GPU backend that
 * a module on the classpath provides ({@link BackendProvider}, found with {@link ServiceLoader}). The first choice
 * {@link DeviceKind#AUTO} makes in a JVM is logged at INFO with its reason, later ones at DEBUG. Thread-safe.
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
        Backend<?> cpu = DjlBackend.create(cpuParent);
        log("running on the CPU (" + cpu.description() + "): " + why);
        return cpu;
    }

    /**
     * Creates a backend by its id: {@code djl-cpu} (or {@code djl}, {@code cpu}) for the DJL/PyTorch CPU backend,
     * {@code java} for the plain-Java reference backend, or
     * the {@link BackendProvider#id() id} of a provider on the classpath (e.g. {@code cuda}).
     *
     * @param id the backend id
     * @param cpuParent the manager under which a CPU backend keeps its weights
     * @return the backend (the caller owns it)
     * @throws IllegalArgumentException if an argument is null or no backend has that id (the message lists the ids)
     * @throws IllegalStateException if the provider is unavailable or cannot start (the message says why)
     */
    public static Backend<?> create(String id, NDManager cpuParent) {
        if (id == null || cpuParent == null) {
            throw new IllegalArgumentException("id and cpuParent must not be null");
        }
        if (id.equals(DJL_ID) || id.equals("djl") || id.equals("cpu")) {
            return DjlBackend.create(cpuParent);
        }
        if (id.equals(REFERENCE_ID)) {
            return new ReferenceBackend();
        }
        List<String> ids = new ArrayList<>(List.of(DJL_ID, REFERENCE_ID));
        for (BackendProvider p : providers()) {
            if (!p.id().equals(id)) {
                ids.add(p.id());
                continue;
            }
            BackendProvider.Availability a = p.availability();
            if (!a.available()) {
                throw new IllegalStateException("backend " + id + " is unavailable: " + a.reason());
            }
            try {
                return p.create();
            } catch (RuntimeException e) {
                throw new IllegalStateException("backend " + id + " could not start: " + e.getMessage(), e);
            }
        }
        throw new IllegalArgumentException("no backend with id '" + id + "'; known: " + String.join(", ", ids));
    }

    private static void log(String message) {
        if (LOGGED.compareAndSet(false, true)) {
            LOG.info(message);
        } else {
            LOG.debug(message);
        }
    }
}
