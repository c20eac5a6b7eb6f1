/**
 * The CUDA backend of the inference engine: an implementation of the backend SPI of
 * {@link org.laudnet.core.exec} on NVIDIA GPUs. The engine itself (gate evaluation, path selection, calibration, the
 * execution paths) is laudnet-core's; this package only implements its primitives.
 *
 * <ul>
 *   <li>{@link CudaBackend} (id {@code "cuda"}): tensors are fp32 {@link org.laudnet.cuda.DeviceBuffer}s of one
 *       context; {@link CudaBackend#upload} copies a folded convolution's weight and bias to the device once per
 *       convolution object; the only spatial schedule is {@code HALO} (the fused gather + conv1 kernel).
 *   <li>{@link CudaKernels}: the primitives of one executor, each one or two launches of
 *       {@link org.laudnet.cuda.SparseKernels} on the context's stream, with buffers from a per-kernels pool of size
 *       classes and index data uploaded once per scope.
 *   <li>{@link CudaBackendProvider}: offers the backend to {@link org.laudnet.core.exec.Backends} through
 *       {@code META-INF/services/org.laudnet.core.exec.BackendProvider}; availability is the cached
 *       {@link org.laudnet.cuda.CudaAvailability} probe, so {@code DeviceKind.AUTO} falls back to the CPU with its
 *       reason. System properties {@value CudaBackendProvider#DEVICE_PROPERTY} and
 *       {@value CudaBackendProvider#PRECISION_PROPERTY} choose the device ordinal and FP32 or TF32.
 * </ul>
 *
 * <p>Thread safety: the backend is shared per model ({@link CudaBackend#upload} and {@link CudaBackend#newKernels}
 * from any thread; uploaded weights are read concurrently); kernels objects are one per executor. All executors of a
 * backend share its stream, so their GPU work is serialized.
 */
package org.laudnet.cuda.exec;
