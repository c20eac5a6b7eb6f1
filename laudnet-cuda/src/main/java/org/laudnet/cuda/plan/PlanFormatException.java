package org.laudnet.cuda.plan;

import java.io.IOException;

/** A plan file that is not a LAUDNet plan, has an unsupported version, or is truncated or inconsistent. */
public final class PlanFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, naming the file and the offending field
     */
    public PlanFormatException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what is wrong
     * @param cause the underlying problem
     */
    public PlanFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
