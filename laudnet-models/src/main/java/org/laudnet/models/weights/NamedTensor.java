package org.laudnet.models.weights;

import java.util.Arrays;

/**
 * A named dense float tensor in row-major (C) order: the element at index {@code (i0, ..., i(r-1))} of a tensor of
 * shape {@code (d0, ..., d(r-1))} is {@code data[((i0 * d1 + i1) * d2 + i2) ... ]}. A rank-0 tensor (empty shape)
 * holds one value.
 *
 * <p>The shape is copied on construction and on access. The data array is <em>not</em> copied (weight tensors reach
 * tens of millions of values): the record takes ownership of the array it is given, and {@link #data()} returns that
 * same array. Equality compares names, shapes and values.
 *
 * @param name the tensor name, e.g. {@code conv1/kernel}; not blank
 * @param shape the dimensions, each {@code >= 0}; their product is the number of elements
 * @param data the values, {@code data.length == prod(shape)}
 */
public record NamedTensor(String name, long[] shape, float[] data) {

    /** Validates the name, the dimensions and the data length. */
    public NamedTensor {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, got " + (name == null ? "null" : "'" + name + "'"));
        }
        if (shape == null) {
            throw new IllegalArgumentException("shape of tensor '" + name + "' must not be null");
        }
        if (data == null) {
            throw new IllegalArgumentException("data of tensor '" + name + "' must not be null");
        }
        shape = shape.clone();
        long n = numel(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("data.length of tensor '" + name + "' must equal the product of shape "
                    + Arrays.toString(shape) + " = " + n + ", got " + data.length);
        }
    }

    /**
     * Convenience constructor from an {@code int} shape.
     *
     * @param name the tensor name
     * @param shape the dimensions, each {@code >= 0}
     * @param data the values, {@code data.length == prod(shape)}
     * @return the tensor
     */
    public static NamedTensor of(String name, int[] shape, float[] data) {
        if (shape == null) {
            throw new IllegalArgumentException("shape of tensor '" + name + "' must not be null");
        }
        return new NamedTensor(name, Arrays.stream(shape).asLongStream().toArray(), data);
    }

    /**
     * Returns the index of the first value that is NaN or infinite, for weight readers that refuse such values.
     *
     * @param values the values
     * @return the index of the first non-finite value, or -1 if every value is finite
     */
    public static int firstNonFinite(float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The number of elements of a shape, {@code prod(shape)} (1 for the empty shape).
     *
     * @param shape the dimensions
     * @return their product
     * @throws IllegalArgumentException if a dimension is negative or the product exceeds {@code Integer.MAX_VALUE}
     *     (the largest float array Java can hold)
     */
    public static long numel(long[] shape) {
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("shape[" + i + "] must be non-negative, got " + shape[i]
                        + " in " + Arrays.toString(shape));
            }
            try {
                n = Math.multiplyExact(n, shape[i]);
            } catch (ArithmeticException e) {
                n = Long.MAX_VALUE;
            }
        }
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than "
                    + Integer.MAX_VALUE + " elements");
        }
        return n;
    }

    /**
     * The dimensions.
     *
     * @return a copy of the shape
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * The dimensions as {@code int}s (every dimension fits because the element count does).
     *
     * @return a new array with the shape
     */
    public int[] intShape() {
        int[] s = new int[shape.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = (int) shape[i];
        }
        return s;
    }

    /**
     * The number of dimensions {@code r}.
     *
     * @return {@code shape.length}
     */
    public int rank() {
        return shape.length;
    }

    /**
     * The size of one dimension.
     *
     * @param axis the axis, {@code 0 <= axis < rank()}
     * @return {@code shape[axis]}
     */
    public long dim(int axis) {
        if (axis < 0 || axis >= shape.length) {
            throw new IllegalArgumentException("axis must be in [0, " + shape.length + ") for tensor '" + name
                    + "', got " + axis);
        }
        return shape[axis];
    }

    /**
     * The number of elements, {@code prod(shape)}.
     *
     * @return {@code data.length}
     */
    public int numel() {
        return data.length;
    }

    /**
     * One element by its multi-index, row-major.
     *
     * @param index one index per dimension, {@code 0 <= index[k] < shape[k]}
     * @return the element
     */
    public float get(long... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index of tensor '" + name + "' must have " + shape.length
                    + " components, got " + index.length);
        }
        long flat = 0;
        for (int k = 0; k < index.length; k++) {
            if (index[k] < 0 || index[k] >= shape[k]) {
                throw new IllegalArgumentException("index[" + k + "] of tensor '" + name + "' must be in [0, "
                        + shape[k] + "), got " + index[k]);
            }
            flat = flat * shape[k] + index[k];
        }
        return data[(int) flat];
    }

    /**
     * The same values under another name.
     *
     * @param newName the new name, not blank
     * @return a tensor sharing this tensor's data array
     */
    public NamedTensor withName(String newName) {
        return new NamedTensor(newName, shape, data);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NamedTensor t
                && name.equals(t.name)
                && Arrays.equals(shape, t.shape)
                && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * name.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "NamedTensor[" + name + " " + Arrays.toString(shape) + "]";
    }
}
