package org.laudnet.models.weights;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The element types of the safetensors format that this package reads, with their conversion to {@code float}. All
 * values are little-endian in the file. Integer types are read so that files exported from PyTorch, which carry
 * {@code int64} counters such as BatchNorm's {@code num_batches_tracked}, can be opened.
 *
 * <ul>
 *   <li>{@code F32}: IEEE 754 binary32, read and written as is.</li>
 *   <li>{@code F16}: IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits), widened exactly, subnormals,
 *       infinities and NaN included.</li>
 *   <li>{@code BF16}: bfloat16, the upper 16 bits of a binary32, widened exactly by {@code bits << 16}.</li>
 *   <li>{@code F64}: IEEE 754 binary64, narrowed to the nearest float.</li>
 *   <li>{@code I64}, {@code I32}: signed integers, converted to the nearest float.</li>
 * </ul>
 */
public enum SafetensorsDType {
    /** 32-bit float. */
    F32(4),
    /** 16-bit IEEE half float. */
    F16(2),
    /** 16-bit brain float. */
    BF16(2),
    /** 64-bit float. */
    F64(8),
    /** 64-bit signed integer. */
    I64(8),
    /** 32-bit signed integer. */
    I32(4);

    private final int byteSize;

    SafetensorsDType(int byteSize) {
        this.byteSize = byteSize;
    }

    /**
     * The size of one element in bytes.
     *
     * @return 2, 4 or 8
     */
    public int byteSize() {
        return byteSize;
    }

    /**
     * Looks a dtype up by its safetensors name ({@code "F32"}, {@code "F16"}, {@code "BF16"}, {@code "F64"},
     * {@code "I64"}, {@code "I32"}).
     *
     * @param name the name as written in a safetensors header
     * @return the dtype, or empty if it is not one this package reads
     */
    public static Optional<SafetensorsDType> fromName(String name) {
        for (SafetensorsDType t : values()) {
            if (t.name().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /**
     * Reads one element at the buffer's position (advancing it) and converts it to float.
     *
     * @param buf a little-endian buffer with at least {@link #byteSize()} bytes remaining
     * @return the value as a float
     */
    float read(ByteBuffer buf) {
        switch (this) {
            case F32:
                return buf.getFloat();
            case F16:
                return halfToFloat(buf.getShort());
            case BF16:
                return Float.intBitsToFloat((buf.getShort() & 0xffff) << 16);
            case F64:
                return (float) buf.getDouble();
            case I64:
                return (float) buf.getLong();
            case I32:
                return (float) buf.getInt();
            default:
                throw new IllegalStateException("unhandled dtype " + this);
        }
    }

    /**
     * Widens an IEEE 754 binary16 value to binary32 exactly.
     *
     * <p>Normal: {@code (-1)^s * 2^(e-15) * (1 + m/1024)}; subnormal ({@code e = 0}): {@code (-1)^s * 2^-14 * m/1024};
     * {@code e = 31}: infinity ({@code m = 0}) or NaN.
     *
     * @param bits the 16 bits of the half float
     * @return the same value as a float
     */
    public static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h >>> 15) << 31;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }
}
