package org.laudnet.models.imagenet;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.Locale;
import org.laudnet.core.util.Checks;

/**
 * How a model turns a decoded image into its input tensor: resize so the shorter side is {@code resizeShorter}
 * (bilinear), centre-crop {@code cropSize x cropSize}, take the channels in {@code channelOrder}, then per channel
 * {@code (v - mean[c]) / std[c]} on 0..255 pixel values. Output layout {@code (C, cropSize, cropSize)}.
 *
 * <p>Only the source region that the crop keeps is scaled (never the whole image at the resized size): the one image
 * this allocates is the {@code cropSize x cropSize} crop, whatever the input's size or shape (a {@code 1 x 3000}
 * image, whose resized form would be {@code 256 x 768000} pixels, costs the same as a square one). That region is at
 * least one source pixel wide and high, so a very thin image is cropped from its centre pixels rather than from an
 * empty region. What a classifier accepts (pixels, aspect ratio) is bounded before this, by
 * {@code org.laudnet.models.inference.ImageInputs}. Model files record their preprocessing, so that a loaded model
 * classifies images exactly as it was trained. Immutable and thread-safe.
 *
 * @param resizeShorter the shorter side after resizing, at least {@code cropSize}
 * @param cropSize the centre crop side (the network's input size)
 * @param channelOrder the channels of the tensor: RGB, BGR or a single gray channel
 * @param mean per-channel mean subtracted from 0..255 values ({@code C} entries)
 * @param std per-channel divisor ({@code C} entries, positive)
 */
