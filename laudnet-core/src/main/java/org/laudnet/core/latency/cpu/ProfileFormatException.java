package org.laudnet.core.latency.cpu;

import java.io.IOException;

/** A CPU latency profile file that cannot be used: malformed JSON, an unknown format version or missing terms. */
public final class ProfileFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, naming the file and the offending field or value
     */
    public ProfileFormatException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what is wrong, naming the file
     * @param cause the parser's exception
     */
    public ProfileFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
