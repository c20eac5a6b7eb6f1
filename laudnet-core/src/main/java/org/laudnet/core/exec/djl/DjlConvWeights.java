package org.laudnet.core.exec.djl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.plan.FoldedConv;

/**
 * A {@link FoldedConv} as DJL arrays: the weight {@code (O, I / groups, k, k)} for {@code Conv2d.conv2d}, the bias
 * {@code (O)}, and for an ungrouped 1x1 convolution the matrix {@code (O, I)} (a view of the same storage) for
 * {@code Linear.linear} on channels-last rows {@code (N, I) -> (N, O)}.
 *
 * <p>Thread safety: immutable once created. Uploaded weights ({@link DjlBackend#upload}) are shared by every executor
 * of a model and only ever read. DJL places a result in its first operand's manager; the one primitive that takes
 * them as the first operand (the 1x1 product {@code W x X} of {@link DjlKernels#conv}) moves its result to the
 * executor's scope at once (a DJL manager's resource map is concurrent, so executors of other threads may do the same
 * at the same time). Temporary weights ({@link DjlKernels#temporary}) belong
 * to one executor's scope.
 */
public final class DjlConvWeights implements ConvWeights {

    private final FoldedConv spec;
    private final Object owner;
    private final NDArray weight;
    private final NDArray bias;
    private final NDArray matrix;
    private NDArray rowMatrix;
    private final NDArray columnBias;

    private DjlConvWeights(FoldedConv spec, Object owner, NDArray weight, NDArray bias, NDArray matrix) {
        this.spec = spec;
        this.owner = owner;
        this.weight = weight;
        this.bias = bias;
        this.matrix = matrix;
        this.columnBias = bias.reshape(spec.outChannels(), 1);
    }

    /**
     * Copies a convolution's host arrays into {@code manager}.
     *
     * @param conv the convolution
     * @param owner the backend the weights belong to (kernels accept only their backend's weights)
     * @param manager the manager that owns the new arrays
     * @return the weights
     * @throws IllegalArgumentException if {@code conv} is null
     */
    static DjlConvWeights create(FoldedConv conv, Object owner, NDManager manager) {
        if (conv == null) {
            throw new IllegalArgumentException("conv must not be null");
        }
        int o = conv.outChannels();
        int k = conv.kernel();
        NDArray w = manager.create(FloatBuffer.wrap(conv.weight()),
                new Shape(o, conv.inChannels() / conv.groups(), k, k));
        NDArray b = manager.create(FloatBuffer.wrap(conv.bias()), new Shape(o));
        NDArray m = k == 1 && conv.groups() == 1 ? w.reshape(o, conv.inChannels()) : null;
        return new DjlConvWeights(conv, owner, w, b, m);
    }

    /** {@inheritDoc} */
    @Override
    public FoldedConv spec() {
        return spec;
    }

    /** Returns the backend these weights belong to. */
    Object owner() {
        return owner;
    }

    /** Returns the weight {@code (O, I / groups, k, k)}. */
    NDArray weight() {
        return weight;
    }

    /** Returns the bias {@code (O)}. */
    NDArray bias() {
        return bias;
    }

    /** Returns the bias as a column {@code (O, 1)} (a view), to add to a {@code (B, O, H W)} product. */
    NDArray columnBias() {
        return columnBias;
    }

    /**
     * Returns the matrix {@code (O, I)} of an ungrouped 1x1 convolution.
     *
     * @return the matrix
     * @throws IllegalStateException for any other convolution
     */
    NDArray matrix() {
        if (matrix == null) {
            throw new IllegalStateException("only ungrouped 1x1 convolutions have a matrix, got " + spec);
        }
        return matrix;
    }

    /**
     * Returns the im2col matrix {@code (O, k k I)} of an ungrouped convolution, columns in {@code (ky, kx, i)} order,
     * for {@code Linear.linear} on im2col rows of channels-last data; built on first use (a copy in the weights'
     * manager) and kept. Synchronized: uploaded weights are shared by the executors of a backend.
     *
     * @return the matrix
     * @throws IllegalStateException for a grouped convolution
     */
    synchronized NDArray rowMatrix() {
        if (spec.groups() != 1) {
            throw new IllegalStateException("only ungrouped convolutions have an im2col matrix, got " + spec);
        }
        if (rowMatrix == null) {
            int k = spec.kernel();
            NDArray t = weight.transpose(0, 2, 3, 1);
            rowMatrix = t.reshape(spec.outChannels(), (long) k * k * spec.inChannels());
            if (rowMatrix != t) {
                t.close();
            }
        }
        return rowMatrix;
    }

    /** Returns whether the weights' arrays are still open (the backend or the scope that owns them is not closed). */
    boolean isOpen() {
        return !weight.isReleased();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "DjlConvWeights[" + spec + "]";
    }
}
