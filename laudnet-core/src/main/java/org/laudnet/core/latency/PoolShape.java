package org.laudnet.core.latency;

import org.laudnet.core.util.Checks;

/**
 * A pooling (max or average) from {@code (C, Hi, Wi)} to {@code (C, Ho, Wo)}, batch excluded. The analytical model
 * treats it as a memory-only kernel: it reads the input once and writes the output once.
 *
 * @param channels {@code C}
 * @param inHeight {@code Hi}
 * @param inWidth {@code Wi}
 * @param outHeight {@code Ho}, at most {@code Hi}
 * @param outWidth {@code Wo}, at most {@code Wi}
 */
public record PoolShape(int channels, int inHeight, int inWidth, int outHeight, int outWidth) {

    /** Validates every field. */
    public PoolShape {
        Checks.positive("channels", channels);
        Checks.positive("inHeight", inHeight);
        Checks.positive("inWidth", inWidth);
        Checks.positive("outHeight", outHeight);
        Checks.positive("outWidth", outWidth);
        if (outHeight > inHeight || outWidth > inWidth) {
            throw new IllegalArgumentException("output " + outHeight + " x " + outWidth
                    + " must not exceed the input " + inHeight + " x " + inWidth);
        }
    }

    /**
     * A global pooling to {@code 1 x 1}.
     *
     * @param channels {@code C}
     * @param height {@code Hi}
     * @param width {@code Wi}
     * @return the shape
     */
    public static PoolShape global(int channels, int height, int width) {
        return new PoolShape(channels, height, width, 1, 1);
    }
}
