package org.laudnet.core.exec;

import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.ChannelMasker;
import org.laudnet.core.plan.SpatialMasker;

/**
 * Evaluates a block's maskers in eval mode (method section 1): the pooling and the maskers' convolutions run on the
 * backend, the few logits (or pooled features) are read back once, and the maskers decide on the host with the rule
 * {@code keep >= skip} ({@link SpatialMasker#keep}, {@link ChannelMasker#keepFromPooled}).
 *
 * <ul>
 *   <li>spatial ({@code m > 1}): {@code avgPool_k(conv1x1(x))} (the 1x1 convolution commutes with the average pool,
 *       and on {@code 2 gs} channels the pool reads far less), read back, keep rule;
 *   <li>layer ({@code m = 1}) and MLP channel maskers: the global mean of {@code x} (computed once for both), read
 *       back, the small linear layers on the host;
 *   <li>conv-linear channel masker: {@code mean(ReLU(conv1x1(x)))} on the backend, its linear layer on the host.
 * </ul>
 */
final class GateEvaluator {

    private GateEvaluator() {}

    /**
     * Returns the call's decisions.
     *
     * @param k the kernels
     * @param w the block's weights
     * @param x the block input
     * @param xs its shape
     * @param <T> the tensor type
     * @return the decisions (no spatial / channel part when the block has no such gate)
     */
    static <T> Masks evaluate(Kernels<T> k, BlockWeights w, T x, Nchw xs) {
        BlockPlan plan = w.plan;
        int batch = xs.batch();
        float[] pooledInput = null;
        float[] cells = null;
        SpatialMasker sm = plan.spatialMasker();
        if (sm != null) {
            if (sm.maskSize() == 1) {
                pooledInput = k.exportHost(k.mean(x, xs), batch * xs.channels());
                cells = sm.keepFromPooled(pooledInput, batch);
            } else {
                int outs = 2 * sm.groups();
                T logits = k.conv(x, xs, w.spatialMasker, null, false);
                int pool = xs.height() / sm.maskSize();
                if (pool > 1) {
                    logits = k.avgPool(logits, new Nchw(batch, outs, xs.height(), xs.width()), pool);
                }
                cells = sm.keep(k.exportHost(logits, batch * outs * sm.maskSize() * sm.maskSize()), batch);
            }
        }
        float[] channels = null;
        ChannelMasker cm = plan.channelMasker();
        if (cm != null) {
            if (w.channelMaskerConv != null) {
                int hidden = cm.first().outChannels();
                T f = k.conv(x, xs, w.channelMaskerConv, null, true);
                float[] pooled = k.exportHost(k.mean(f, new Nchw(batch, hidden, xs.height(), xs.width())),
                        batch * hidden);
                channels = cm.keepFromPooled(pooled, batch);
            } else {
                if (pooledInput == null) {
                    pooledInput = k.exportHost(k.mean(x, xs), batch * xs.channels());
                }
                channels = cm.keepFromPooled(pooledInput, batch);
            }
        }
        return new Masks(plan, batch, cells, channels);
    }
}
