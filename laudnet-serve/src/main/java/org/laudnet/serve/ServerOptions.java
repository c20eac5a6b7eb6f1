package org.laudnet.serve;

import java.time.Duration;

/**
 * How a {@link LaudServer} listens. Immutable and thread-safe.
 *
 * @param host the address to bind ({@code 0.0.0.0}: every interface; {@code 127.0.0.1}: loopback only)
 * @param port the port (0: any free port, see {@link LaudServer#port()})
 * @param maxBodyBytes the largest request body; a larger one is answered 413 and read no further, positive
 * @param drainTimeout how long a shutdown waits for requests in flight before it stops the server, positive
 */
public record ServerOptions(String host, int port, long maxBodyBytes, Duration drainTimeout) {

    /** The default body limit: 16 MiB. */
    public static final long DEFAULT_MAX_BODY = 16L << 20;

    /** Validates every field, naming the one at fault and its value. */
    public ServerOptions {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank, got '" + host + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        }
        if (maxBodyBytes < 1 || maxBodyBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("maxBodyBytes must be in [1, " + (Integer.MAX_VALUE - 8) + "], got "
                    + maxBodyBytes);
        }
        if (drainTimeout == null || drainTimeout.isNegative() || drainTimeout.isZero()) {
            throw new IllegalArgumentException("drainTimeout must be positive, got " + drainTimeout);
        }
    }

    /**
     * Returns options with the default body limit and an 8 s drain (a SIGTERM then ends within 10 s).
     *
     * @param host the address to bind
     * @param port the port (0: any free one)
     * @return the options
     */
    public static ServerOptions of(String host, int port) {
        return new ServerOptions(host, port, DEFAULT_MAX_BODY, Duration.ofSeconds(8));
    }

    /**
     * Returns these options with another body limit.
     *
     * @param bytes the limit
     * @return the options
     */
    public ServerOptions withMaxBodyBytes(long bytes) {
        return new ServerOptions(host, port, bytes, drainTimeout);
    }
}
