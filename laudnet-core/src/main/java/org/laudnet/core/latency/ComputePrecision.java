package org.laudnet.core.latency;

/**
 * Arithmetic used for the compute term of the analytical model, and the storage width of activations and weights.
 *
 * <ul>
 *   <li>{@link #FP32}: fp32 on the CUDA cores, 4-byte elements. The reference semantics.
 *   <li>{@link #TF32}: tensor cores in TF32 mode, operands stored as fp32 (4 bytes); mma fragment {@code m16 n8 k8}.
 *   <li>{@link #FP16}: tensor cores on fp16 operands with fp32 accumulation, 2-byte elements; fragment {@code m16 n8
 *       k16}.
 * </ul>
 *
 * A part without the corresponding tensor throughput ({@link HardwareSpec#tf32TensorFlops()} or {@link
 * HardwareSpec#fp16TensorFlops()} equal to 0) falls back to the fp32 CUDA-core compute term; the storage width of
 * {@link #FP16} still applies to its memory traffic.
 */
public enum ComputePrecision {
    /** fp32 CUDA cores (reference). */
    FP32(4, 0),
    /** TF32 tensor cores, fp32 storage. */
    TF32(4, 8),
    /** FP16 tensor cores, fp16 storage. */
    FP16(2, 16);

    private final int bytesPerElement;
    private final int mmaK;

    ComputePrecision(int bytesPerElement, int mmaK) {
        this.bytesPerElement = bytesPerElement;
        this.mmaK = mmaK;
    }

    /** Returns the storage width of one element in bytes. */
    public int bytesPerElement() {
        return bytesPerElement;
    }

    /** Returns the reduction depth {@code k} of one tensor-core mma fragment (0 for {@link #FP32}). */
    public int mmaK() {
        return mmaK;
    }

    /**
     * Returns the dense tensor throughput of the part for this precision in FLOP/s, 0 for {@link #FP32} or when the
     * part has no such tensor units.
     *
     * @param hw the part
     * @return FLOP/s, or 0
     */
    public double tensorFlops(HardwareSpec hw) {
        switch (this) {
            case TF32:
                return hw.tf32TensorFlops();
            case FP16:
                return hw.fp16TensorFlops();
            default:
                return 0;
        }
    }
}
