/**
 * The CUDA runtime of laudnet-cuda: the LAUDNet kernels ({@code laudnet_kernels.cu}) and the JCuda driver-API classes
 * that load and launch them. The backend built on it is {@link org.laudnet.cuda.exec}.
 *
 * <ul>
 *   <li>{@link CudaAvailability}: a cached probe ({@code cuInit}, device count, driver version against the oldest
 *       driver the shipped PTX needs) with a human-readable reason; never throws, also on machines without an NVIDIA
 *       driver. {@link ComputeCapability} of a device.
 *   <li>{@link CudaContext}: a device context with the one non-blocking stream every copy and kernel of it is queued
 *       on; {@link DeviceBuffer}: an allocation of 4-byte elements (fp32 or int32) in it; {@link CudaTimer}: GPU time
 *       between two points of the stream.
 *   <li>{@link KernelModule}: the kernels loaded into a context from the shipped PTX ({@link PtxCatalog}, {@link
 *       PtxTarget}: built by CUDA 11.8, PTX ISA 7.8, for the {@code compute_70} baseline and {@code sm_75, sm_80,
 *       sm_86, sm_89, sm_90}, with a manifest of the toolkit release and the SHA-256 of the source and of each PTX
 *       file): the device's architecture or the highest below it, then the baseline; compiled at run time by NVRTC
 *       from the shipped source only when the driver rejects all of them.
 *   <li>{@link Kernel} (every entry point: implicit-GEMM convolutions {@code C[M][N] = A[M][K] B[K][N]} in 64 x 64
 *       tiles, element-wise and reduction kernels), {@link LaunchConfig} (grid and block, computed on the host) and
 *       {@link SparseKernels}: typed launchers that check buffer sizes and queue the kernel, with the semantics of the
 *       matching {@code org.laudnet.core.exec.reference.ReferenceOps} operation. {@link Precision}: FP32, or TF32 tensor
 *       cores on compute capability 8.0 and newer.
 *   <li>{@link CudaDriverException}: a driver or NVRTC error, naming the call and the result code.
 * </ul>
 *
 * <p>Thread safety: a context's stream orders all work queued on it, from any thread; modules and launchers may be
 * used from several threads; a buffer or context must not be closed while another thread uses it. Timers are per
 * thread.
 */
package org.laudnet.cuda;
