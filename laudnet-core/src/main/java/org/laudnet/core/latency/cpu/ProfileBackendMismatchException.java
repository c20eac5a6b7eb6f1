package org.laudnet.core.latency.cpu;

import org.laudnet.core.io.LaudInputException;

/**
 * A CPU latency profile measured on another engine backend than the one a caller runs or validates: its terms describe
 * that backend's primitives and execution paths only ({@link CpuLatencyProfile#requireBackend}). The message names
 * both backends and the two ways out (calibrating the backend in use, or choosing the profile's backend).
 *
 * <p>Immutable and thread-safe.
 */
public final class ProfileBackendMismatchException extends LaudInputException {

    private static final long serialVersionUID = 1L;

    /** The backend the profile was measured on. */
    private final String profileBackend;

    /** The backend the caller uses. */
    private final String runBackend;

    /**
     * Creates the exception.
     *
     * @param source the profile file
     * @param profileBackend the id of the backend the profile was measured on
     * @param runBackend the id of the backend the caller uses
     */
    public ProfileBackendMismatchException(String source, String profileBackend, String runBackend) {
        super(source, "the profile was measured on backend '" + profileBackend + "', but this run uses backend '"
                + runBackend + "'; calibrate that backend ('scripts/laudnet calibrate --backend " + runBackend
                + "') or run on the profile's ('--backend " + profileBackend + "')");
        this.profileBackend = profileBackend;
        this.runBackend = runBackend;
    }

    /** Returns the id of the backend the profile was measured on. */
    public String profileBackend() {
        return profileBackend;
    }

    /** Returns the id of the backend the caller uses. */
    public String runBackend() {
        return runBackend;
    }
}
