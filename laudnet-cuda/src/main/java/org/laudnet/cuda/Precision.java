package org.laudnet.cuda;

/**
 * Arithmetic of the implicit-GEMM convolution kernels.
 *
 * <ul>
 *   <li>{@link #FP32}: tiled shared-memory fp32 GEMM, exact fp32 products, every GPU.
 *   <li>{@link #TF32}: tensor-core WMMA with TF32 inputs (10-bit mantissa) and fp32 accumulation on compute
 *       capability 8.0 and newer; relative error about {@code 1e-3}. On older GPUs the TF32 entry points run the fp32
 *       path, so results equal {@link #FP32}.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public enum Precision {
    /** Full fp32 multiply-accumulate. */
    FP32,
    /** TF32 tensor-core inputs with fp32 accumulation. */
    TF32
}
