package org.laudnet.core.latency.cpu;

import org.laudnet.core.io.LaudInputException;

/** A CPU latency profile file that cannot be used: malformed JSON, an unknown format version or missing terms. */
public final class ProfileFormatException extends LaudInputException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param source the profile file or stream
     * @param problem what is wrong, naming the offending field or value
     */
    public ProfileFormatException(String source, String problem) {
        super(source, problem);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param source the profile file or stream
     * @param problem what is wrong
     * @param cause the parser's exception
     */
    public ProfileFormatException(String source, String problem, Throwable cause) {
        super(source, problem, cause);
    }
}
