package org.laudnet.cuda.plan;

/**
 * One residual block of a {@link LaudPlan}, BatchNorm folded into every convolution.
 *
 * <pre>
 *   bottleneck: h1 = ReLU(conv1_1x1(x)), h2 = ReLU(conv2_3x3(h1)), y = ReLU(identity + conv3_1x1(h2))
 *   basic:      h1 = ReLU(conv1_3x3(x)),                        y = ReLU(identity + conv2_3x3(h1))
 *   identity = downsample == null ? x : downsample_1x1(x)
 * </pre>
 *
 * With a gate (method section 1) the channel mask multiplies {@code h1} and {@code h2}, and the spatial (or layer)
 * mask, upsampled to the output, multiplies the last convolution's output before the residual sum. Shapes: input
 * {@code (B, inChannels, inSize, inSize)}, output {@code (B, outChannels, outSize, outSize)} with
 * {@code outSize = (inSize - 1) / stride + 1}.
 *
 * @param bottleneck whether the block is a bottleneck (else a basic block)
 * @param inSize input side {@code Hin = Win}
 * @param stride block stride (1 or 2), carried by conv1 or conv2
 * @param conv1 first convolution (1x1 for a bottleneck, 3x3 for a basic block)
 * @param conv2 3x3 convolution
 * @param conv3 last 1x1 convolution of a bottleneck, {@code null} for a basic block
 * @param downsample the identity projection, or {@code null}
 * @param gate the gate
 */
public record PlanBlock(
        boolean bottleneck, int inSize, int stride, PlanConv conv1, PlanConv conv2, PlanConv conv3,
        PlanConv downsample, PlanGate gate) {

    /** Validates that the convolutions chain and that the gate fits the block. */
    public PlanBlock {
        if (conv1 == null || conv2 == null || gate == null) {
            throw new IllegalArgumentException("conv1, conv2 and gate must not be null");
        }
        if (bottleneck != (conv3 != null)) {
            throw new IllegalArgumentException("conv3 must be present exactly for a bottleneck");
        }
        if (stride != 1 && stride != 2) {
            throw new IllegalArgumentException("stride must be 1 or 2, got " + stride);
        }
        if (inSize <= 0) {
            throw new IllegalArgumentException("inSize must be positive, got " + inSize);
        }
        if (conv1.stride() * conv2.stride() != stride) {
            throw new IllegalArgumentException("conv1.stride * conv2.stride must equal stride " + stride + ", got "
                    + conv1.stride() + " * " + conv2.stride());
        }
        if (conv2.kernel() != 3 || conv2.padding() != 1 || conv1.padding() != conv1.kernel() / 2) {
            throw new IllegalArgumentException("conv2 must be 3x3 with padding 1 and conv1 padded k/2");
        }
        if (conv2.inChannels() != conv1.outChannels()) {
            throw new IllegalArgumentException("conv2.inChannels must be " + conv1.outChannels() + ", got "
                    + conv2.inChannels());
        }
        PlanConv last = bottleneck ? conv3 : conv2;
        if (bottleneck && (conv3.kernel() != 1 || conv3.inChannels() != conv2.outChannels() || conv3.stride() != 1)) {
            throw new IllegalArgumentException("conv3 must be a 1x1 stride-1 convolution on conv2's "
                    + conv2.outChannels() + " channels");
        }
        if (downsample != null) {
            if (downsample.kernel() != 1 || downsample.stride() != stride
                    || downsample.inChannels() != conv1.inChannels()
                    || downsample.outChannels() != last.outChannels()) {
                throw new IllegalArgumentException("downsample must be 1x1 stride " + stride + " from "
                        + conv1.inChannels() + " to " + last.outChannels() + " channels");
            }
        } else if (stride != 1 || conv1.inChannels() != last.outChannels()) {
            throw new IllegalArgumentException("a block with stride " + stride + " or " + conv1.inChannels() + " -> "
                    + last.outChannels() + " channels needs a downsample");
        }
        int outSize = (inSize - 1) / stride + 1;
        if (gate.mode().hasSpatialMasker()) {
            if (gate.spatialMasker().inChannels() != conv1.inChannels()) {
                throw new IllegalArgumentException("the spatial masker must read " + conv1.inChannels()
                        + " channels, got " + gate.spatialMasker().inChannels());
            }
            if ((long) gate.granularity() * gate.maskSize() != outSize || inSize % gate.maskSize() != 0) {
                throw new IllegalArgumentException("granularity * maskSize must equal the output side " + outSize
                        + " and maskSize divide the input side " + inSize + ", got " + gate.granularity() + " * "
                        + gate.maskSize());
            }
        }
        if (gate.mode().hasChannelMasker()) {
            int width = conv1.outChannels();
            if (width % gate.channelGroups() != 0 || conv2.groups() != 1) {
                throw new IllegalArgumentException("channel gating needs G = " + gate.channelGroups()
                        + " dividing the width " + width + " and an ungrouped conv2 (groups " + conv2.groups() + ")");
            }
            if (gate.channelMasker().first().inChannels() != conv1.inChannels()) {
                throw new IllegalArgumentException("the channel masker must read " + conv1.inChannels()
                        + " channels, got " + gate.channelMasker().first().inChannels());
            }
        }
    }

    /** Returns {@code Cin}. */
    public int inChannels() {
        return conv1.inChannels();
    }

    /** Returns the inner width {@code w} (conv1's outputs). */
    public int width() {
        return conv1.outChannels();
    }

    /** Returns {@code Cout}. */
    public int outChannels() {
        return bottleneck ? conv3.outChannels() : conv2.outChannels();
    }

    /** Returns the output side {@code (inSize - 1) / stride + 1}. */
    public int outSize() {
        return (inSize - 1) / stride + 1;
    }

    /** Returns the block with another gate (same weights). */
    public PlanBlock withGate(PlanGate newGate) {
        return new PlanBlock(bottleneck, inSize, stride, conv1, conv2, conv3, downsample, newGate);
    }

    /** Returns the dense MACs per sample: every convolution over its whole output map. */
    public long denseMacs() {
        int o = outSize();
        int s1 = conv1.stride() == 1 ? inSize : o;
        long macs = conv1.macsPerPixel() * s1 * s1 + conv2.macsPerPixel() * o * o;
        if (conv3 != null) {
            macs += conv3.macsPerPixel() * o * o;
        }
        if (downsample != null) {
            macs += downsample.macsPerPixel() * o * o;
        }
        return macs;
    }
}
