package org.laudnet.core.latency;

/**
 * The model's estimate of one convolution kernel under one tiling. All times in seconds.
 *
 * @param tile the tile
 * @param tileCount {@code T}, the number of tiles per (patch-)batch
 * @param computeSeconds {@code t_comp}
 * @param memorySeconds {@code t_mem}
 * @param launchSeconds the launch cost added once
 * @param totalSeconds {@code combine(t_comp, t_mem) + launch}
 */
public record TileEstimate(
        ConvTile tile,
        long tileCount,
        double computeSeconds,
        double memorySeconds,
        double launchSeconds,
        double totalSeconds) {

    /** Returns {@link #totalSeconds()} in milliseconds. */
    public double totalMs() {
        return totalSeconds * 1e3;
    }
}
