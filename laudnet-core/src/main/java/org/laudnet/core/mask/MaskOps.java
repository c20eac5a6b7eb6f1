package org.laudnet.core.mask;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import org.laudnet.core.util.Checks;

/**
 * Mask algebra of method section 1 ("Mask expansion"), as functional operators on NDArrays. Masks hold 0/1 values
 * and keep their gradients (every operator is differentiable with respect to the mask).
 *
 * <ul>
 *   <li>{@link #upsampleNearest}: the gate grid {@code (B, g, m, m)} to the output resolution: {@code M3} (uneven
 *       cells by nearest interpolation when {@code m} does not divide the resolution; {@link #adaptiveAvgPool} is the
 *       masker's matching pooling).
 *   <li>{@link #expandForConv3x3}: an output mask of a 3x3 convolution (padding 1, stride s) to the positions of its
 *       input that the convolution reads: {@code M1} from {@code M2}.
 *   <li>{@link #applySpatial} and {@link #applyChannel}: multiply features by a spatial mask with channel groups, or
 *       by a channel-group mask.
 * </ul>
 */
public final class MaskOps {

    private MaskOps() {}

    /**
     * Nearest upsampling of a gate grid to a feature resolution. When the grid side divides the target side each cell
     * is repeated over {@code height / m} rows and {@code width / n} columns; otherwise target row {@code y} takes grid
     * row {@link #nearestIndex nearestIndex(y, m, height)} (the reference implementation's nearest interpolation: a
     * 3-cell grid on 7 rows covers rows 0-2, 3-4 and 5-6). Differentiable with respect to the mask.
     *
     * @param mask the gate mask, {@code (B, g, m, n)}
     * @param height target height, at least {@code m}
     * @param width target width, at least {@code n}
     * @return the mask at {@code (B, g, height, width)}
     * @throws IllegalArgumentException if the rank is not 4 or a target side is smaller than the grid's
     */
    public static NDArray upsampleNearest(NDArray mask, int height, int width) {
        Checks.rank("mask", mask, 4, "(B, g, m, n)");
        Checks.positive("height", height);
        Checks.positive("width", width);
        Shape s = mask.getShape();
        int m = (int) s.get(2);
        int n = (int) s.get(3);
        if (m > height || n > width) {
            throw new IllegalArgumentException("mask grid " + m + "x" + n + " exceeds the target " + height + "x"
                    + width);
        }
        if (height % m == 0 && width % n == 0) {
            NDArray out = height == m ? mask : mask.repeat(2, height / m);
            return width == n ? out : out.repeat(3, width / n);
        }
        NDArray rows = selection(mask, height, m);
        NDArray cols = selection(mask, width, n).transpose();
        return rows.matMul(mask).matMul(cols);
    }

    /** The {@code (out, in)} 0/1 matrix of nearest interpolation from {@code in} to {@code out} positions. */
    private static NDArray selection(NDArray like, int out, int in) {
        float[] v = new float[out * in];
        for (int y = 0; y < out; y++) {
            v[y * in + nearestIndex(y, in, out)] = 1f;
        }
        return like.getManager().create(v, new Shape(out, in)).toType(like.getDataType(), false);
    }

    /**
     * The source index of nearest interpolation from {@code in} to {@code out} positions, as PyTorch's
     * {@code interpolate(mode="nearest")} computes it (which the reference implementation uses):
     * {@code min(floor(dst * (float) in / out), in - 1)} in single precision.
     *
     * @param dst the target position, in {@code [0, out)}
     * @param in source positions
     * @param out target positions
     * @return the source position
     */
    public static int nearestIndex(int dst, int in, int out) {
        float scale = (float) in / out;
        return Math.min((int) Math.floor(dst * scale), in - 1);
    }

    /**
     * The first position of bin {@code i} of adaptive average pooling from {@code in} to {@code out} positions:
     * {@code floor(i * in / out)}.
     *
     * @param i the bin, in {@code [0, out)}
     * @param in input positions
     * @param out bins
     * @return the first position (inclusive)
     */
    public static int adaptiveStart(int i, int in, int out) {
        return (int) ((long) i * in / out);
    }

