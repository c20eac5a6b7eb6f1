package org.laudnet.core.plan;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import java.util.Arrays;

/**
 * One convolution of an {@link InferencePlan} with its eval-mode BatchNorm folded in, as plain host arrays:
 *
 * <pre>
 *   y[b, o, oy, ox] = bias[o] + sum_{i, ky, kx} weight[o, i, ky, kx] x[b, g0 + i, oy s - p + ky, ox s - p + kx]
 * </pre>
 *
 * with zero padding {@code p}, stride {@code s} and {@code g0 = (o / (O / groups)) (I / groups)}. A fully connected
 * layer is a 1x1 convolution on {@code (B, I, 1, 1)}.
 *
 * <p>Folding (this is the project's only BatchNorm fold): {@code w' = w * scale}, {@code b' = b * scale + shift} with
 * the per-channel affine map {@code BN(v) = scale v + shift} of the running statistics. The map is read from the
 * BatchNorm itself by evaluating it in eval mode at {@code v = 0} and {@code v = 1024}, which is exactly
 * {@code scale = gamma / sqrt(var + eps)} and {@code shift = beta - mean * scale} without depending on how the norm
 * stores epsilon.
 *
 * <p>Immutable: the arrays returned by {@link #weight()} and {@link #bias()} are this object's own storage, shared
 * (never copied) by every executor of a plan; callers must not modify them. Thread-safe.
 */
public final class FoldedConv {

    private static final float PROBE = 1024f;

    private final int outChannels;
    private final int inChannels;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final int groups;
    private final float[] weight;
    private final float[] bias;

    /**
     * Creates a convolution from its arrays, which the new object owns from now on (they are not copied).
     *
     * @param outChannels {@code O}
     * @param inChannels {@code I}
     * @param kernel square kernel side {@code k}
     * @param stride stride {@code s}
     * @param padding zero padding {@code p}
     * @param groups convolution groups, dividing {@code O} and {@code I}
     * @param weight {@code (O, I / groups, k, k)} row-major
     * @param bias {@code (O)}
     * @throws IllegalArgumentException naming the first inconsistent dimension or array length
     */
    public FoldedConv(int outChannels, int inChannels, int kernel, int stride, int padding, int groups,
            float[] weight, float[] bias) {
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
        this.outChannels = outChannels;
        this.inChannels = inChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.groups = groups;
        this.weight = weight;
        this.bias = bias;
    }

    /**
     * A fully connected layer {@code y = W x + b} as a 1x1 convolution.
     *
     * @param out output features {@code N}
     * @param in input features {@code K}
     * @param weight {@code (N, K)}, owned by the result
     * @param bias {@code (N)}, owned by the result
     * @return the layer
     */
    public static FoldedConv linear(int out, int in, float[] weight, float[] bias) {
        return new FoldedConv(out, in, 1, 1, 0, 1, weight, bias);
    }

    /**
     * Folds an eval-mode BatchNorm into the convolution before it.
     *
     * @param conv the initialised convolution (weight {@code (O, I / groups, k, k)}, optional bias)
     * @param bn the initialised BatchNorm over its {@code O} outputs
     * @param ps the parameter store the layers are read through
     * @param stride the convolution's stride
     * @param groups the convolution's groups
     * @return the folded convolution, with padding {@code k / 2}
     * @throws IllegalArgumentException if a parameter is not initialised
     */
    public static FoldedConv fold(Block conv, BatchNorm bn, ParameterStore ps, int stride, int groups) {
        FoldedConv c = of(conv, stride, groups);
        float[] scale = new float[c.outChannels];
        float[] shift = new float[c.outChannels];
        try (NDManager probeManager = ps.getManager().newSubManager()) {
            float[] probe = new float[c.outChannels * 2];
            for (int o = 0; o < c.outChannels; o++) {
                probe[2 * o + 1] = PROBE;
            }
            NDArray x = probeManager.create(probe, new Shape(1, c.outChannels, 1, 2));
            float[] y = bn.forward(ps, new NDList(x), false).head().toFloatArray();
            for (int o = 0; o < c.outChannels; o++) {
                shift[o] = y[2 * o];
                scale[o] = (float) (((double) y[2 * o + 1] - y[2 * o]) / PROBE);
            }
        }
        return c.scaled(scale, shift);
    }

    /**
     * Reads an initialised convolution (or a linear layer, as 1x1) without a BatchNorm.
     *
     * @param layer a {@code Conv2d} (weight {@code (O, I / groups, k, k)}) or a {@code Linear} (weight {@code (O, I)}),
     *     with or without bias
     * @param stride the convolution's stride
     * @param groups the convolution's groups
     * @return the convolution, padding {@code k / 2}
     * @throws IllegalArgumentException if the weight is not initialised
     */
    public static FoldedConv of(Block layer, int stride, int groups) {
        NDArray w = parameter(layer, "weight");
        Shape ws = w.getShape();
        int out = (int) ws.get(0);
        int in = (int) ws.get(1) * groups;
        int k = ws.dimension() == 4 ? (int) ws.get(2) : 1;
        Parameter b = layer.getParameters().get("bias");
        float[] bias = b == null ? new float[out] : parameter(layer, "bias").toFloatArray();
        return new FoldedConv(out, in, k, stride, k / 2, groups, w.toFloatArray(), bias);
    }

