package org.laudnet.core.util;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Argument checks that throw {@link IllegalArgumentException} with a message naming the offending parameter and
 * its value. Used by every public operator and builder of the library.
 */
public final class Checks {

    private Checks() {}

    /**
     * Requires {@code value > 0}.
     *
     * @param name the parameter name used in the message
     * @param value the value to check
     * @return {@code value}
     * @throws IllegalArgumentException if {@code value <= 0}
     */
    public static int positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
        return value;
    }

    /**
     * Requires {@code value >= 0}.
     *
     * @param name the parameter name used in the message
     * @param value the value to check
     * @return {@code value}
     * @throws IllegalArgumentException if {@code value < 0}
     */
    public static int nonNegative(String name, int value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be non-negative, got " + value);
        }
        return value;
    }

    /**
     * Requires a finite number.
     *
     * @param name the parameter name used in the message
     * @param value the value to check
     * @return {@code value}
     * @throws IllegalArgumentException if {@code value} is NaN or infinite
     */
    public static double finite(String name, double value) {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be finite, got " + value);
        }
        return value;
    }

    /**
     * Requires {@code lo <= value <= hi}.
     *
     * @param name the parameter name used in the message
     * @param value the value to check
     * @param lo inclusive lower bound
     * @param hi inclusive upper bound
     * @return {@code value}
     * @throws IllegalArgumentException if the value is outside the range or NaN
     */
    public static double inRange(String name, double value, double lo, double hi) {
        if (!(value >= lo && value <= hi)) {
            throw new IllegalArgumentException(name + " must be in [" + lo + ", " + hi + "], got " + value);
        }
        return value;
    }

    /**
     * Requires {@code divisor} to divide {@code value} exactly.
     *
     * @param divisorName the name of the divisor parameter (named in the message)
     * @param divisor the divisor, must be positive
     * @param valueName the name of the quantity that must be divisible
     * @param value the quantity
     * @return {@code value / divisor}
     * @throws IllegalArgumentException if the division is not exact
     */
    public static int divides(String divisorName, int divisor, String valueName, int value) {
        positive(divisorName, divisor);
        if (value % divisor != 0) {
            throw new IllegalArgumentException(
                    divisorName + " = " + divisor + " must divide " + valueName + " = " + value);
        }
        return value / divisor;
    }

    /**
     * Requires an array of the given rank.
     *
     * @param name the parameter name used in the message
     * @param array the array
     * @param rank expected number of dimensions
     * @param layout a description of the expected layout, e.g. {@code "(B, C, H, W)"}
     * @return {@code array}
     * @throws IllegalArgumentException if the rank differs
     */
    public static NDArray rank(String name, NDArray array, int rank, String layout) {
        if (array == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        Shape shape = array.getShape();
        if (shape.dimension() != rank) {
            throw new IllegalArgumentException(
                    name + " must have rank " + rank + " " + layout + ", got shape " + shape);
        }
        return array;
    }

    /**
     * Requires a shape of the given rank.
     *
     * @param name the parameter name used in the message
     * @param shape the shape
     * @param rank expected number of dimensions
     * @param layout a description of the expected layout
     * @return {@code shape}
     * @throws IllegalArgumentException if the rank differs
     */
    public static Shape rank(String name, Shape shape, int rank, String layout) {
        if (shape == null || shape.dimension() != rank) {
            throw new IllegalArgumentException(
                    name + " must have rank " + rank + " " + layout + ", got shape " + shape);
        }
        return shape;
    }

    /**
     * Requires an array without NaN values (reads one boolean back from the device).
     *
     * @param name the parameter name used in the message
     * @param array the array
     * @return {@code array}
     * @throws IllegalArgumentException if any element is NaN
     */
    public static NDArray noNaN(String name, NDArray array) {
        try (NDArray nan = array.isNaN();
                NDArray nonzero = nan.countNonzero()) {
            long count = nonzero.getLong();
            if (count > 0) {
                throw new IllegalArgumentException(
                        name + " contains " + count + " NaN value(s) in an array of shape " + array.getShape());
            }
        }
        return array;
    }
}
