package org.laudnet.bench.fuzz;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * What the fuzzer knows about the structure of one valid seed file: the offsets of its structural boundaries, its
 * numeric fields (lengths, counts, dimensions, version), its magic bytes, the regions holding weight values, and how to
 * recompute its checksums after a mutation ("resealing"), so that mutations can reach the code behind the checksum.
 * Immutable and thread-safe; built with {@link #builder()}.
 *
 * @param boundaries structural boundaries (section and record starts and ends)
 * @param fields numeric fields
 * @param magic the magic bytes' range, or null if the format has none
 * @param values regions of floating-point weight values
 * @param sealer recomputes the checksums of a mutated copy (identity for formats without one)
 * @param checksummed whether the format has a checksum (and {@link #sealer} is not the identity)
 */
public record FileLayout(List<Boundary> boundaries, List<Field> fields, Range magic, List<ValueRegion> values,
        UnaryOperator<byte[]> sealer, boolean checksummed) {

    /** Copies the lists. */
    public FileLayout {
        boundaries = List.copyOf(boundaries);
        fields = List.copyOf(fields);
        values = List.copyOf(values);
        if (sealer == null) {
            throw new IllegalArgumentException("sealer must not be null");
        }
    }

    /**
     * A structural boundary.
     *
     * @param offset the byte offset (a file cut here ends exactly before it)
     * @param label what begins or ends there
     */
    public record Boundary(long offset, String label) {}

    /**
     * A byte range.
     *
     * @param offset the first byte
     * @param length the number of bytes
     */
    public record Range(long offset, int length) {}

    /** What a numeric field means, which decides the values the fuzzer writes into it. */
    public enum FieldRole {
        /** A byte length. */
        LENGTH,
        /** A number of items. */
        COUNT,
        /** A size of one dimension. */
        DIMENSION,
        /** The format version. */
        VERSION
    }

    /**
     * A numeric field.
     *
     * @param offset the byte offset
     * @param width 1, 2, 4 or 8 bytes
     * @param order the byte order
     * @param role what the field means
     * @param label its name, for case descriptions
     */
    public record Field(long offset, int width, ByteOrder order, FieldRole role, String label) {

        /** Checks the width. */
        public Field {
            if (width != 1 && width != 2 && width != 4 && width != 8) {
                throw new IllegalArgumentException("width must be 1, 2, 4 or 8, got " + width);
            }
        }
    }

    /**
     * A run of floating-point weight values.
     *
     * @param offset the first value's offset
     * @param count the number of values
     * @param width 4 (float32) or 8 (float64)
     * @param order the byte order
     * @param label the tensor or array, for case descriptions
     */
    public record ValueRegion(long offset, long count, int width, ByteOrder order, String label) {}

    /**
     * Starts a layout.
     *
     * @return an empty builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Recomputes the checksums of a mutated copy.
     *
     * @param bytes the mutated bytes
     * @return the bytes with valid checksums (possibly the same array)
     */
    public byte[] seal(byte[] bytes) {
        return sealer.apply(bytes);
    }

    /** Collects a layout. Not thread-safe. */
    public static final class Builder {
        private final List<Boundary> boundaries = new ArrayList<>();
        private final List<Field> fields = new ArrayList<>();
        private final List<ValueRegion> values = new ArrayList<>();
        private Range magic;
        private UnaryOperator<byte[]> sealer = UnaryOperator.identity();
        private boolean checksummed;

        private Builder() {}

        /**
         * Adds a boundary.
         *
         * @param offset its offset
         * @param label what begins or ends there
         * @return this builder
         */
        public Builder boundary(long offset, String label) {
            boundaries.add(new Boundary(offset, label));
            return this;
        }

        /**
         * Adds a numeric field.
         *
         * @param offset its offset
         * @param width its width in bytes
         * @param order its byte order
         * @param role what it means
         * @param label its name
         * @return this builder
         */
        public Builder field(long offset, int width, ByteOrder order, FieldRole role, String label) {
            fields.add(new Field(offset, width, order, role, label));
            return this;
        }

        /**
         * Sets the magic bytes' range.
         *
         * @param offset the first byte
         * @param length the number of bytes
         * @return this builder
         */
        public Builder magic(long offset, int length) {
            magic = new Range(offset, length);
            return this;
        }

        /**
         * Adds a run of weight values.
         *
         * @param offset the first value's offset
         * @param count the number of values
         * @param width 4 or 8
         * @param order the byte order
         * @param label the tensor
         * @return this builder
         */
        public Builder values(long offset, long count, int width, ByteOrder order, String label) {
            if (count > 0) {
                values.add(new ValueRegion(offset, count, width, order, label));
            }
            return this;
        }

        /**
         * Sets how checksums are recomputed (and marks the format as checksummed).
         *
         * @param sealer the function
         * @return this builder
         */
        public Builder sealer(UnaryOperator<byte[]> sealer) {
            this.sealer = sealer;
            this.checksummed = true;
            return this;
        }

        /**
         * Builds the layout.
         *
         * @return the layout
         */
        public FileLayout build() {
            return new FileLayout(boundaries, fields, magic, values, sealer, checksummed);
        }
    }
}
