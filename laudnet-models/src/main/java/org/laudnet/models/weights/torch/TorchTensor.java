package org.laudnet.models.weights.torch;

import java.util.Arrays;
import org.laudnet.models.weights.NamedTensor;

/**
 * A tensor of a PyTorch checkpoint, materialised dense and row-major (C order) whatever the strides and storage offset
 * of the view that was saved: element {@code (i0, ..., i(r-1))} of shape {@code (d0, ..., d(r-1))} is at flat index
 * {@code ((i0 * d1 + i1) * d2 + i2) ...}. Floating-point types hold {@link #floats()} (float64 rounded to the nearest
 * float), integer and boolean types {@link #longs()}; the other array is null.
 *
 * <p>The record owns its arrays and does not copy them (weights reach tens of millions of values); callers must not
 * modify them. Immutable as long as they do; safe to share between threads.
 *
 * @param dtype the element type of the storage the tensor was saved from
 * @param shape the dimensions, each {@code >= 0}
 * @param floats the values of a floating-point tensor, or null
 * @param longs the values of an integer or boolean tensor, or null
 */
public record TorchTensor(TorchDType dtype, long[] shape, float[] floats, long[] longs) {

    /** Validates that exactly the array of the type's kind is present and matches the shape. */
    public TorchTensor {
        if (dtype == null || shape == null) {
            throw new IllegalArgumentException("dtype and shape must not be null");
        }
        shape = shape.clone();
        long n = NamedTensor.numel(shape);
        if (dtype.isFloatingPoint() ? floats == null || longs != null : longs == null || floats != null) {
            throw new IllegalArgumentException("a " + dtype + " tensor holds " + (dtype.isFloatingPoint() ? "floats"
                    : "longs") + " only");
        }
        int length = floats != null ? floats.length : longs.length;
        if (length != n) {
            throw new IllegalArgumentException("values must have prod(shape " + Arrays.toString(shape) + ") = " + n
                    + " elements, got " + length);
        }
    }

    /** Returns a copy of the dimensions. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Returns the number of elements. */
    public int numel() {
        return floats != null ? floats.length : longs.length;
    }

    /**
     * The values as floats: the floating-point values themselves (not copied), or the integers converted (exact up to
     * {@code 2^24} in magnitude).
     *
     * @return row-major values
     */
    public float[] toFloatArray() {
        if (floats != null) {
            return floats;
        }
        float[] f = new float[longs.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = longs[i];
        }
        return f;
    }

    /**
     * This tensor as a {@link NamedTensor} of floats.
     *
     * @param name the name
     * @return the tensor (sharing the float array of a floating-point tensor)
     */
    public NamedTensor toNamedTensor(String name) {
        return new NamedTensor(name, shape, toFloatArray());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TorchTensor t && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && Arrays.equals(floats, t.floats) && Arrays.equals(longs, t.longs);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(floats)
                + Arrays.hashCode(longs);
    }

    @Override
    public String toString() {
        return "TorchTensor[" + dtype + " " + Arrays.toString(shape) + "]";
    }
}
