package org.laudnet.core.net;

import org.laudnet.core.util.Checks;

/**
 * The stem of a ResNet: {@code conv k x k stride s (padding k/2) -> BN -> ReLU [-> maxPool 3x3 stride 2]}.
 *
 * @param inChannels image channels (3 for RGB, 1 for gray)
 * @param channels output channels of the stem convolution
 * @param kernel kernel size of the stem convolution
 * @param stride stride of the stem convolution
 * @param maxPool whether a 3x3 stride-2 max pool follows
 * @param maxPoolPadding padding of the max pool (1 in torchvision; 0 in the original Keras ResNet-50)
 */
public record StemSpec(int inChannels, int channels, int kernel, int stride, boolean maxPool, int maxPoolPadding) {

    /** Validates every field. */
    public StemSpec {
        Checks.positive("inChannels", inChannels);
        Checks.positive("channels", channels);
        Checks.positive("kernel", kernel);
        Checks.positive("stride", stride);
        Checks.nonNegative("maxPoolPadding", maxPoolPadding);
    }

    /** The ImageNet stem of torchvision: 7x7/2 conv, 64 channels, 3x3/2 max pool with padding 1. */
    public static StemSpec imagenet() {
        return new StemSpec(3, 64, 7, 2, true, 1);
    }

    /**
     * A stem for small images (28x28 or 32x32): 3x3/1 conv, no max pool.
     *
     * @param inChannels image channels
     * @param channels stem output channels
     * @return the spec
     */
    public static StemSpec small(int inChannels, int channels) {
        return new StemSpec(inChannels, channels, 3, 1, false, 0);
    }

    /**
     * Returns the side of the stem's output for an input side.
     *
     * @param inputSize input side
     * @return output side
     */
    public int outputSize(int inputSize) {
        int pad = kernel / 2;
        int size = (inputSize + 2 * pad - kernel) / stride + 1;
        if (maxPool) {
            size = (size + 2 * maxPoolPadding - 3) / 2 + 1;
        }
        if (size <= 0) {
            throw new IllegalArgumentException("input size " + inputSize + " is too small for the stem");
        }
        return size;
    }

    /**
     * Returns the operations of the stem for an input side: the convolution's MACs plus, with a max pool, its
     * {@code 9 C Hp Wp} comparisons (one per window element, as the reference implementation counts a max pool):
     * {@code Cimg C k^2 Hc Wc + 9 C Hp Wp}.
     *
     * @param inputSize input side
     * @return MACs
     */
    public long macs(int inputSize) {
        int pad = kernel / 2;
        long out = (inputSize + 2L * pad - kernel) / stride + 1;
        long conv = (long) inChannels * channels * kernel * kernel * out * out;
        return maxPool ? conv + maxPoolMacs(channels, outputSize(inputSize)) : conv;
    }

    /**
     * Returns the operations of a 3x3 max pool with {@code channels} channels and an output side {@code outSize}:
     * {@code 9 C outSize^2}.
     *
     * @param channels pooled channels
     * @param outSize output side of the pool
     * @return the count
     */
    public static long maxPoolMacs(int channels, int outSize) {
        return 9L * channels * outSize * outSize;
    }

    /**
     * Returns the operations of the classifier head on a {@code (C, H, W)} feature map: the global average pool's
     * {@code C H W} reads, the linear layer's {@code C K} MACs and its {@code K} bias additions.
     *
     * @param channels {@code C}
     * @param height {@code H} of the last feature map
     * @param width {@code W} of the last feature map
     * @param classes {@code K}
     * @return the count
     */
    public static long headMacs(int channels, int height, int width, int classes) {
        return (long) channels * height * width + (long) channels * classes + classes;
    }
}
