package org.laudnet.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;

/**
 * A convolution with its eval-mode BatchNorm folded in: {@code w' = w * gamma / sqrt(var + eps)} and
 * {@code b' = (b - mean) * gamma / sqrt(var + eps) + beta} (with {@code b = 0} for a bias-free convolution).
 *
 * <p>The per-channel affine map of the BatchNorm, {@code y = scale * x + shift}, is read from the BatchNorm itself by
 * evaluating it at {@code x = 0} and {@code x = 1024}; this is exactly {@code scale = gamma / sqrt(var + eps)} and
 * {@code shift = beta - mean * scale} of the running statistics, without depending on how the norm stores epsilon.
 *
 * <p>The folded weights are kept on the host (for channel slicing) and on the engine in the layouts the execution
 * paths use: {@code (O, I/g, k, k)} for {@code conv2d} and, for 1x1 convolutions, the matrix {@code (O, I)} for a
 * GEMM on channels-last rows {@code (N, I) -> (N, O)}.
 */
final class FoldedConv {

    private static final float PROBE = 1024f;

    private final float[] hostWeight;
    private final float[] hostBias;
    private final int outChannels;
    private final int inChannels;
    private final int kernel;
    private final int stride;
    private final int groups;
    private final NDArray weight;
    private final NDArray matrix;
    private final NDArray bias;

    private FoldedConv(
            float[] hostWeight, float[] hostBias, int outChannels, int inChannels, int kernel, int stride, int groups,
            NDManager manager) {
        this.hostWeight = hostWeight;
        this.hostBias = hostBias;
        this.outChannels = outChannels;
        this.inChannels = inChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.groups = groups;
        this.weight = manager.create(hostWeight, new Shape(outChannels, inChannels / groups, kernel, kernel));
        this.matrix = kernel == 1 && groups == 1 ? manager.create(hostWeight, new Shape(outChannels, inChannels)) : null;
        this.bias = manager.create(hostBias, new Shape(outChannels));
    }

