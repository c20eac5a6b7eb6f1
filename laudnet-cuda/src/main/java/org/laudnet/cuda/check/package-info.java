/**
 * The GPU check: a self-contained command-line verification of the CUDA backend that needs neither a deep-learning
 * engine native library nor trained weights ({@link GpuCheck}, run by the project's GPU-check script).
 *
 * <p>Parts, in report order: every CUDA primitive against the pure-Java reference on random, full and empty masks, in
 * FP32 and TF32 ({@link KernelCheck}, with freshly allocated buffers poisoned with NaN); the plan file written, read
 * back and rewritten byte-identically; the seeded ResNet-50 and RegNetY-shaped networks ({@link Networks},
 * {@link SeededPlans}) in every gate mode through {@link org.laudnet.core.exec.PlanRuntime} on CUDA against the
 * reference backend; the static ResNet-50 exported as {@code .npy} files ({@link Npy}) for the PyTorch peer script;
 * and CUDA latency at imposed densities. Without a usable GPU (or with {@code --dry-run}) the GPU parts are reported as
 * not run, with the reason. The verdict and the Markdown report are written at the end.
 *
 * <p>A tool: one check per JVM, not thread-safe.
 */
package org.laudnet.cuda.check;
