package org.laudnet.cuda.exec;

import org.laudnet.cuda.Nchw;
import org.laudnet.cuda.PatchPlan;

/**
 * The primitive operations a {@link PlanEngine} runs a plan with: one per LAUDNet kernel, with the semantics of the
 * {@link org.laudnet.cuda.CpuKernels} method of the same name, on tensors of type {@code T} (host arrays or device
 * buffers). Persistent tensors (weights) live until {@link #close()}; workspace tensors are named by a role and may be
 * reused by the next request of the same role, so a role must not be requested again while its previous tensor is
 * still needed.
 *
 * @param <T> the tensor type
 */
interface Backend<T> extends AutoCloseable {

    /** Copies host values into a new persistent tensor. */
    T persistent(float[] host);

    /** Allocates a persistent tensor of {@code n} elements (contents undefined until written). */
    T persistent(long n);

    /** Returns the workspace tensor of a role with room for at least {@code n} floats (contents undefined). */
    T workspace(String role, long n);

    /** Returns the workspace tensor of a role holding {@code host} in its first elements. */
    T workspaceInts(String role, int[] host);

    /** Returns the first {@code n} elements of a tensor (waits for queued work). */
    float[] read(T t, int n);

    /** Dense convolution with optional bias, residual and ReLU (see {@code CpuKernels.conv2d}). */
    void conv2d(T x, Nchw xs, T w, T bias, int cout, int k, int stride, int pad, int groups, T residual, boolean relu,
            T y);

    /** Patch gather with halo + conv1 1x1 + bias + ReLU. */
    void gatherConv1x1Relu(T x, Nchw xs, PatchPlan plan, T patches, T w1, T b1, int c1, T out);

    /** conv2 3x3 on gathered windows + bias + ReLU. */
    void patchConv3x3Relu(T in, PatchPlan plan, int c1, int groups, T w2, T b2, int c2, T out);

    /** conv3 1x1 + bias + scatter-add into the identity + ReLU. */
    void patchConv1x1ScatterRelu(T in, PatchPlan plan, T patches, int c2, T w3, T b3, int cout, T identity, T out);

    /** {@code out = ReLU(identity)} where the mask cell is 0 ({@code mask} as ints, {@code maskHost} its values). */
    void fillInactiveRelu(T identity, Nchw shape, T mask, int[] maskHost, int cellSize, int gridSize, T out);

    /** Channel slice {@code dst[o, i, r] = w[outIdx[o], inIdx[i], r]} ({@code inIdx} null = all). */
    void weightGather(T w, int cout, int cin, int kk, T outIdx, int[] outHost, T inIdx, int[] inHost, T dst);

    /** {@code dst[i] = src[idx[i]]} per sample. */
    void gatherSamples(T src, int batch, T idx, int[] idxHost, int perSample, T dst);

    /** {@code out[idx[i]] = ReLU(identity[idx[i]] + branch[i])} per sample. */
    void scatterSamplesResidualRelu(T branch, T idx, int[] idxHost, int perSample, T identity, int batch, T out);

    /** Max pooling with {@code -inf} padding; returns the output shape. */
    Nchw maxPool2d(T x, Nchw xs, int k, int stride, int pad, T y);

    /** Mean over each row of {@code (rows, hw)}. */
    void globalAvgPool(T x, int rows, int hw, T y);

    /** Releases every tensor of this backend. */
    @Override
    void close();
}