    /**
     * The end of bin {@code i} of adaptive average pooling: {@code ceil((i + 1) * in / out)} (exclusive). Bins may
     * overlap when {@code out} does not divide {@code in}.
     *
     * @param i the bin, in {@code [0, out)}
     * @param in input positions
     * @param out bins
     * @return the end position (exclusive)
     */
    public static int adaptiveEnd(int i, int in, int out) {
        return (int) (((long) (i + 1) * in + out - 1) / out);
    }

    /**
     * Adaptive average pooling of {@code (B, C, H, W)} to {@code (B, C, m, n)}: output {@code (i, j)} is the mean over
     * rows {@code [adaptiveStart(i, H, m), adaptiveEnd(i, H, m))} and the same columns of {@code W} to {@code n}, as
     * PyTorch's {@code adaptive_avg_pool2d}. Differentiable.
     *
     * @param x features {@code (B, C, H, W)}
     * @param m output rows, in {@code [1, H]}
     * @param n output columns, in {@code [1, W]}
     * @return the pooled features
     * @throws IllegalArgumentException for a bad rank or output size
     */
    public static NDArray adaptiveAvgPool(NDArray x, int m, int n) {
        Checks.rank("x", x, 4, "(B, C, H, W)");
        Shape s = x.getShape();
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        if (m < 1 || m > h || n < 1 || n > w) {
            throw new IllegalArgumentException("adaptive pooling of " + h + "x" + w + " needs an output in [1, " + h
                    + "] x [1, " + w + "], got " + m + "x" + n);
        }
        if (h % m == 0 && w % n == 0) {
            return h == m && w == n ? x
                    : Pool.avgPool2d(x, new Shape(h / m, w / n), new Shape(h / m, w / n), new Shape(0, 0), false, true);
        }
        NDArray rows = averaging(x, m, h);
        NDArray cols = averaging(x, n, w).transpose();
        return rows.matMul(x).matMul(cols);
    }

    /** The {@code (out, in)} matrix of adaptive averaging from {@code in} positions to {@code out} bins. */
    private static NDArray averaging(NDArray like, int out, int in) {
        float[] v = new float[out * in];
        for (int i = 0; i < out; i++) {
            int a = adaptiveStart(i, in, out);
            int b = adaptiveEnd(i, in, out);
            for (int k = a; k < b; k++) {
                v[i * in + k] = 1f / (b - a);
            }
        }
        return like.getManager().create(v, new Shape(out, in)).toType(like.getDataType(), false);
    }

    /**
     * Expands the output mask of a 3x3 convolution with padding 1 and stride {@code s} to the input positions it
     * reads: each kept output {@code (i, j)} needs inputs {@code (s i + di, s j + dj)} for {@code di, dj in {-1, 0,
     * 1}} that lie inside the image. Computed as placement of the mask on the stride grid of the input, then a 3x3 max
     * dilation.
     *
     * @param outputMask mask of the convolution's outputs, {@code (B, g, Hout, Wout)}
     * @param stride the convolution's stride, 1 or 2
     * @param inHeight the convolution's input height; {@code Hout = (inHeight - 1) / s + 1} must hold
     * @param inWidth the convolution's input width; {@code Wout = (inWidth - 1) / s + 1} must hold
     * @return the mask of needed input positions, {@code (B, g, inHeight, inWidth)}
     * @throws IllegalArgumentException for a bad rank, stride or inconsistent sizes
     */
    public static NDArray expandForConv3x3(NDArray outputMask, int stride, int inHeight, int inWidth) {
        Checks.rank("outputMask", outputMask, 4, "(B, g, Hout, Wout)");
        if (stride != 1 && stride != 2) {
            throw new IllegalArgumentException("stride must be 1 or 2, got " + stride);
        }
        Checks.positive("inHeight", inHeight);
        Checks.positive("inWidth", inWidth);
        Shape s = outputMask.getShape();
        long hOut = s.get(2);
        long wOut = s.get(3);
        if (hOut != (inHeight - 1) / stride + 1 || wOut != (inWidth - 1) / stride + 1) {
            throw new IllegalArgumentException("outputMask spatial size " + hOut + "x" + wOut
                    + " does not match a stride-" + stride + " 3x3 convolution of input " + inHeight + "x" + inWidth);
        }
        NDArray placed = outputMask;
        if (stride > 1) {
            placed = interleaveZeros(placed, 2, stride);
            placed = interleaveZeros(placed, 3, stride);
            placed = placed.get(":, :, :" + inHeight + ", :" + inWidth);
        }
        return Pool.maxPool2d(placed, new Shape(3, 3), new Shape(1, 1), new Shape(1, 1), false);
    }

