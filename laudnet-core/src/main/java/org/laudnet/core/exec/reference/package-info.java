/**
 * The pure-Java reference backend: {@link org.laudnet.core.exec.reference.ReferenceBackend} (backend id
 * {@code "java"}) implements every primitive of {@link org.laudnet.core.exec.Kernels} with
 * {@link org.laudnet.core.exec.reference.ReferenceOps}, direct loops over {@code float[]} NCHW tensors with
 * {@code double} accumulation.
 *
 * <p>It is the reference the fast backends (DJL/PyTorch on the CPU, CUDA) are checked against, and runs every execution
 * path where no other backend is available. It is written for clarity and exact argument checking, not tuned for
 * speed: single-threaded, no blocking, no vectorisation.
 */
package org.laudnet.core.exec.reference;
