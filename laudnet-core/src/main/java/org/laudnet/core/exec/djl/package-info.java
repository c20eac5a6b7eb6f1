/**
 * The DJL backend of the inference engine: {@link org.laudnet.core.exec.djl.DjlBackend} implements
 * {@link org.laudnet.core.exec.Backend} with {@link ai.djl.ndarray.NDArray} tensors (NCHW float32) and eager DJL
 * operations (PyTorch on the CPU in this project), {@link org.laudnet.core.exec.djl.DjlKernels} the primitives of one
 * executor.
 *
 * <p>Ownership follows DJL's managers: the backend's sub-manager holds the uploaded weights, each kernels object a
 * sub-manager of it, and each scope a sub-manager of the enclosing one. Gathers and scatters of the spatial paths are
 * row operations on contiguous channels-last tensors; index arrays that depend only on a plan are cached per kernels.
 */
package org.laudnet.core.exec.djl;