    /**
     * Multiplies features by a spatial mask whose {@code g} groups cover contiguous blocks of {@code C / g}
     * channels.
     *
     * @param x features, {@code (B, C, H, W)}
     * @param mask spatial mask at the same resolution, {@code (B, g, H, W)} with {@code g} dividing {@code C}
     * @return {@code x * mask} with the mask broadcast over each group's channels
     * @throws IllegalArgumentException for bad ranks or mismatched sizes
     */
    public static NDArray applySpatial(NDArray x, NDArray mask) {
        Checks.rank("x", x, 4, "(B, C, H, W)");
        Checks.rank("mask", mask, 4, "(B, g, H, W)");
        Shape xs = x.getShape();
        Shape ms = mask.getShape();
        if (ms.get(0) != xs.get(0) || ms.get(2) != xs.get(2) || ms.get(3) != xs.get(3)) {
            throw new IllegalArgumentException("mask shape " + ms + " does not match features shape " + xs);
        }
        int perGroup = Checks.divides("mask groups", (int) ms.get(1), "channels", (int) xs.get(1));
        return x.mul(perGroup == 1 || ms.get(1) == 1 ? mask : mask.repeat(1, perGroup));
    }

    /**
     * Multiplies features by a channel-group mask: channel {@code k} belongs to group {@code floor(k / (C / G))}.
     *
     * @param x features, {@code (B, C, H, W)}
     * @param mask channel mask, {@code (B, G)} with {@code G} dividing {@code C}
     * @return {@code x * mask[b, group(k)]}
     * @throws IllegalArgumentException for bad ranks or mismatched sizes
     */
    public static NDArray applyChannel(NDArray x, NDArray mask) {
        return x.mul(channelMaskToChannels(x, mask));
    }

    /**
     * Expands a channel-group mask {@code (B, G)} to per-channel form {@code (B, C, 1, 1)} for features {@code x}.
     *
     * @param x features, {@code (B, C, H, W)}
     * @param mask channel mask, {@code (B, G)}
     * @return the per-channel mask, broadcastable against {@code x}
     */
    public static NDArray channelMaskToChannels(NDArray x, NDArray mask) {
        Checks.rank("x", x, 4, "(B, C, H, W)");
        Checks.rank("mask", mask, 2, "(B, G)");
        Shape xs = x.getShape();
        Shape ms = mask.getShape();
        if (ms.get(0) != xs.get(0)) {
            throw new IllegalArgumentException("mask batch " + ms.get(0) + " does not match features batch "
                    + xs.get(0));
        }
        int perGroup = Checks.divides("channel groups", (int) ms.get(1), "channels", (int) xs.get(1));
        NDArray perChannel = perGroup == 1 ? mask : mask.repeat(1, perGroup);
        return perChannel.reshape(xs.get(0), xs.get(1), 1, 1);
    }

    /** Inserts {@code factor - 1} zeros after every element along {@code axis}. */
    private static NDArray interleaveZeros(NDArray a, int axis, int factor) {
        NDArray expanded = a.expandDims(axis + 1);
        Shape zeroShape = expanded.getShape().slice(0, axis + 1).add(factor - 1);
        zeroShape = zeroShape.addAll(expanded.getShape().slice(axis + 2));
        NDArray zeros = a.getManager().zeros(zeroShape, a.getDataType());
        NDArray joined = NDArrays.concat(new NDList(expanded, zeros), axis + 1);
        Shape s = a.getShape();
        // Shape.getShape() exposes the shape's own array: copy it, or the input's shape would change
        long[] dims = s.getShape().clone();
        dims[axis] *= factor;
        return joined.reshape(new Shape(dims));
    }
}
