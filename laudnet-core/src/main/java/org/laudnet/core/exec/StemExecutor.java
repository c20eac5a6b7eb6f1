package org.laudnet.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import org.laudnet.core.block.ResidualBlockLayers;
import org.laudnet.core.util.Checks;

/**
 * Eval-mode executor of a network stem: the stem convolution with its BatchNorm folded in ({@link FoldedConv}), a ReLU
 * and, optionally, a 3x3 stride-2 max pool.
 *
 * <pre>
 *   x (B, Cin, H, W) -> conv k x k, stride s, padding k/2, BN folded -> ReLU [-> max pool 3x3 / 2, padding p]
 *                    -> (B, C, H', W')
 * </pre>
 *
 * The output equals the stem of the network in eval mode up to float rounding, in one engine call fewer (and without
 * the BatchNorm's pass over the activations). The folded weights belong to the executor's own manager, released by
 * {@link #close()}. Not thread-safe.
 */
public final class StemExecutor implements AutoCloseable {

    private final NDManager manager;
    private final FoldedConv conv;
    private final int maxPoolPadding;
    private boolean closed;

    private StemExecutor(ResidualBlockLayers.ConvBn stem, int stride, int maxPoolPadding, ParameterStore ps,
            NDManager parent) {
        this.manager = parent.newSubManager();
        try {
            this.conv = FoldedConv.fold(stem.conv(), stem.bn(), ps, manager, stride, 1);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        this.maxPoolPadding = maxPoolPadding;
    }

    /**
     * Folds a stem without max pool.
     *
     * @param stem the initialised stem convolution (padding {@code k / 2}) and its BatchNorm
     * @param stride the convolution's stride, positive
     * @param ps parameter store used to evaluate the BatchNorm
     * @param manager the parent manager of the folded weights
     * @return the executor
     * @throws IllegalArgumentException if an argument is null or the stride is not positive
     */
    public static StemExecutor of(ResidualBlockLayers.ConvBn stem, int stride, ParameterStore ps,
            NDManager manager) {
        return create(stem, stride, -1, ps, manager);
    }

    /**
     * Folds a stem that ends with a 3x3 stride-2 max pool.
     *
     * @param stem the initialised stem convolution (padding {@code k / 2}) and its BatchNorm
     * @param stride the convolution's stride, positive
     * @param maxPoolPadding the max pool's padding, 0 or 1
     * @param ps parameter store used to evaluate the BatchNorm
     * @param manager the parent manager of the folded weights
     * @return the executor
     * @throws IllegalArgumentException if an argument is null or out of range
     */
    public static StemExecutor withMaxPool(ResidualBlockLayers.ConvBn stem, int stride, int maxPoolPadding,
            ParameterStore ps, NDManager manager) {
        if (maxPoolPadding < 0 || maxPoolPadding > 1) {
            throw new IllegalArgumentException("maxPoolPadding must be 0 or 1, got " + maxPoolPadding);
        }
        return create(stem, stride, maxPoolPadding, ps, manager);
    }

    private static StemExecutor create(ResidualBlockLayers.ConvBn stem, int stride, int maxPoolPadding,
            ParameterStore ps, NDManager manager) {
        if (stem == null || ps == null || manager == null) {
            throw new IllegalArgumentException("stem, parameter store and manager must not be null");
        }
        Checks.positive("stride", stride);
        return new StemExecutor(stem, stride, maxPoolPadding, ps, manager);
    }

    /**
     * Runs the stem.
     *
     * @param x images {@code (B, Cin, H, W)}
     * @return the first block's input, attached to {@code x}'s manager
     * @throws IllegalStateException if the executor is closed
     */
    public NDArray run(NDArray x) {
        if (closed) {
            throw new IllegalStateException("the stem executor is closed");
        }
        NDArray h = Activation.relu(conv.conv(x));
        if (maxPoolPadding >= 0) {
            h = Pool.maxPool2d(h, new Shape(3, 3), new Shape(2, 2), new Shape(maxPoolPadding, maxPoolPadding), false);
        }
        return h;
    }

    /** Releases the folded weights. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            manager.close();
        }
    }
}