    private static NDArray parameter(Block layer, String name) {
        Parameter p = layer.getParameters().get(name);
        if (p == null || !p.isInitialized()) {
            throw new IllegalArgumentException("layer parameter '" + name + "' is not initialized");
        }
        return p.getArray();
    }

    /** Returns {@code y = scale * conv(x) + shift}: the convolution's weights and bias scaled per output channel. */
    private FoldedConv scaled(float[] scale, float[] shift) {
        int per = weight.length / outChannels;
        float[] fw = new float[weight.length];
        float[] fb = new float[outChannels];
        for (int o = 0; o < outChannels; o++) {
            for (int i = 0; i < per; i++) {
                fw[o * per + i] = (float) ((double) weight[o * per + i] * scale[o]);
            }
            fb[o] = (float) ((double) bias[o] * scale[o] + shift[o]);
        }
        return new FoldedConv(outChannels, inChannels, kernel, stride, padding, groups, fw, fb);
    }

    /** Returns {@code O}. */
    public int outChannels() {
        return outChannels;
    }

    /** Returns {@code I}. */
    public int inChannels() {
        return inChannels;
    }

    /** Returns the square kernel side {@code k}. */
    public int kernel() {
        return kernel;
    }

    /** Returns the stride. */
    public int stride() {
        return stride;
    }

    /** Returns the zero padding on each side. */
    public int padding() {
        return padding;
    }

    /** Returns the groups. */
    public int groups() {
        return groups;
    }

    /** Returns the weights {@code (O, I / groups, k, k)}: this object's storage, not to be modified. */
    public float[] weight() {
        return weight;
    }

    /** Returns the bias {@code (O)}: this object's storage, not to be modified. */
    public float[] bias() {
        return bias;
    }

    /**
     * Returns the output side for an input side: {@code (in + 2 p - k) / s + 1}.
     *
     * @param in input side
     * @return the output side
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
     * Applies a 1x1 layer to rows on the host: {@code out[n, o] = bias[o] + sum_i w[o, i] in[n, i]}, optionally followed
     * by a ReLU (a fully connected layer on pooled features).
     *
     * @param in rows {@code (N, I)} row-major
     * @param rows {@code N}
     * @param relu whether to apply a ReLU
     * @return {@code (N, O)}
     * @throws IllegalStateException if this is not an ungrouped 1x1 convolution
     * @throws IllegalArgumentException if {@code in} does not hold {@code N I} values
     */
    public float[] applyToRows(float[] in, int rows, boolean relu) {
        if (kernel != 1 || groups != 1) {
            throw new IllegalStateException("only ungrouped 1x1 layers apply to rows, got " + this);
        }
        if (in.length != (long) rows * inChannels) {
            throw new IllegalArgumentException("in must hold " + rows + " x " + inChannels + " values, got "
                    + in.length);
        }
        float[] out = new float[rows * outChannels];
        for (int n = 0; n < rows; n++) {
            for (int o = 0; o < outChannels; o++) {
                float v = bias[o];
                int wo = o * inChannels;
                int xo = n * inChannels;
                for (int i = 0; i < inChannels; i++) {
                    v += weight[wo + i] * in[xo + i];
                }
                out[n * outChannels + o] = relu ? Math.max(v, 0f) : v;
            }
        }
        return out;
    }

    /**
     * Restricts an ungrouped convolution to some output and input channels:
     * {@code w'[o', i'] = w[outIdx[o'], inIdx[i']]}, {@code b'[o'] = b[outIdx[o']]} (a grouped convolution keeps whole
     * groups, see {@link #sliceGroups}).
     *
     * @param outIdx kept output channels, or {@code null} for all
     * @param inIdx kept input channels, or {@code null} for all
     * @return the sliced convolution
     * @throws IllegalArgumentException for a grouped convolution or an index out of range
     */
    public FoldedConv slice(int[] outIdx, int[] inIdx) {
        if (groups != 1) {
            throw new IllegalArgumentException("only ungrouped convolutions can be sliced by channel, groups = "
                    + groups);
        }
        int[] outs = outIdx == null ? range(outChannels) : outIdx;
        int[] ins = inIdx == null ? range(inChannels) : inIdx;
        int kk = kernel * kernel;
        float[] w = new float[outs.length * ins.length * kk];
        float[] b = new float[outs.length];
        int p = 0;
        for (int o : outs) {
            check("outIdx", o, outChannels);
            for (int i : ins) {
                check("inIdx", i, inChannels);
                System.arraycopy(weight, (o * inChannels + i) * kk, w, p, kk);
                p += kk;
            }
        }
        for (int j = 0; j < outs.length; j++) {
            b[j] = bias[outs[j]];
        }
        return new FoldedConv(outs.length, ins.length, kernel, stride, padding, 1, w, b);
    }

