package org.laudnet.models.data;

import java.util.Arrays;

/**
 * Per-channel normalisation {@code x' = (x / 255 - mean[c]) / std[c]} applied to 8-bit pixel values.
 *
 * @param mean channel means in the [0, 1] pixel scale
 * @param std channel standard deviations, positive
 */
public record Normalization(float[] mean, float[] std) {

    /** Validates that both arrays are non-empty, of equal length, finite, and that every std is positive. */
    public Normalization {
        if (mean == null || std == null || mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("mean and std must be non-empty and of equal length, got mean="
                    + Arrays.toString(mean) + ", std=" + Arrays.toString(std));
        }
        for (int c = 0; c < mean.length; c++) {
            if (!Float.isFinite(mean[c]) || !(std[c] > 0) || !Float.isFinite(std[c])) {
                throw new IllegalArgumentException("channel " + c + ": mean must be finite and std positive, got mean="
                        + mean[c] + ", std=" + std[c]);
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** No normalisation beyond scaling to [0, 1] (mean 0, std 1), for {@code channels} channels. */
    public static Normalization unit(int channels) {
        float[] m = new float[channels];
        float[] s = new float[channels];
        Arrays.fill(s, 1f);
        return new Normalization(m, s);
    }

    /** The Fashion-MNIST training-set statistics (mean 0.2860, std 0.3530). */
    public static Normalization fashionMnist() {
        return new Normalization(new float[] {0.2860f}, new float[] {0.3530f});
    }

    /** The ImageNet RGB statistics (mean 0.485/0.456/0.406, std 0.229/0.224/0.225). */
    public static Normalization imagenet() {
        return new Normalization(new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});
    }

    /** Returns the number of channels. */
    public int channels() {
        return mean.length;
    }

    /**
     * Normalises one 8-bit value of channel {@code c}.
     *
     * @param c channel
     * @param value pixel value in [0, 255]
     * @return the normalised value
     */
    public float apply(int c, int value) {
        return (value / 255f - mean[c]) / std[c];
    }

    /** {@inheritDoc} */
    @Override
    public float[] mean() {
        return mean.clone();
    }

    /** {@inheritDoc} */
    @Override
    public float[] std() {
        return std.clone();
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
