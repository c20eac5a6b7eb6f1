package org.laudnet.core.latency;

import org.laudnet.core.util.Checks;

/**
 * One convolution kernel launch as the tiled model sees it: a convolution shape, the batch, the channel densities of
 * its input and output, and, for a spatially sparse kernel, the patches it computes.
 *
 * <p>A dense kernel has {@code patchSide = 0}: it computes the whole {@code (N, Cout, Ho, Wo)} output. A patched kernel
 * computes {@code patches} output regions of {@code patchSide x patchSide} pixels (all images together), each from an
 * input region of {@code inSide = s (patchSide - 1) + k} pixels per side. Its input is either a compact buffer of
 * gathered regions ({@code gatheredInput}) or the full input indexed in place.
 *
 * @param conv the convolution at full resolution (its input size is what an in-place kernel reads)
 * @param batchSize {@code N}
 * @param inDensity fraction of active input channels
 * @param outDensity fraction of active output channels
 * @param outGroupChannels channels per output gate group; 0 when the output channels are not gated (then {@code
 *     outDensity} must be 1)
 * @param patchSide output side of one patch, 0 for a dense kernel
 * @param patches total active patches over the batch (0 for a dense kernel)
 * @param gatheredInput whether the input is a compact buffer of gathered regions (patched kernels only)
 */
public record ConvKernel(
        ConvShape conv,
        int batchSize,
        double inDensity,
        double outDensity,
        int outGroupChannels,
        int patchSide,
        long patches,
        boolean gatheredInput) {

    /** Validates every field. */
    public ConvKernel {
        if (conv == null) {
            throw new IllegalArgumentException("conv must not be null");
        }
        Checks.positive("batchSize", batchSize);
        Checks.inRange("inDensity", inDensity, 0, 1);
        Checks.inRange("outDensity", outDensity, 0, 1);
        Checks.nonNegative("outGroupChannels", outGroupChannels);
        if (outGroupChannels > 0) {
            Checks.divides("outGroupChannels", outGroupChannels, "outChannels", conv.outChannels());
        } else if (outDensity != 1) {
            throw new IllegalArgumentException("outDensity must be 1 when outGroupChannels = 0, got " + outDensity);
        }
        Checks.nonNegative("patchSide", patchSide);
        if (patches < 0) {
            throw new IllegalArgumentException("patches must be non-negative, got " + patches);
        }
        if (patchSide == 0 && (patches != 0 || gatheredInput)) {
            throw new IllegalArgumentException(
                    "patches must be 0 and gatheredInput false for a dense kernel, got " + patches);
        }
    }

    /**
     * A dense kernel.
     *
     * @param conv the convolution
     * @param batchSize {@code N}
     * @return the kernel
     */
    public static ConvKernel dense(ConvShape conv, int batchSize) {
        return new ConvKernel(conv, batchSize, 1, 1, 0, 0, 0, false);
    }

    /**
     * A spatially dense kernel with channel skipping.
     *
     * @param conv the convolution
     * @param batchSize {@code N}
     * @param inDensity active input channel fraction
     * @param outDensity active output channel fraction
     * @param outGroupChannels channels per output gate group (0: outputs not gated)
     * @return the kernel
     */
    public static ConvKernel channelGated(
            ConvShape conv, int batchSize, double inDensity, double outDensity, int outGroupChannels) {
        return new ConvKernel(conv, batchSize, inDensity, outDensity, outGroupChannels, 0, 0, false);
    }

    /** Returns whether the kernel computes patches. */
    public boolean patched() {
        return patchSide > 0;
    }

    /** Returns the input side of one patch, {@code s (patchSide - 1) + k} (0 for a dense kernel). */
    public int inSide() {
        return patchSide == 0 ? 0 : conv.stride() * (patchSide - 1) + conv.kernel();
    }
}