    /**
     * Restricts a grouped convolution to whole groups: the kept groups' output channels, each reading its own group's
     * input channels as before, so that the result is a convolution with {@code groupIdx.length} groups on the
     * concatenated input channels of the kept groups.
     *
     * @param groupIdx kept groups, ascending, non-empty
     * @return the sliced convolution, {@code groupIdx.length * O / groups} outputs
     * @throws IllegalArgumentException if {@code groupIdx} is empty or names a group outside {@code [0, groups)}
     */
    public FoldedConv sliceGroups(int[] groupIdx) {
        if (groupIdx == null || groupIdx.length == 0) {
            throw new IllegalArgumentException("groupIdx must not be empty");
        }
        int outPer = outChannels / groups;
        int inPer = inChannels / groups;
        int perOut = inPer * kernel * kernel;
        float[] w = new float[groupIdx.length * outPer * perOut];
        float[] b = new float[groupIdx.length * outPer];
        for (int j = 0; j < groupIdx.length; j++) {
            int q = groupIdx[j];
            check("groupIdx", q, groups);
            System.arraycopy(weight, q * outPer * perOut, w, j * outPer * perOut, outPer * perOut);
            System.arraycopy(bias, q * outPer, b, j * outPer, outPer);
        }
        return new FoldedConv(groupIdx.length * outPer, groupIdx.length * inPer, kernel, stride, padding,
                groupIdx.length, w, b);
    }

    /**
     * Returns a convolution of the same shape with the given number of input and output channels whose weights are
     * zero and whose bias is {@code bias} (used where a channel pattern keeps no channel: the branch then carries only
     * the bias of its last convolution).
     *
     * @param out output channels
     * @param in input channels
     * @param bias the bias, {@code out} elements (copied), or null for zeros
     * @return the convolution, ungrouped
     */
    public FoldedConv zeroWeights(int out, int in, float[] bias) {
        float[] b = bias == null ? new float[out] : Arrays.copyOf(bias, out);
        return new FoldedConv(out, in, kernel, stride, padding, 1, new float[out * in * kernel * kernel], b);
    }

    /**
     * Returns this convolution with another bias (same weights and layout).
     *
     * @param bias the bias, {@code outChannels} elements (copied)
     * @return the convolution
     * @throws IllegalArgumentException if the bias has the wrong length
     */
    public FoldedConv withBias(float[] bias) {
        if (bias == null || bias.length != outChannels) {
            throw new IllegalArgumentException("bias must have " + outChannels + " elements, got "
                    + (bias == null ? "null" : bias.length));
        }
        return new FoldedConv(outChannels, inChannels, kernel, stride, padding, groups, weight, bias.clone());
    }

    /**
     * Checks the layout of a plan layer: kernel side, stride, padding and groups (the channels are checked by the
     * caller). Executors rely on these fields, so plan records check them when they are built.
     *
     * @param name the layer's name, for the message
     * @param c the layer
     * @param kernel the required kernel side
     * @param stride the required stride
     * @param padding the required padding
     * @param groups the required groups
     * @throws IllegalArgumentException naming the layer, the required layout and the layer found
     */
    static void requireLayout(String name, FoldedConv c, int kernel, int stride, int padding, int groups) {
        if (c.kernel != kernel || c.stride != stride || c.padding != padding || c.groups != groups) {
            throw new IllegalArgumentException(name + " must be a " + kernel + "x" + kernel + " convolution with stride "
                    + stride + ", padding " + padding + " and " + groups + (groups == 1 ? " group" : " groups")
                    + ", got " + c);
        }
    }

    /**
     * Checks that a plan layer is pointwise: an ungrouped 1x1 convolution with stride 1 and no padding (a fully
     * connected layer, or a 1x1 convolution that keeps the spatial size).
     *
     * @param name the layer's name, for the message
     * @param c the layer
     * @throws IllegalArgumentException naming the layer and the layer found
     */
    static void requirePointwise(String name, FoldedConv c) {
        requireLayout(name, c, 1, 1, 0, 1);
    }

    private static void check(String name, int v, int bound) {
        if (v < 0 || v >= bound) {
            throw new IllegalArgumentException(name + " entries must be in [0, " + bound + "), got " + v);
        }
    }

    private static int[] range(int n) {
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

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        return o instanceof FoldedConv c && c.outChannels == outChannels && c.inChannels == inChannels
                && c.kernel == kernel && c.stride == stride && c.padding == padding && c.groups == groups
                && Arrays.equals(c.weight, weight) && Arrays.equals(c.bias, bias);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {outChannels, inChannels, kernel, stride, padding, groups})
                + 31 * Arrays.hashCode(bias);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "FoldedConv[" + outChannels + " <- " + inChannels + ", " + kernel + "x" + kernel + "/" + stride
                + ", pad " + padding + ", groups " + groups + "]";
    }
}
