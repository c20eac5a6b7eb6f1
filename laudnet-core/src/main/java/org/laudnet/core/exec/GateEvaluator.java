package org.laudnet.core.exec;

import org.laudnet.core.mask.MaskOps;
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
 *       and on {@code 2 gs} channels the pool reads far less), read back, keep rule; when {@code m} does not divide
 *       the input the {@code 2 gs} logit maps are read back whole and pooled adaptively on the host;
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
                int m = sm.maskSize();
                T logits = k.conv(x, xs, w.spatialMasker, null, false);
                if (xs.height() % m == 0 && xs.width() % m == 0) {
                    int pool = xs.height() / m;
                    if (pool > 1) {
                        logits = k.avgPool(logits, new Nchw(batch, outs, xs.height(), xs.width()), pool);
                    }
                    cells = sm.keep(k.exportHost(logits, batch * outs * m * m), batch);
                } else {
                    // uneven bins: the 2 gs logit maps come back whole and are pooled adaptively on the host
                    float[] full = k.exportHost(logits, batch * outs * xs.height() * xs.width());
                    cells = sm.keep(adaptivePool(full, batch * outs, xs.height(), xs.width(), m), batch);
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
                    pooledInput = k.exportHost(k.mean(x, xs), batch * xs.channels());
                }
                channels = cm.keepFromPooled(pooledInput, batch);
            }
        }
        return new Masks(plan, batch, cells, channels);
    }

    /**
     * Adaptive average pooling on the host of {@code planes} maps of {@code h x w} to {@code m x m}: bin {@code i}
     * covers rows {@code [floor(i h / m), ceil((i + 1) h / m))} ({@link MaskOps#adaptiveStart}), likewise columns.
     */
    static float[] adaptivePool(float[] maps, int planes, int h, int w, int m) {
        float[] out = new float[planes * m * m];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < m; i++) {
                int r0 = MaskOps.adaptiveStart(i, h, m);
                int r1 = MaskOps.adaptiveEnd(i, h, m);
                for (int j = 0; j < m; j++) {
                    int c0 = MaskOps.adaptiveStart(j, w, m);
                    int c1 = MaskOps.adaptiveEnd(j, w, m);
                    double sum = 0;
                    for (int r = r0; r < r1; r++) {
                        for (int c = c0; c < c1; c++) {
                            sum += maps[(p * h + r) * w + c];
                        }
                    }
                    out[(p * m + i) * m + j] = (float) (sum / ((r1 - r0) * (c1 - c0)));
                }
            }
        }
        return out;
    }
}
