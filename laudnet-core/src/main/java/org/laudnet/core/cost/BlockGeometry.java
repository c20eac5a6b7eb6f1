package org.laudnet.core.cost;

import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.util.Checks;

/**
 * The static shape of one residual block: everything that determines its cost, independent of its weights.
 *
 * <p>Output resolution: {@code Hout = (Hin - 1) / stride + 1} (a 3x3 convolution with padding 1, or a 1x1 convolution
 * without padding, both give this). The block has a downsample path ({@code conv1x1 stride s + BN}) when
 * {@code stride != 1} or {@code inChannels != outChannels}.
 *
 * @param type bottleneck or basic block
 * @param inChannels {@code Cin}, channels of the block input
 * @param width {@code w}, the inner width (channels of conv1's and conv2's outputs for a bottleneck, conv1's output for
 *     a basic block)
 * @param outChannels {@code Cout}, channels of the block output
 * @param inHeight {@code Hin}
 * @param inWidth {@code Win}
 * @param stride stride of the block (1 or 2)
 * @param convGroups groups of the 3x3 convolution of a bottleneck ({@code g}; 1 for ResNet, {@code w / groupWidth}
 *     for RegNet); must be 1 for basic blocks
 * @param stridePlacement which convolution of a bottleneck carries the stride
 */
public record BlockGeometry(
        BlockType type,
        int inChannels,
        int width,
        int outChannels,
        int inHeight,
        int inWidth,
        int stride,
        int convGroups,
        StridePlacement stridePlacement) {

    /** Validates every field. */
    public BlockGeometry {
        if (type == null) {
            throw new IllegalArgumentException("type must not be null");
        }
        if (stridePlacement == null) {
            throw new IllegalArgumentException("stridePlacement must not be null");
        }
        Checks.positive("inChannels", inChannels);
        Checks.positive("width", width);
        Checks.positive("outChannels", outChannels);
        Checks.positive("inHeight", inHeight);
        Checks.positive("inWidth", inWidth);
        if (stride != 1 && stride != 2) {
            throw new IllegalArgumentException("stride must be 1 or 2, got " + stride);
        }
        Checks.divides("convGroups", convGroups, "width", width);
        if (type == BlockType.BASIC && convGroups != 1) {
            throw new IllegalArgumentException("convGroups must be 1 for a basic block, got " + convGroups);
        }
    }

    /**
     * A torchvision-style ("v1.5") bottleneck with {@code Cout = 4 w} and no grouped convolution.
     *
     * @param inChannels {@code Cin}
     * @param width {@code w}
     * @param inSize {@code Hin = Win}
     * @param stride 1 or 2
     * @return the geometry
     */
    public static BlockGeometry bottleneck(int inChannels, int width, int inSize, int stride) {
        return new BlockGeometry(
                BlockType.BOTTLENECK, inChannels, width, 4 * width, inSize, inSize, stride, 1, StridePlacement.CONV2);
    }

    /**
     * A basic block ({@code w = Cout}).
     *
     * @param inChannels {@code Cin}
     * @param outChannels {@code Cout}
     * @param inSize {@code Hin = Win}
     * @param stride 1 or 2
     * @return the geometry
     */
    public static BlockGeometry basic(int inChannels, int outChannels, int inSize, int stride) {
        return new BlockGeometry(
                BlockType.BASIC, inChannels, outChannels, outChannels, inSize, inSize, stride, 1,
                StridePlacement.CONV2);
    }

    /** Returns {@code Hout = (Hin - 1) / stride + 1}. */
    public int outHeight() {
        return (inHeight - 1) / stride + 1;
    }

    /** Returns {@code Wout = (Win - 1) / stride + 1}. */
    public int outWidth() {
        return (inWidth - 1) / stride + 1;
    }

    /** Returns whether the identity path needs a {@code conv1x1 stride s + BN} downsample. */
    public boolean hasDownsample() {
        return stride != 1 || inChannels != outChannels;
    }

    /**
     * Returns the stride of conv1: the block stride for a basic block or a v1 bottleneck, 1 for a v1.5 bottleneck.
     */
    public int conv1Stride() {
        return type == BlockType.BOTTLENECK && stridePlacement == StridePlacement.CONV2 ? 1 : stride;
    }

    /** Returns the stride of conv2 (the 3x3 convolution of a bottleneck, the second 3x3 of a basic block). */
    public int conv2Stride() {
        return type == BlockType.BOTTLENECK && stridePlacement == StridePlacement.CONV2 ? stride : 1;
    }

    /** Returns the height of conv1's output. */
    public int conv1OutHeight() {
        return conv1Stride() == 1 ? inHeight : outHeight();
    }

    /** Returns the width of conv1's output. */
    public int conv1OutWidth() {
        return conv1Stride() == 1 ? inWidth : outWidth();
    }

    /** Returns the number of output pixels {@code Hout * Wout}. */
    public long outPixels() {
        return (long) outHeight() * outWidth();
    }

    /** Returns the number of conv1 output pixels. */
    public long conv1Pixels() {
        return (long) conv1OutHeight() * conv1OutWidth();
    }

    /** Returns the geometry with another input resolution (same channels and stride). */
    public BlockGeometry withInputSize(int height, int width) {
        return new BlockGeometry(
                type, inChannels, this.width, outChannels, height, width, stride, convGroups, stridePlacement);
    }
}
