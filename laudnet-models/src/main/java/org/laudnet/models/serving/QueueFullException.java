package org.laudnet.models.serving;

/**
 * The service's request queue was full when the request arrived; it was refused at once and nothing was queued.
 * Retry later (an HTTP server answers 503 with {@code Retry-After}). Immutable.
 */
public final class QueueFullException extends ServiceException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param capacity the queue's capacity, which every slot of was taken
     */
    public QueueFullException(int capacity) {
        super("request queue full: " + capacity + " requests waiting (queueCapacity " + capacity + ")");
    }

    /** Returns {@link ErrorKind#QUEUE_FULL}. */
    @Override
    public ErrorKind kind() {
        return ErrorKind.QUEUE_FULL;
    }
}
