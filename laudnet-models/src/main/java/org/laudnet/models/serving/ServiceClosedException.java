package org.laudnet.models.serving;

/** The service was closed (or was closing) when the request arrived; nothing was queued. Immutable. */
public final class ServiceClosedException extends ServiceException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param name the service's name
     */
    public ServiceClosedException(String name) {
        super("service " + name + " is closed: it accepts no more requests");
    }

    /** Returns {@link ErrorKind#CLOSED}. */
    @Override
    public ErrorKind kind() {
        return ErrorKind.CLOSED;
    }
}
