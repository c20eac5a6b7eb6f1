package org.laudnet.core.latency;

import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Expected load of the busiest channel tile under channel gating.
 *
 * <p>{@code C} output channels are split into contiguous gate groups of {@code gs} channels, each active with
 * probability {@code d} independently; the kernel splits the channels into contiguous tiles of {@code c_t}, one tile per
 * processing element, and a wave lasts as long as its busiest tile. This class returns {@code E[max_j a_j] / min(c_t,
 * C)} with {@code a_j} the active channels of tile {@code j}:
 *
 * <ul>
 *   <li>one tile: {@code d} exactly;
 *   <li>tiles made of whole groups ({@code gs | c_t}, {@code c_t | C}): {@code a_j = gs * Binomial(c_t/gs, d)}
 *       independent, so {@code E[max] = gs * sum_{x>=1} (1 - F(x-1)^T)} with {@code F} the binomial CDF, exact;
 *   <li>groups made of whole tiles ({@code c_t | gs}, {@code gs | C}): each tile is all or nothing, {@code E[max] / c_t
 *       = 1 - (1 - d)^(C/gs)}, exact;
 *   <li>otherwise: a mean over 512 samples from a fixed seed. Every density uses the same uniforms (a group is active
 *       when its uniform is below {@code d}), so the estimate is deterministic and non-decreasing in {@code d}.
 * </ul>
 *
 * The result is clamped to at least {@code d} (the busiest tile carries at least the mean load) and is 0 at {@code d =
 * 0}, 1 at {@code d = 1}.
 */
final class ChannelImbalance {

    /** Samples of the fallback estimate. */
    static final int SAMPLES = 512;

    /** Seed of the fallback estimate. */
    static final long SEED = 0x1A0D_2024L;

    private record Key(int channels, int tileChannels, int groupChannels, double density) {}

    private static final ConcurrentMap<Key, Double> CACHE = new ConcurrentHashMap<>();

    private ChannelImbalance() {}

    /**
     * Returns the expected density of the busiest channel tile.
     *
     * @param channels {@code C}
     * @param tileChannels {@code c_t}
     * @param groupChannels {@code gs}, channels per gate group, dividing {@code C}
     * @param density {@code d} in {@code [0, 1]}
     * @return {@code E[max_j a_j] / min(c_t, C)}, in {@code [d, 1]}
     */
    static double expectedMaxTileDensity(int channels, int tileChannels, int groupChannels, double density) {
        if (channels <= 0 || tileChannels <= 0 || groupChannels <= 0 || channels % groupChannels != 0) {
            throw new IllegalArgumentException("groupChannels = " + groupChannels + " must divide channels = "
                    + channels + " and tileChannels must be positive, got " + tileChannels);
        }
        if (!(density >= 0 && density <= 1)) {
            throw new IllegalArgumentException("density must be in [0, 1], got " + density);
        }
        if (density == 0) {
            return 0;
        }
        if (density == 1) {
            return 1;
        }
        int tiles = (channels + tileChannels - 1) / tileChannels;
        if (tiles == 1) {
            return density;
        }
        return CACHE.computeIfAbsent(
                new Key(channels, tileChannels, groupChannels, density), ChannelImbalance::compute);
    }

    private static double compute(Key k) {
        int c = k.channels();
        int ct = k.tileChannels();
        int gs = k.groupChannels();
        double d = k.density();
        int tiles = c / ct;
        double value;
        if (c % ct == 0 && ct % gs == 0) {
            value = gs * expectedMaxBinomial(ct / gs, d, tiles) / ct;
        } else if (gs % ct == 0) {
            value = 1 - Math.pow(1 - d, c / gs);
        } else {
            value = sampled(c, ct, gs, d);
        }
        return Math.min(1, Math.max(d, value));
    }

    /** {@code E[max of T iid Binomial(m, d)] = sum_{x=1..m} (1 - F(x-1)^T)}. */
    private static double expectedMaxBinomial(int m, double d, int t) {
        double logRatio = Math.log(d) - Math.log1p(-d);
        double logPmf = m * Math.log1p(-d);
        double cdf = 0;
        double sum = 0;
        for (int x = 1; x <= m; x++) {
            cdf += Math.exp(logPmf);
            double cdfClamped = Math.min(1, cdf);
            sum += 1 - Math.exp(t * Math.log(cdfClamped));
            logPmf += Math.log((double) (m - x + 1) / x) + logRatio;
        }
        return sum;
    }

    private static double sampled(int c, int ct, int gs, double d) {
        int groups = c / gs;
        int tiles = (c + ct - 1) / ct;
        SplittableRandom rng = new SplittableRandom(SEED);
        int[] count = new int[tiles];
        double total = 0;
        for (int s = 0; s < SAMPLES; s++) {
            java.util.Arrays.fill(count, 0);
            for (int g = 0; g < groups; g++) {
                if (rng.nextDouble() < d) {
                    int from = g * gs;
                    int to = from + gs;
                    for (int ch = from; ch < to; ) {
                        int tile = ch / ct;
                        int end = Math.min(to, (tile + 1) * ct);
                        count[tile] += end - ch;
                        ch = end;
                    }
                }
            }
            int max = 0;
            for (int v : count) {
                max = Math.max(max, v);
            }
            total += max;
        }
        return total / SAMPLES / Math.min(ct, c);
    }
}
