package org.laudnet.bench.cli;

/**
 * Thrown by a command when this machine lacks something it needs that no option supplies: an asset of the cache
 * (fetched by {@code scripts/fetch-assets}), the CPU latency profile (written by {@code laudnet calibrate}), a GPU. The
 * message says what is missing and how to get it; the command line exits with {@link ExitCode#ENVIRONMENT}. Immutable
 * and thread-safe.
 */
final class EnvironmentException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is missing, where it was looked for and how to get it
     */
    EnvironmentException(String message) {
        super(message);
    }
}
