package org.laudnet.core.latency;

import org.laudnet.core.util.Checks;

/**
 * One dense 2-D convolution of an NCHW tensor, batch excluded: input {@code (Cin, Hi, Wi)}, weights {@code (Cout,
 * Cin/g, k, k)}, output {@code (Cout, Ho, Wo)} with {@code Ho = (Hi + 2 pad - k) / s + 1}. A fully connected layer is
 * the {@code 1 x 1} convolution of a {@code 1 x 1} input.
 *
 * @param inChannels {@code Cin}
 * @param outChannels {@code Cout}
 * @param inHeight {@code Hi}
 * @param inWidth {@code Wi}
 * @param kernel {@code k} (square kernel)
 * @param stride {@code s}
 * @param groups {@code g}, dividing both channel counts
 * @param padding zero padding on each side
 */
public record ConvShape(
        int inChannels, int outChannels, int inHeight, int inWidth, int kernel, int stride, int groups, int padding) {

    /** Validates every field and that the output is non-empty. */
    public ConvShape {
        Checks.positive("inChannels", inChannels);
        Checks.positive("outChannels", outChannels);
        Checks.positive("inHeight", inHeight);
        Checks.positive("inWidth", inWidth);
        Checks.positive("kernel", kernel);
        Checks.positive("stride", stride);
        Checks.divides("groups", groups, "inChannels", inChannels);
        Checks.divides("groups", groups, "outChannels", outChannels);
        Checks.nonNegative("padding", padding);
        if (inHeight + 2 * padding < kernel || inWidth + 2 * padding < kernel) {
            throw new IllegalArgumentException("kernel = " + kernel + " exceeds the padded input "
                    + (inHeight + 2 * padding) + " x " + (inWidth + 2 * padding));
        }
    }

    /**
     * A "same"-style convolution with padding {@code k / 2} and one group.
     *
     * @param inChannels {@code Cin}
     * @param outChannels {@code Cout}
     * @param inSize {@code Hi = Wi}
     * @param kernel {@code k}
     * @param stride {@code s}
     * @return the shape
     */
    public static ConvShape of(int inChannels, int outChannels, int inSize, int kernel, int stride) {
        return new ConvShape(inChannels, outChannels, inSize, inSize, kernel, stride, 1, kernel / 2);
    }

    /**
     * A fully connected layer {@code in -> out} as a {@code 1 x 1} convolution of a {@code 1 x 1} input.
     *
     * @param in input features
     * @param out output features
     * @return the shape
     */
    public static ConvShape linear(int in, int out) {
        return new ConvShape(in, out, 1, 1, 1, 1, 1, 0);
    }

    /** Returns {@code Ho = (Hi + 2 pad - k) / s + 1}. */
    public int outHeight() {
        return (inHeight + 2 * padding - kernel) / stride + 1;
    }

    /** Returns {@code Wo = (Wi + 2 pad - k) / s + 1}. */
    public int outWidth() {
        return (inWidth + 2 * padding - kernel) / stride + 1;
    }

    /** Returns the multiply-accumulates of one image, {@code Cout * Cin/g * k^2 * Ho * Wo}. */
    public long macs() {
        return (long) outChannels * (inChannels / groups) * kernel * kernel * outHeight() * outWidth();
    }

    /**
     * Returns the same convolution with another number of output channels (used to fuse extra outputs into it).
     *
     * @param channels the new {@code Cout}
     * @return the modified shape
     */
    public ConvShape withOutChannels(int channels) {
        return new ConvShape(inChannels, channels, inHeight, inWidth, kernel, stride, groups, padding);
    }
}
