package org.laudnet.core.exec;

import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.ChannelMasker;
import org.laudnet.core.plan.SpatialMasker;

/**
 * Evaluates a block's maskers in eval mode (method section 1); the maskers decide on the host with the rule
 * {@code keep >= skip} ({@link SpatialMasker#keep}, {@link ChannelMasker#keepFromPooled}).
 *
 * <p>A small input ({@code B C H W <=} {@link Kernels#hostPoolLimit()}) is pooled on the host
 * ({@link Kernels#poolToHost}: the backend's input read once, no primitive launched) and the maskers' layers run on
 * the pooled cells on the host: spatial {@code conv1x1(avgPool(x))} ({@link SpatialMasker#keepFromPooled}), layer and
 * MLP channel maskers on the global mean. The pooling and the 1x1 convolution commute, bias included, so the decisions
 * are those of the backend form below up to rounding. A larger input runs its maskers on the backend and reads back
 * only their few outputs:
 *
 * <ul>
 *   <li>spatial ({@code m > 1}): {@code conv1x1(avgPool_k(x))} (the 1x1 convolution commutes with the average
 *       pool, bias included: the pool reads {@code x} once and the product runs on the {@code m x m} cells only,
 *       which measured about half the time of the product on every pixel followed by the pool), read back, keep
 *       rule; when {@code m} does not divide the input the {@code 2 gs} logit maps of {@code conv1x1(x)} are read
 *       back whole and pooled adaptively on the host;
 *   <li>layer ({@code m = 1}) and MLP channel maskers: the global mean of {@code x} (computed once for both), read
 *       back, the small linear layers on the host.
 * </ul>
 *
 * The conv-linear channel masker always runs {@code mean(ReLU(conv1x1(x)))} on the backend (the ReLU does not commute
 * with the pooling), its linear layer on the host.
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
        return evaluate(k, w, x, xs, xs.size() <= k.hostPoolLimit());
    }

    /**
     * Returns the call's decisions, pooling on the host or not as told (for tests of the two forms).
     *
     * @param k the kernels
     * @param w the block's weights
     * @param x the block input
     * @param xs its shape
     * @param onHost whether to pool on the host ({@link Kernels#poolToHost}) rather than run the maskers' primitives
     * @param <T> the tensor type
     * @return the decisions
     */
    static <T> Masks evaluate(Kernels<T> k, BlockWeights w, T x, Nchw xs, boolean onHost) {
        BlockPlan plan = w.plan;
        int batch = xs.batch();
        float[] pooledInput = null;
        float[] cells = null;
        SpatialMasker sm = plan.spatialMasker();
        if (sm != null) {
            int m = sm.maskSize();
            if (m == 1) {
                pooledInput = globalMean(k, x, xs, onHost);
                cells = sm.keepFromPooled(pooledInput, batch);
            } else if (onHost) {
                cells = sm.keepFromPooled(k.poolToHost(x, xs, m), batch);
            } else {
                int outs = 2 * sm.groups();
                if (xs.height() % m == 0 && xs.width() % m == 0) {
                    // pool first: one pass over x, then the 1x1 product on the m x m cells only
                    int pool = xs.height() / m;
                    T pooled = pool > 1 ? k.avgPool(x, xs, pool) : x;
                    Nchw ps = pool > 1 ? new Nchw(batch, xs.channels(), m, m) : xs;
                    T logits = k.conv(pooled, ps, w.spatialMasker, null, false);
                    cells = sm.keep(k.exportHost(logits, batch * outs * m * m), batch);
                } else {
                    // uneven bins: the 2 gs logit maps come back whole and are pooled adaptively on the host
                    T logits = k.conv(x, xs, w.spatialMasker, null, false);
                    float[] full = k.exportHost(logits, batch * outs * xs.height() * xs.width());
                    cells = sm.keep(HostPooling.adaptive(full, batch * outs, xs.height(), xs.width(), m), batch);
                }
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
                    pooledInput = globalMean(k, x, xs, onHost);
                }
                channels = cm.keepFromPooled(pooledInput, batch);
            }
        }
        return new Masks(plan, batch, cells, channels);
    }

    /** The global mean of {@code x} {@code (B, C)} on the host: pooled there, or a backend mean read back. */
    private static <T> float[] globalMean(Kernels<T> k, T x, Nchw xs, boolean onHost) {
        return onHost ? k.poolToHost(x, xs, 1) : k.exportHost(k.mean(x, xs), xs.batch() * xs.channels());
    }
}