public record ImagePreprocessing(int resizeShorter, int cropSize, ChannelOrder channelOrder, float[] mean,
        float[] std) {

    /** The channels of a preprocessed image. */
    public enum ChannelOrder {
        /** Red, green, blue. */
        RGB(3),
        /** Blue, green, red (Caffe / Keras ResNet-50). */
        BGR(3),
        /** One luminance channel ({@code 0.299 R + 0.587 G + 0.114 B}). */
        GRAY(1);

        private final int channels;

        ChannelOrder(int channels) {
            this.channels = channels;
        }

        /** Returns the number of channels. */
        public int channels() {
            return channels;
        }
    }

    /** Validates the fields and copies the arrays. */
    public ImagePreprocessing {
        Checks.positive("cropSize", cropSize);
        if (resizeShorter < cropSize) {
            throw new IllegalArgumentException("resizeShorter must be at least cropSize " + cropSize + ", got "
                    + resizeShorter);
        }
        if (channelOrder == null) {
            throw new IllegalArgumentException("channelOrder must not be null");
        }
        int c = channelOrder.channels();
        if (mean == null || mean.length != c || std == null || std.length != c) {
            throw new IllegalArgumentException("mean and std must have " + c + " entries for " + channelOrder
                    + ", got " + (mean == null ? null : mean.length) + " and " + (std == null ? null : std.length));
        }
        for (int i = 0; i < c; i++) {
            Checks.finite("mean[" + i + "]", mean[i]);
            if (!(std[i] > 0) || !Float.isFinite(std[i])) {
                throw new IllegalArgumentException("std[" + i + "] must be positive and finite, got " + std[i]);
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** The Keras/Caffe ImageNet preprocessing: 256 / 224, BGR, means (103.939, 116.779, 123.68), no scaling. */
    public static ImagePreprocessing caffe() {
        return new ImagePreprocessing(256, 224, ChannelOrder.BGR, new float[] {103.939f, 116.779f, 123.68f},
                new float[] {1f, 1f, 1f});
    }

    /** The torchvision ImageNet preprocessing: 256 / 224, RGB, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225). */
    public static ImagePreprocessing torchvision() {
        return new ImagePreprocessing(256, 224, ChannelOrder.RGB,
                new float[] {0.485f * 255, 0.456f * 255, 0.406f * 255},
                new float[] {0.229f * 255, 0.224f * 255, 0.225f * 255});
    }

    /**
     * Scaling to the input size without cropping margins, values {@code (v / 255 - mean) / std}.
     *
     * @param size the network's input side
     * @param order the channels
     * @param mean per-channel mean of {@code v / 255}
     * @param std per-channel standard deviation of {@code v / 255}
     * @return the preprocessing
     */
    public static ImagePreprocessing normalized(int size, ChannelOrder order, float[] mean, float[] std) {
        float[] m = new float[mean.length];
        float[] s = new float[std.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = mean[i] * 255f;
        }
        for (int i = 0; i < s.length; i++) {
            s[i] = std[i] * 255f;
        }
        return new ImagePreprocessing(size, size, order, m, s);
    }

    /** Returns a copy of the per-channel means. */
    @Override
    public float[] mean() {
        return mean.clone();
    }

    /** Returns a copy of the per-channel divisors. */
    @Override
    public float[] std() {
        return std.clone();
    }

    /** Returns the number of channels of the output. */
    public int channels() {
        return channelOrder.channels();
    }

    /**
     * Preprocesses a decoded image.
     *
     * @param image the image (any size, at least 1 x 1)
     * @return {@code C * cropSize * cropSize} values, channel-major
     * @throws IllegalArgumentException for an empty image
     */
    public float[] apply(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        if (w <= 0 || h <= 0) {
            throw new IllegalArgumentException("image must not be empty, got " + w + "x" + h);
        }
        double scale = resizeShorter / (double) Math.min(w, h);
        double side = cropSize / scale;
        int[] xs = sourceSpan(w, side);
        int[] ys = sourceSpan(h, side);
        BufferedImage crop = new BufferedImage(cropSize, cropSize, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = crop.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, cropSize, cropSize, xs[0], ys[0], xs[1], ys[1], null);
        g.dispose();
        int plane = cropSize * cropSize;
        float[] out = new float[channels() * plane];
        int[] rgb = crop.getRGB(0, 0, cropSize, cropSize, null, 0, cropSize);
        for (int i = 0; i < plane; i++) {
            int p = rgb[i];
            float r = (p >> 16) & 0xff;
            float gg = (p >> 8) & 0xff;
            float b = p & 0xff;
            switch (channelOrder) {
                case RGB -> {
                    out[i] = (r - mean[0]) / std[0];
                    out[plane + i] = (gg - mean[1]) / std[1];
                    out[2 * plane + i] = (b - mean[2]) / std[2];
                }
                case BGR -> {
                    out[i] = (b - mean[0]) / std[0];
                    out[plane + i] = (gg - mean[1]) / std[1];
                    out[2 * plane + i] = (r - mean[2]) / std[2];
                }
                case GRAY -> out[i] = (0.299f * r + 0.587f * gg + 0.114f * b - mean[0]) / std[0];
                default -> throw new IllegalStateException("unknown channel order " + channelOrder);
            }
        }
        return out;
    }

    /**
     * The centred source interval {@code [from, to)} of one axis that the crop scales: {@code side} source pixels,
     * rounded, and at least one (a side below a pixel would otherwise round to an empty interval and draw nothing).
     */
    private static int[] sourceSpan(int size, double side) {
        double start = (size - side) / 2;
        int from = (int) Math.round(start);
        int to = (int) Math.round(start + side);
        if (to <= from) {
            from = Math.min(Math.max((int) Math.floor(size / 2.0 - 0.5), 0), size - 1);
            to = from + 1;
        }
        return new int[] {from, to};
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        return o instanceof ImagePreprocessing p && p.resizeShorter == resizeShorter && p.cropSize == cropSize
                && p.channelOrder == channelOrder && Arrays.equals(p.mean, mean) && Arrays.equals(p.std, std);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return (31 * resizeShorter + cropSize) * 31 + channelOrder.hashCode();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "ImagePreprocessing[resize %d, crop %d, %s, mean %s, std %s]",
                resizeShorter, cropSize, channelOrder, Arrays.toString(mean), Arrays.toString(std));
    }
}
