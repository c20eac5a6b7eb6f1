package org.laudnet.models.weights.torch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One storage of a checkpoint: the bytes of zip entry {@code <archive>/data/<key>}, {@code numel} elements of one
 * {@link TorchDType}, in the archive's byte order. Package-private; tensors are views of storages.
 *
 * @param key the storage key of the pickle's persistent id
 * @param dtype the element type
 * @param numel the number of elements, {@code bytes.capacity() == numel * dtype.bytes()}
 * @param bytes the raw bytes, read-only
 */
record TorchStorage(String key, TorchDType dtype, long numel, ByteBuffer bytes) {

    /** Reads the element at index {@code i} as a float (floating-point types). */
    float floatAt(long i) {
        int p = Math.toIntExact(i * dtype.bytes());
        return switch (dtype) {
            case FLOAT32 -> bytes.getFloat(p);
            case FLOAT64 -> (float) bytes.getDouble(p);
            case FLOAT16 -> HalfFloats.halfToFloat(bytes.getShort(p));
            case BFLOAT16 -> Float.intBitsToFloat((bytes.getShort(p) & 0xffff) << 16);
            default -> throw new IllegalStateException(dtype + " is not a floating-point type");
        };
    }

    /** Reads the element at index {@code i} as a long (integer and boolean types). */
    long longAt(long i) {
        int p = Math.toIntExact(i * dtype.bytes());
        return switch (dtype) {
            case INT64 -> bytes.getLong(p);
            case INT32 -> bytes.getInt(p);
            case INT16 -> bytes.getShort(p);
            case INT8 -> bytes.get(p);
            case UINT8 -> bytes.get(p) & 0xff;
            case BOOL -> bytes.get(p) != 0 ? 1 : 0;
            default -> throw new IllegalStateException(dtype + " is not an integer type");
        };
    }

    /** Wraps bytes in the given order. */
    static TorchStorage of(String key, TorchDType dtype, long numel, byte[] data, ByteOrder order) {
        return new TorchStorage(key, dtype, numel, ByteBuffer.wrap(data).order(order).asReadOnlyBuffer().order(order));
    }
}
