package org.laudnet.models.serving;

/**
 * A request the {@link LaudService} did not serve for a reason of the service, not of the input: its queue was full
 * ({@link QueueFullException}), the request ran past its timeout ({@link RequestTimeoutException}) or the service was
 * closed ({@link ServiceClosedException}). Unchecked: a caller decides per kind whether to retry. Immutable.
 */
public abstract class ServiceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what happened, with the values involved
     */
    protected ServiceException(String message) {
        super(message);
    }

    /** Returns the kind of error, as counted in {@link ServiceMetrics}. */
    public abstract ErrorKind kind();
}
