package org.laudnet.core.latency;

import org.laudnet.core.util.Checks;

/**
 * The output tile one processing element computes in the tiled model: {@code c_t} output channels by {@code h_t x
 * w_t} output pixels, for {@code p} gathered patches at once ({@code p = 1} for a dense convolution).
 *
 * @param channels {@code c_t}
 * @param height {@code h_t}
 * @param width {@code w_t}
 * @param patches {@code p}, patches processed in parallel
 */
public record ConvTile(int channels, int height, int width, int patches) {

    /** Validates that every extent is positive. */
    public ConvTile {
        Checks.positive("channels", channels);
        Checks.positive("height", height);
        Checks.positive("width", width);
        Checks.positive("patches", patches);
    }

    /**
     * A tile of a dense convolution ({@code p = 1}).
     *
     * @param channels {@code c_t}
     * @param height {@code h_t}
     * @param width {@code w_t}
     * @return the tile
     */
    public static ConvTile dense(int channels, int height, int width) {
        return new ConvTile(channels, height, width, 1);
    }
}
