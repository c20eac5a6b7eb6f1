package org.laudnet.core.exec;

import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.plan.BlockPlan;

/**
 * What one execution of one block works with: the executor's kernels, the block's weights, its input and the call's
 * gate decisions. The identity ({@code x}, or the projection of {@code x}) is computed at most once per call.
 *
 * @param <T> the backend's tensor type
 */
final class BlockCall<T> {

    final Kernels<T> k;
    final BlockWeights w;
    final BlockPlan plan;
    final T x;
    final Nchw xs;
    final Nchw outShape;
    final Masks masks;
    /** Whether {@code x} is a non-negative tensor the caller hands over: the output may be {@code x} itself. */
    final boolean reuse;
    /** How {@link ExecutionPath#CHANNEL_UNION} clusters the samples. */
    final ChannelClusters.Costs clusterCosts;
    private final PhaseTimer timer;
    private T identity;

    BlockCall(Kernels<T> k, BlockWeights w, T x, Nchw xs, Masks masks, boolean reuse, PhaseTimer timer) {
        this(k, w, x, xs, masks, reuse, timer, ChannelClusters.Costs.ONE_UNION);
    }

    BlockCall(Kernels<T> k, BlockWeights w, T x, Nchw xs, Masks masks, boolean reuse, PhaseTimer timer,
            ChannelClusters.Costs clusterCosts) {
        this.k = k;
        this.w = w;
        this.plan = w.plan;
        this.x = x;
        this.xs = xs;
        BlockGeometry g = plan.geometry();
        this.outShape = new Nchw(xs.batch(), g.outChannels(), g.outHeight(), g.outWidth());
        this.masks = masks;
        this.reuse = reuse && plan.downsample() == null;
        this.timer = timer;
        this.clusterCosts = clusterCosts;
    }

    /** Returns the identity path: {@code x}, or its 1x1 projection (computed once). */
    T identity() {
        if (identity == null) {
            identity = w.downsample == null ? x : k.conv(x, xs, w.downsample, null, false);
            lap("identity");
        }
        return identity;
    }

    /**
     * Returns whether the identity's tensor may be overwritten: the projection this call computes, or an input the
     * caller handed over.
     */
    boolean identityWritable() {
        return reuse || w.downsample != null;
    }

    /** Returns {@code ReLU(identity)}: {@code x} itself when the caller hands a non-negative input over. */
    T reluIdentity() {
        return reuse ? x : k.relu(identity(), outShape);
    }

    void lap(String phase) {
        if (timer != null) {
            timer.lap(phase);
        }
    }
}
