package org.laudnet.core.exec;

/**
 * A backend that a module on the classpath offers (found with {@link java.util.ServiceLoader}; e.g. the CUDA backend of
 * the laudnet-cuda module). {@link Backends#create} picks among them.
 */
public interface BackendProvider {

    /**
     * Whether a provider's backend can run here, and why (not).
     *
     * @param available whether {@link #create()} will succeed
     * @param reason a human-readable reason, e.g. "NVIDIA H100 (driver 580, compute capability 9.0)" or
     *     "no NVIDIA driver found"
     */
    record Availability(boolean available, String reason) {}

    /** Returns the backend's identifier, e.g. {@code "cuda"}. */
    String id();

    /** Returns the device kind the backend runs on. */
    DeviceKind deviceKind();

    /**
     * Returns how a CPU backend ranks against the built-in DJL/PyTorch CPU backend (rank 0) when {@link Backends}
     * picks the fastest available CPU backend: a provider whose rank is higher is preferred where it is available.
     * Ignored for GPU providers.
     *
     * @return the rank; 0 (the default) never displaces the DJL backend
     */
    default int cpuRank() {
        return 0;
    }

    /**
     * Probes whether the backend can run on this machine. Never throws; may be called often (cache the probe).
     *
     * @return the availability and its reason
     */
    Availability availability();

    /**
     * Creates the backend.
     *
     * @return a new backend (the caller owns it)
     * @throws IllegalStateException if it cannot run here (the message says why)
     */
    Backend<?> create();
}
