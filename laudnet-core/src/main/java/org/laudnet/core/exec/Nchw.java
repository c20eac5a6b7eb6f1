package org.laudnet.core.exec;

/**
 * The shape of an fp32 activation tensor in NCHW layout; element {@code (b, c, y, x)} is at
 * {@code ((b * channels + c) * height + y) * width + x}.
 *
 * @param batch {@code B}
 * @param channels {@code C}
 * @param height {@code H}
 * @param width {@code W}
 */
public record Nchw(int batch, int channels, int height, int width) {

    /** Validates that every dimension is positive and the element count fits in an {@code int}. */
    public Nchw {
        if (batch <= 0) {
            throw new IllegalArgumentException("batch must be positive, got " + batch);
        }
        if (channels <= 0) {
            throw new IllegalArgumentException("channels must be positive, got " + channels);
        }
        if (height <= 0) {
            throw new IllegalArgumentException("height must be positive, got " + height);
        }
        if (width <= 0) {
            throw new IllegalArgumentException("width must be positive, got " + width);
        }
        long size = (long) batch * channels * height * width;
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("B*C*H*W must be below 2^31, got " + size);
        }
    }

    /** Returns {@code B * C * H * W}. */
    public int size() {
        return batch * channels * height * width;
    }

    /** Returns {@code C * H * W}, the elements of one sample. */
    public int perSample() {
        return channels * height * width;
    }

    /**
     * Returns the flat index of element {@code (b, c, y, x)}.
     *
     * @param b sample
     * @param c channel
     * @param y row
     * @param x column
     * @return {@code ((b * C + c) * H + y) * W + x}
     */
    public int index(int b, int c, int y, int x) {
        return ((b * channels + c) * height + y) * width + x;
    }

    /**
     * Returns the same spatial shape with another channel count.
     *
     * @param newChannels the channel count
     * @return {@code (B, newChannels, H, W)}
     */
    public Nchw withChannels(int newChannels) {
        return new Nchw(batch, newChannels, height, width);
    }

    /**
     * Returns the same shape with another batch size.
     *
     * @param newBatch the batch size
     * @return {@code (newBatch, C, H, W)}
     */
    public Nchw withBatch(int newBatch) {
        return new Nchw(newBatch, channels, height, width);
    }
}
