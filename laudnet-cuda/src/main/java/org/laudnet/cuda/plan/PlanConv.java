package org.laudnet.cuda.plan;

/**
 * One convolution of a {@link LaudPlan} with eval-mode BatchNorm already folded in:
 * {@code y[b, o, oy, ox] = bias[o] + sum_{i, ky, kx} weight[o, i, ky, kx] x[b, g0 + i, oy s - p + ky, ox s - p + kx]}
 * with zero padding {@code p}, stride {@code s} and {@code g0 = (o / (O / groups)) (I / groups)}. A fully connected
 * layer is a 1x1 convolution on {@code (B, I, 1, 1)}.
 *
 * @param outChannels {@code O}
 * @param inChannels {@code I}
 * @param kernel square kernel side {@code k}
 * @param stride stride {@code s}
 * @param padding zero padding {@code p}
 * @param groups convolution groups, dividing {@code O} and {@code I}
 * @param weight {@code (O, I / groups, k, k)} row-major
 * @param bias {@code (O)}
 */
public record PlanConv(
        int outChannels, int inChannels, int kernel, int stride, int padding, int groups, float[] weight,
        float[] bias) {

    /** Validates the dimensions and the array lengths. */
    public PlanConv {
        positive("outChannels", outChannels);
        positive("inChannels", inChannels);
        positive("kernel", kernel);
        positive("stride", stride);
        positive("groups", groups);
        if (padding < 0) {
            throw new IllegalArgumentException("padding must be non-negative, got " + padding);
        }
        if (outChannels % groups != 0 || inChannels % groups != 0) {
            throw new IllegalArgumentException("groups must divide outChannels " + outChannels + " and inChannels "
                    + inChannels + ", got " + groups);
        }
        long expected = (long) outChannels * (inChannels / groups) * kernel * kernel;
        if (weight == null || weight.length != expected) {
            throw new IllegalArgumentException("weight must have O*(I/g)*k*k = " + expected + " elements, got "
                    + (weight == null ? "null" : weight.length));
        }
        if (bias == null || bias.length != outChannels) {
            throw new IllegalArgumentException("bias must have " + outChannels + " elements, got "
                    + (bias == null ? "null" : bias.length));
        }
    }

    /**
     * A fully connected layer {@code y = W x + b} as a 1x1 convolution.
     *
     * @param out output features {@code N}
     * @param in input features {@code K}
     * @param weight {@code (N, K)}
     * @param bias {@code (N)}
     * @return the layer
     */
    public static PlanConv linear(int out, int in, float[] weight, float[] bias) {
        return new PlanConv(out, in, 1, 1, 0, 1, weight, bias);
    }

    /**
     * Output side of this convolution for an input side.
     *
     * @param in input side
     * @return {@code (in + 2 p - k) / s + 1}
     * @throws IllegalArgumentException if the output would be empty
     */
    public int outSize(int in) {
        int o = (in + 2 * padding - kernel) / stride + 1;
        if (o <= 0) {
            throw new IllegalArgumentException("input side " + in + " is too small for a " + kernel + "x" + kernel
                    + " convolution with stride " + stride + " and padding " + padding);
        }
        return o;
    }

    /** Returns the multiply-accumulates per output pixel: {@code O (I / groups) k^2}. */
    public long macsPerPixel() {
        return (long) outChannels * (inChannels / groups) * kernel * kernel;
    }

    /**
     * Restricts the convolution to some output and input channels (ungrouped convolutions only):
     * {@code w'[o', i'] = w[outIdx[o'], inIdx[i']]}, {@code b'[o'] = b[outIdx[o']]}.
     *
     * @param outIdx kept output channels, or {@code null} for all
     * @param inIdx kept input channels, or {@code null} for all
     * @return the sliced convolution
     */
    public PlanConv slice(int[] outIdx, int[] inIdx) {
        if (groups != 1) {
            throw new IllegalArgumentException("only ungrouped convolutions can be sliced, groups = " + groups);
        }
        int[] outs = outIdx == null ? range(outChannels) : outIdx;
        int[] ins = inIdx == null ? range(inChannels) : inIdx;
        int kk = kernel * kernel;
        float[] w = new float[outs.length * ins.length * kk];
        float[] b = new float[outs.length];
        for (int o = 0; o < outs.length; o++) {
            check("outIdx", outs[o], outChannels);
            b[o] = bias[outs[o]];
            for (int i = 0; i < ins.length; i++) {
                check("inIdx", ins[i], inChannels);
                System.arraycopy(weight, (outs[o] * inChannels + ins[i]) * kk, w, (o * ins.length + i) * kk, kk);
            }
        }
        return new PlanConv(outs.length, ins.length, kernel, stride, padding, 1, w, b);
    }

    private static void check(String name, int v, int bound) {
        if (v < 0 || v >= bound) {
            throw new IllegalArgumentException(name + " entries must be in [0, " + bound + "), got " + v);
        }
    }

    static int[] range(int n) {
        int[] r = new int[n];
        for (int k = 0; k < n; k++) {
            r[k] = k;
        }
        return r;
    }

    private static void positive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + v);
        }
    }
}
