package org.laudnet.models.weights.torch;

import java.util.Arrays;
import java.util.Optional;

/**
 * The element types of PyTorch storages this reader accepts, each with the storage class name a checkpoint's pickle
 * uses for it ({@code torch.FloatStorage} ...) and its size in bytes. Floating-point types are read as {@code float}
 * (float64 rounded to nearest; float16 and bfloat16 exactly), integer and boolean types as {@code long}. Immutable and
 * thread-safe.
 */
public enum TorchDType {
    /** 32-bit IEEE float. */
    FLOAT32("FloatStorage", 4, true),
    /** 64-bit IEEE float. */
    FLOAT64("DoubleStorage", 8, true),
    /** 16-bit IEEE half precision. */
    FLOAT16("HalfStorage", 2, true),
    /** bfloat16 (the upper half of a float32). */
    BFLOAT16("BFloat16Storage", 2, true),
    /** signed 64-bit integer (e.g. BatchNorm's {@code num_batches_tracked}). */
    INT64("LongStorage", 8, false),
    /** signed 32-bit integer. */
    INT32("IntStorage", 4, false),
    /** signed 16-bit integer. */
    INT16("ShortStorage", 2, false),
    /** signed 8-bit integer. */
    INT8("CharStorage", 1, false),
    /** unsigned 8-bit integer. */
    UINT8("ByteStorage", 1, false),
    /** boolean, one byte (0 or 1). */
    BOOL("BoolStorage", 1, false);

    private final String storageClass;
    private final int bytes;
    private final boolean floating;

    TorchDType(String storageClass, int bytes, boolean floating) {
        this.storageClass = storageClass;
        this.bytes = bytes;
        this.floating = floating;
    }

    /** Returns the storage class name in module {@code torch}, e.g. {@code FloatStorage}. */
    public String storageClass() {
        return storageClass;
    }

    /** Returns the size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** Returns whether values are floating point (read as {@code float}), not integers (read as {@code long}). */
    public boolean isFloatingPoint() {
        return floating;
    }

    /**
     * Looks a storage class name up.
     *
     * @param storageClass the name in module {@code torch}, e.g. {@code HalfStorage}
     * @return the type, or empty for any other name
     */
    public static Optional<TorchDType> ofStorageClass(String storageClass) {
        return Arrays.stream(values()).filter(t -> t.storageClass.equals(storageClass)).findFirst();
    }
}
