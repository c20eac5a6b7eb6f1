package org.laudnet.models.serving;

/**
 * A request was not answered within the service's {@code requestTimeout} (counted from its arrival, queueing
 * included). A request that times out while queued is not run. Immutable.
 */
public final class RequestTimeoutException extends ServiceException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param timeoutMs the timeout in milliseconds
     */
    public RequestTimeoutException(long timeoutMs) {
        super("request not answered within its timeout of " + timeoutMs + " ms (requestTimeout)");
    }

    /** Returns {@link ErrorKind#TIMEOUT}. */
    @Override
    public ErrorKind kind() {
        return ErrorKind.TIMEOUT;
    }
}
