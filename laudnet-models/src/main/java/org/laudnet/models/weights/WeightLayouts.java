package org.laudnet.models.weights;

import java.util.Arrays;

/**
 * Conversions between the weight layouts of Keras/TF.js and those of DJL/PyTorch, and the absorption of a
 * convolution's bias into the BatchNorm that follows it. All arrays are row-major; inputs are never modified. (Folding
 * BatchNorms into convolutions for inference is {@code org.laudnet.core.plan.FoldedConv}'s.)
 *
 * <ul>
 *   <li>Convolution kernels: Keras {@code [kh, kw, in, out]} (HWIO) to DJL {@code [out, in, kh, kw]} (OIHW).</li>
 *   <li>Dense kernels: Keras {@code [in, out]} to DJL {@code [out, in]}.</li>
 *   <li>A convolution bias followed by batch normalisation is absorbed into the running mean.</li>
 * </ul>
 */
public final class WeightLayouts {

    private WeightLayouts() {}

    /**
     * Transposes a convolution kernel from HWIO to OIHW: {@code dst[o][i][y][x] = src[y][x][i][o]}.
     *
     * @param hwio the kernel, length {@code kh * kw * in * out}
     * @param kh kernel height
     * @param kw kernel width
     * @param in input channels
     * @param out output channels
     * @return a new array of the same length in OIHW order
     */
    public static float[] hwioToOihw(float[] hwio, int kh, int kw, int in, int out) {
        requirePositive("kh", kh);
        requirePositive("kw", kw);
        requirePositive("in", in);
        requirePositive("out", out);
        requireLength("hwio", hwio, (long) kh * kw * in * out);
        float[] dst = new float[hwio.length];
        for (int y = 0; y < kh; y++) {
            for (int x = 0; x < kw; x++) {
                for (int i = 0; i < in; i++) {
                    int srcBase = ((y * kw + x) * in + i) * out;
                    for (int o = 0; o < out; o++) {
                        dst[((o * in + i) * kh + y) * kw + x] = hwio[srcBase + o];
                    }
                }
            }
        }
        return dst;
    }

    /**
     * Transposes a rank-4 HWIO kernel tensor to OIHW, keeping its name.
     *
     * @param kernel shape {@code [kh, kw, in, out]}
     * @return shape {@code [out, in, kh, kw]}
     */
    public static NamedTensor hwioToOihw(NamedTensor kernel) {
        requireRank(kernel, 4);
        int[] s = kernel.intShape();
        return NamedTensor.of(kernel.name(), new int[] {s[3], s[2], s[0], s[1]},
                hwioToOihw(kernel.data(), s[0], s[1], s[2], s[3]));
    }

    /**
     * Transposes a dense kernel from {@code [in, out]} to {@code [out, in]}: {@code dst[o][i] = src[i][o]}.
     *
     * @param inOut the kernel, length {@code in * out}
     * @param in input features
     * @param out output features
     * @return a new array in {@code [out, in]} order
     */
    public static float[] inOutToOutIn(float[] inOut, int in, int out) {
        requirePositive("in", in);
        requirePositive("out", out);
        requireLength("inOut", inOut, (long) in * out);
        float[] dst = new float[inOut.length];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                dst[o * in + i] = inOut[i * out + o];
            }
        }
        return dst;
    }

    /**
     * Transposes a rank-2 dense kernel tensor from {@code [in, out]} to {@code [out, in]}, keeping its name.
     *
     * @param kernel shape {@code [in, out]}
     * @return shape {@code [out, in]}
     */
    public static NamedTensor inOutToOutIn(NamedTensor kernel) {
        requireRank(kernel, 2);
        int[] s = kernel.intShape();
        return NamedTensor.of(kernel.name(), new int[] {s[1], s[0]}, inOutToOutIn(kernel.data(), s[0], s[1]));
    }

    /**
     * Absorbs a convolution bias into the running mean of the batch normalisation that follows it, so that the
     * convolution can run without bias.
     *
     * <p>{@code BN(z + b) = gamma (z + b - mean) / sqrt(var + eps) + beta = gamma (z - mean') / sqrt(var + eps) + beta}
     * with {@code mean' = mean - b}.
     *
     * @param convBias the convolution bias {@code b}, length {@code C}
     * @param runningMean the running mean, length {@code C}
     * @return {@code mean' = runningMean - convBias}, a new array
     */
    public static float[] foldConvBiasIntoRunningMean(float[] convBias, float[] runningMean) {
        requireNonNull("convBias", convBias);
        requireLength("runningMean", runningMean, convBias.length);
        float[] out = new float[runningMean.length];
        for (int c = 0; c < out.length; c++) {
            out[c] = runningMean[c] - convBias[c];
        }
        return out;
    }

    private static void requirePositive(String name, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + v);
        }
    }

    private static void requireNonNull(String name, float[] a) {
        if (a == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
    }

    private static void requireLength(String name, float[] a, long expected) {
        requireNonNull(name, a);
        if (a.length != expected) {
            throw new IllegalArgumentException(name + ".length must be " + expected + ", got " + a.length);
        }
    }

    private static void requireRank(NamedTensor t, int rank) {
        if (t == null) {
            throw new IllegalArgumentException("kernel must not be null");
        }
        if (t.rank() != rank) {
            throw new IllegalArgumentException("kernel '" + t.name() + "' must have rank " + rank + ", got shape "
                    + Arrays.toString(t.shape()));
        }
    }
}
