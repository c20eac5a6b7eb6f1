package org.laudnet.onednn;

import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.BackendProvider;
import org.laudnet.core.exec.DeviceKind;

/**
 * Offers the {@link OneDnnBackend} to {@link org.laudnet.core.exec.Backends} (registered in
 * {@code META-INF/services/org.laudnet.core.exec.BackendProvider}) as a CPU backend ranked above the DJL one: where
 * its natives load, {@code DeviceKind.AUTO} (without a GPU) runs on it. Availability is the cached {@link OneDnn}
 * probe, which loads the natives once and never throws.
 *
 * <p>Stateless and thread-safe.
 */
public final class OneDnnBackendProvider implements BackendProvider {

    /** The CPU rank of this provider ({@link #cpuRank()}): above the DJL backend's 0. */
    public static final int CPU_RANK = 100;

    /** Creates the provider (for {@link java.util.ServiceLoader}). */
    public OneDnnBackendProvider() {}

    /** Returns {@value OneDnnBackend#ID}. */
    @Override
    public String id() {
        return OneDnnBackend.ID;
    }

    /** Returns {@link DeviceKind#CPU}. */
    @Override
    public DeviceKind deviceKind() {
        return DeviceKind.CPU;
    }

    /** Returns {@value #CPU_RANK}. */
    @Override
    public int cpuRank() {
        return CPU_RANK;
    }

    /**
     * Returns the cached native probe: available with oneDNN's version, ISA and default threads per executor
     * ({@link OneDnn#defaultThreads(int)}), or why not.
     */
    @Override
    public Availability availability() {
        try {
            OneDnn.Status s = OneDnn.status();
            return new Availability(s.available(), s.available()
                    ? s.reason() + ", " + OneDnn.threads() + " threads per executor by default" : s.reason());
        } catch (LinkageError | RuntimeException e) {
            return new Availability(false, "oneDNN unusable: " + e);
        }
    }

    /**
     * Creates a oneDNN backend.
     *
     * @return the backend (the caller owns it)
     * @throws IllegalStateException if the natives cannot be loaded (the message carries the probe's reason)
     */
    @Override
    public Backend<?> create() {
        return OneDnnBackend.create();
    }
}