    /**
     * Folds {@code bn} into {@code conv}.
     *
     * @param conv the convolution (weight {@code (O, I/g, k, k)}, optional bias)
     * @param bn the BatchNorm that follows it
     * @param ps parameter store used to evaluate the BatchNorm in eval mode
     * @param manager owner of the folded arrays
     * @param stride the convolution's stride
     * @param groups the convolution's groups
     * @return the folded convolution
     */
    static FoldedConv fold(
            Conv2d conv, BatchNorm bn, ParameterStore ps, NDManager manager, int stride, int groups) {
        NDArray w = parameter(conv, "weight");
        Shape ws = w.getShape();
        int out = (int) ws.get(0);
        int in = (int) ws.get(1) * groups;
        int k = (int) ws.get(2);
        float[] weight = w.toFloatArray();
        NDArray b = conv.getParameters().contains("bias") ? parameter(conv, "bias") : null;
        float[] bias = b == null ? new float[out] : b.toFloatArray();
        float[] scale = new float[out];
        float[] shift = new float[out];
        try (NDManager probeManager = manager.newSubManager()) {
            float[] probe = new float[out * 2];
            for (int c = 0; c < out; c++) {
                probe[2 * c + 1] = PROBE;
            }
            NDArray x = probeManager.create(probe, new Shape(1, out, 1, 2));
            float[] y = bn.forward(ps, new NDList(x), false).head().toFloatArray();
            for (int c = 0; c < out; c++) {
                shift[c] = y[2 * c];
                scale[c] = (float) (((double) y[2 * c + 1] - y[2 * c]) / PROBE);
            }
        }
        int per = weight.length / out;
        float[] fw = new float[weight.length];
        float[] fb = new float[out];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < per; i++) {
                fw[o * per + i] = (float) ((double) weight[o * per + i] * scale[o]);
            }
            fb[o] = (float) ((double) bias[o] * scale[o] + shift[o]);
        }
        return new FoldedConv(fw, fb, out, in, k, stride, groups, manager);
    }

    private static NDArray parameter(Conv2d conv, String name) {
        Parameter p = conv.getParameters().get(name);
        if (p == null || !p.isInitialized()) {
            throw new IllegalArgumentException("convolution parameter '" + name + "' is not initialized");
        }
        return p.getArray();
    }

    /**
     * Returns the convolution restricted to output channels {@code outIdx} and input channels {@code inIdx}
     * ({@code null} keeps all); only ungrouped convolutions can be sliced on their input.
     *
     * @param outIdx kept output channels, ascending, or null
     * @param inIdx kept input channels, ascending, or null
     * @param manager owner of the sliced arrays
     * @return the sliced convolution
     */
    FoldedConv slice(int[] outIdx, int[] inIdx, NDManager manager) {
        int[] outs = outIdx == null ? range(outChannels) : outIdx;
        int[] ins = inIdx == null ? range(inChannels) : inIdx;
        if (groups != 1 && inIdx != null) {
            throw new IllegalArgumentException("cannot slice the input channels of a grouped convolution, groups = "
                    + groups);
        }
        int kk = kernel * kernel;
        int perOut = inChannels / groups * kk;
        float[] w = new float[outs.length * ins.length * kk];
        float[] b = new float[outs.length];
        int p = 0;
        for (int o : outs) {
            for (int i : ins) {
                System.arraycopy(hostWeight, o * perOut + i * kk, w, p, kk);
                p += kk;
            }
        }
        for (int j = 0; j < outs.length; j++) {
            b[j] = hostBias[outs[j]];
        }
        return new FoldedConv(w, b, outs.length, ins.length, kernel, stride, groups, manager);
    }

    /**
     * Returns a grouped convolution restricted to whole groups: the kept groups' output channels, each reading its
     * own group's input channels as before, so that the result is a convolution with {@code groupIdx.length} groups
     * on the concatenated input channels of the kept groups.
     *
     * @param groupIdx kept groups, ascending
     * @param manager owner of the sliced arrays
     * @return the sliced convolution, {@code groupIdx.length * O / groups} outputs
     * @throws IllegalArgumentException if {@code groupIdx} is empty or names a group outside {@code [0, groups)}
     */
    FoldedConv sliceGroups(int[] groupIdx, NDManager manager) {
        if (groupIdx.length == 0) {
            throw new IllegalArgumentException("groupIdx must not be empty");
        }
        int outPer = outChannels / groups;
        int inPer = inChannels / groups;
        int perOut = inPer * kernel * kernel;
        float[] w = new float[groupIdx.length * outPer * perOut];
        float[] b = new float[groupIdx.length * outPer];
        for (int j = 0; j < groupIdx.length; j++) {
            int q = groupIdx[j];
            if (q < 0 || q >= groups) {
                throw new IllegalArgumentException("groupIdx[" + j + "] must be in [0, " + groups + "), got " + q);
            }
            System.arraycopy(hostWeight, q * outPer * perOut, w, j * outPer * perOut, outPer * perOut);
            System.arraycopy(hostBias, q * outPer, b, j * outPer, outPer);
        }
        return new FoldedConv(w, b, groupIdx.length * outPer, groupIdx.length * inPer, kernel, stride,
                groupIdx.length, manager);
    }

    /**
     * Returns this convolution with one extra output channel whose weights are zero and whose bias is one: after a
     * ReLU that channel is exactly 1 at every computed pixel, which lets a following GEMM add its bias only where the
     * branch ran (see {@link #matrixWithBiasColumn()}). Only for ungrouped convolutions.
     *
     * @param manager owner of the new arrays
     * @return the extended convolution, {@code O + 1} outputs
     */
    FoldedConv withUnitChannel(NDManager manager) {
        if (groups != 1) {
            throw new IllegalArgumentException("cannot extend a grouped convolution, groups = " + groups);
        }
        float[] w = java.util.Arrays.copyOf(hostWeight, hostWeight.length + inChannels * kernel * kernel);
        float[] b = java.util.Arrays.copyOf(hostBias, outChannels + 1);
        b[outChannels] = 1f;
        return new FoldedConv(w, b, outChannels + 1, inChannels, kernel, stride, groups, manager);
    }

    /**
     * Returns the 1x1 convolution's matrix with its bias appended as a last column, {@code [W' | b'] : (O, I + 1)}, so
     * that {@code [W' | b'] [h; u] = W' h + u b'} for a unit row {@code u} (1 where the branch ran, 0 elsewhere).
     *
     * @param manager owner of the new array
     * @return the {@code (O, I + 1)} matrix
     */
    NDArray matrixWithBiasColumn(NDManager manager) {
        if (kernel != 1 || groups != 1) {
            throw new IllegalStateException("only ungrouped 1x1 convolutions have a matrix");
        }
        float[] m = new float[outChannels * (inChannels + 1)];
        for (int o = 0; o < outChannels; o++) {
            System.arraycopy(hostWeight, o * inChannels, m, o * (inChannels + 1), inChannels);
            m[o * (inChannels + 1) + inChannels] = hostBias[o];
        }
        return manager.create(m, new Shape(outChannels, inChannels + 1));
    }

    /** Returns the convolution's groups. */
    int groups() {
        return groups;
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }

    /**
     * Applies the folded convolution to NCHW data with "same" padding {@code k / 2}.
     *
     * @param x input {@code (B, I, H, W)}
     * @return {@code (B, O, H', W')}
     */
    NDArray conv(NDArray x) {
        return conv(x, kernel / 2);
    }

    /**
     * Applies the folded convolution to NCHW data with the given padding.
     *
     * @param x input {@code (B, I, H, W)}
     * @param padding zero padding on each side
     * @return {@code (B, O, H', W')}
     */
    NDArray conv(NDArray x, int padding) {
        return Conv2d.conv2d(x, weight, bias, new Shape(stride, stride), new Shape(padding, padding),
                new Shape(1, 1), groups).head();
    }

    /**
     * Applies a folded 1x1 convolution as a GEMM on channels-last rows: {@code rows W'^T + b'}.
     *
     * @param rows input rows {@code (N, I)}
     * @return output rows {@code (N, O)}
     */
    NDArray gemm(NDArray rows) {
        if (matrix == null) {
            throw new IllegalStateException("only ungrouped 1x1 convolutions run as a GEMM");
        }
        return Linear.linear(rows, matrix, bias).head();
    }

    /** Returns the host copy of the folded bias {@code (O)}. */
    float[] hostBias() {
        return hostBias;
    }

    /** Returns the output channels {@code O}. */
    int outChannels() {
        return outChannels;
    }

    /** Returns the input channels {@code I}. */
    int inChannels() {
        return inChannels;
    }

    /** Returns the folded bias on the engine {@code (O)}. */
    NDArray bias() {
        return bias;
    }

    /** Closes the engine copies. */
    void close() {
        weight.close();
        if (matrix != null) {
            matrix.close();
        }
        bias.close();
    }
}
