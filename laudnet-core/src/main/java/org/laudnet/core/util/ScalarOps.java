package org.laudnet.core.util;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Arithmetic between an array and a constant that is safe inside a gradient computation.
 *
 * <p>The engine's {@code NDArray.mul(Number)}, {@code div(Number)}, {@code maximum(Number)} (and the like) wrap the
 * number in a scalar array whose memory is a Java direct buffer, and close that scalar as soon as the call returns.
 * Autograd keeps a reference to the scalar for the backward pass ({@code d(x * c)/dx = c}, {@code d(x / c)/dx = 1/c},
 * the comparison mask of {@code maximum}), but once the scalar is closed nothing keeps the buffer alive: after a
 * garbage collection its memory is freed and reused, and the backward pass reads whatever is there. The result is a
 * gradient that is occasionally NaN, infinite or simply wrong, at random updates. These methods create the constant
 * in the manager of {@code x} instead, so it lives as long as the forward pass's other arrays (until that manager is
 * closed, after the backward pass).
 *
 * <p>Use them in every forward computation that may be differentiated; plain {@code NDArray} number arithmetic is fine
 * where no gradient is recorded (eval mode, optimizer updates) and for {@code add}/{@code sub}, whose backward does not
 * read the constant.
 */
public final class ScalarOps {

    private ScalarOps() {}

    /**
     * Returns the constant {@code v} as a scalar array of {@code like}'s data type, owned by {@code like}'s manager.
     *
     * @param like the array whose manager and data type the constant takes
     * @param v the value
     * @return a scalar array (shape {@code ()})
     */
    public static NDArray constant(NDArray like, double v) {
        NDArray c = like.getDataType() == DataType.FLOAT64
                ? like.getManager().create(v)
                : like.getManager().create((float) v);
        if (c.getDataType() != like.getDataType()) {
            NDArray cast = c.toType(like.getDataType(), true);
            c.close();
            return cast;
        }
        return c;
    }

    /**
     * {@code x * v}, differentiable in {@code x}.
     *
     * @param x the array
     * @param v the constant
     * @return a new array of {@code x}'s shape
     */
    public static NDArray mul(NDArray x, double v) {
        return x.mul(constant(x, v));
    }

    /**
     * {@code x / v}, differentiable in {@code x}.
     *
     * @param x the array
     * @param v the constant, non-zero
     * @return a new array of {@code x}'s shape
     * @throws IllegalArgumentException if {@code v} is 0 or not finite
     */
    public static NDArray div(NDArray x, double v) {
        if (v == 0 || !Double.isFinite(v)) {
            throw new IllegalArgumentException("divisor must be finite and non-zero, got " + v);
        }
        return x.div(constant(x, v));
    }

    /**
     * {@code max(x, v)} element-wise, differentiable in {@code x}.
     *
     * @param x the array
     * @param v the constant
     * @return a new array of {@code x}'s shape
     */
    public static NDArray maximum(NDArray x, double v) {
        return x.maximum(constant(x, v));
    }
}
