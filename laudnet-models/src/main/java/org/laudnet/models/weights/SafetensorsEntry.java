package org.laudnet.models.weights;

import java.util.Arrays;

/**
 * One tensor as described by a safetensors header: its element type, shape and the byte range
 * {@code [begin, end)} it occupies in the data section (which starts right after the header, at file offset
 * {@code 8 + headerLength}). A valid entry satisfies {@code end - begin == prod(shape) * dtype.byteSize()}.
 *
 * @param name the tensor name
 * @param dtype the element type
 * @param shape the dimensions (copied)
 * @param begin first byte of the tensor, relative to the data section
 * @param end one past the last byte, relative to the data section
 */
public record SafetensorsEntry(String name, SafetensorsDType dtype, long[] shape, long begin, long end) {

    /** Copies the shape and checks that the fields are present. */
    public SafetensorsEntry {
        if (name == null || dtype == null || shape == null) {
            throw new IllegalArgumentException("name, dtype and shape must not be null, got name=" + name
                    + ", dtype=" + dtype + ", shape=" + Arrays.toString(shape));
        }
        shape = shape.clone();
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
     * The number of bytes of the tensor's data.
     *
     * @return {@code end - begin}
     */
    public long byteLength() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SafetensorsEntry e
                && name.equals(e.name)
                && dtype == e.dtype
                && Arrays.equals(shape, e.shape)
                && begin == e.begin
                && end == e.end;
    }

    @Override
    public int hashCode() {
        return ((name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape)) * 31 + Long.hashCode(begin);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
}
