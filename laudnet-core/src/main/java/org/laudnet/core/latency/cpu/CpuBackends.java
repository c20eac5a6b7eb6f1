package org.laudnet.core.latency.cpu;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.BackendProvider;
import org.laudnet.core.exec.Backends;
import org.laudnet.core.exec.DeviceKind;

/**
 * The CPU backends the latency model can be calibrated and validated on, by name: {@value #FASTEST} (the default)
 * is the backend an executor with {@link DeviceKind#AUTO} runs on the CPU ({@link Backends#createFastestCpu}: the
 * oneDNN backend where its natives load, else DJL/PyTorch); otherwise a CPU backend's id ({@code djl-cpu},
 * {@code onednn}, {@code java}; {@link Backends#create(String, NDManager)}). GPU backends are refused: the CPU model
 * does not describe them.
 *
 * <p>Stateless and thread-safe.
 */
public final class CpuBackends {

    /** The name of the fastest available CPU backend (what an AUTO executor runs on the CPU). */
    public static final String FASTEST = "fastest";

    private CpuBackends() {}

    /**
     * Creates the CPU backend of a name.
     *
     * @param name {@value #FASTEST} (or {@code auto}), or a CPU backend's id, case-insensitive
     * @param cpuParent the manager under which a DJL backend keeps its weights
     * @return the backend (the caller closes it)
     * @throws IllegalArgumentException for an unknown name or a GPU backend (the message lists the choices)
     * @throws IllegalStateException if the named backend cannot run here (the message says why)
     */
    public static Backend<?> create(String name, NDManager cpuParent) {
        if (cpuParent == null) {
            throw new IllegalArgumentException("cpuParent must not be null");
        }
        String key = check(name);
        return key.equals(FASTEST) ? Backends.createFastestCpu(cpuParent) : Backends.create(key, cpuParent);
    }

    /**
     * Checks a name without creating the backend (whether it can run here is known only then).
     *
     * @param name {@value #FASTEST} (or {@code auto}), or a CPU backend's id, case-insensitive
     * @return the normalised name: {@value #FASTEST} or the backend's id in lower case
     * @throws IllegalArgumentException for an unknown name or a GPU backend (the message lists the choices)
     */
    public static String check(String name) {
        if (name == null) {
            throw new IllegalArgumentException("name must not be null");
        }
        String key = name.trim().toLowerCase(Locale.ROOT);
        if (key.equals(FASTEST) || key.equals("auto")) {
            return FASTEST;
        }
        for (BackendProvider p : Backends.providers()) {
            if (p.id().equalsIgnoreCase(key) && p.deviceKind() != DeviceKind.CPU) {
                throw new IllegalArgumentException("backend must be a CPU backend (one of " + choices()
                        + "), got '" + name + "', a " + p.deviceKind() + " backend");
            }
        }
        List<String> known = choices();
        if (!known.contains(key) && !key.equals("djl") && !key.equals("cpu")) {
            throw new IllegalArgumentException("backend must be one of " + known + ", got '" + name + "'");
        }
        return key;
    }

    /**
     * Returns the names {@link #create} accepts: {@value #FASTEST}, the DJL and reference backends, and the CPU
     * providers on the classpath.
     *
     * @return the names
     */
    public static List<String> choices() {
        List<String> out = new ArrayList<>(List.of(FASTEST, Backends.DJL_ID, Backends.REFERENCE_ID));
        for (BackendProvider p : Backends.providers()) {
            if (p.deviceKind() == DeviceKind.CPU && !out.contains(p.id())) {
                out.add(p.id());
            }
        }
        return out;
    }
}
