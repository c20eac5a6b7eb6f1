package org.laudnet.models.serving;

/** Why a request failed, as counted by {@link ServiceMetrics} (and labelled on the server's error counter). */
public enum ErrorKind {
    /** The input was refused: not an image, truncated, empty, beyond a size limit. */
    BAD_INPUT,
    /** The queue was full ({@link QueueFullException}). */
    QUEUE_FULL,
    /** The request ran past its timeout ({@link RequestTimeoutException}). */
    TIMEOUT,
    /** The service was closed ({@link ServiceClosedException}). */
    CLOSED,
    /** Anything else: a bug or an engine failure. */
    INTERNAL;

    /** Returns the lower-case name used in metrics labels, e.g. {@code bad_input}. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
