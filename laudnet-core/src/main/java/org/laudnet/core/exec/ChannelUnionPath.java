package org.laudnet.core.exec;

import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import org.laudnet.core.block.ChannelMaskPlacement;

/**
 * {@link ExecutionPath#CHANNEL_UNION}: the batch runs in few sub-batches ({@link ChannelClusters}), each once with the
 * weight slices of the union {@code U} of its samples' open channel groups (one product per convolution instead of one
 * per channel pattern), and each sample then closes the groups of {@code U} that its own pattern closes by a
 * per-sample channel multiplication, placed where the masked-dense block applies its mask, so the result equals it:
 *
 * <ul>
 *   <li>{@link ChannelMaskPlacement#AFTER_ACTIVATION}: conv1's and conv2's activated outputs times the sample's 0/1
 *       mask on {@code U}'s channels (a closed channel is exactly 0, as in the masked-dense block; the
 *       squeeze-excitation, sliced to {@code U}, pools zeros there and its factors multiply zeros);
 *   <li>{@link ChannelMaskPlacement#BEFORE_NORM}: the branch of {@link BranchWeights#unionBeforeNorm}, whose group
 *       indicator channels carry the constants {@code ReLU(BN(0))} of the sample's closed groups of {@code U}.
 * </ul>
 *
 * A cluster whose samples all have the union as their pattern runs without the multiplication (with the pattern's
 * own slices, as {@link ExecutionPath#CHANNEL}); a cluster that covers the whole batch runs with the residual sum and
 * ReLU fused into its last convolution. Stateless and thread-safe (each call works on its own kernels).
 */
final class ChannelUnionPath implements BlockPath {

    static final ChannelUnionPath INSTANCE = new ChannelUnionPath();

    private ChannelUnionPath() {}

    @Override
    public ExecutionPath path() {
        return ExecutionPath.CHANNEL_UNION;
    }

    @Override
    public <T> T execute(BlockCall<T> c) {
        return execute(c, c.clusterCosts);
    }

    /**
     * Runs the block with given merge costs ({@link ChannelClusters.Costs#ONE_UNION}: the whole batch once, as the
     * masked-dense path does under the reference's placement, whose closed channels are constants rather than
     * products).
     *
     * @param c the call
     * @param costs how the samples are clustered
     * @param <T> the tensor type
     * @return the block output
     */
    static <T> T execute(BlockCall<T> c, ChannelClusters.Costs costs) {
        List<ChannelClusters.Cluster> clusters = c.masks.clusters(costs);
        c.lap("index");
        if (clusters.size() == 1) {
            return run(c, clusters.get(0), c.x, c.xs, c.identity(), true);
        }
        T identity = c.identity();
        T y = c.reluIdentity();
        for (ChannelClusters.Cluster cl : clusters) {
            int n = cl.samples().length;
            T xs = c.k.gatherSamples(c.x, c.xs, cl.samples());
            c.lap("gather");
            T z = run(c, cl, xs, c.xs.withBatch(n), null, false);
            c.k.scatterSamplesResidualRelu(z, c.outShape.withBatch(n), cl.samples(), identity, y);
            c.lap("scatter");
        }
        return y;
    }

    private static <T> T run(BlockCall<T> c, ChannelClusters.Cluster cl, T x, Nchw xs, T residual, boolean relu) {
        if (cl.uniform()) {
            return Branch.run(c, x, xs, c.w.branch(cl.union(), c.k), null, null, residual, relu);
        }
        Kernels<T> k = c.k;
        int n = cl.samples().length;
        BranchWeights bw = c.w.union(cl.union(), k);
        if (c.plan.gate().channelMaskPlacement() == ChannelMaskPlacement.BEFORE_NORM) {
            int inner2 = bw.c2().spec().outChannels();
            T m1 = k.importHost(factors(c.masks, cl, true, bw.inner()), new Nchw(n, bw.inner(), 1, 1));
            T m2 = bw.c3() == null ? null
                    : k.importHost(factors(c.masks, cl, false, inner2), new Nchw(n, inner2, 1, 1));
            c.lap("index");
            return Branch.run(c, x, xs, bw, m1, m2, null, residual, relu, false);
        }
        T m = k.importHost(factors(c.masks, cl, false, bw.inner()), new Nchw(n, bw.inner(), 1, 1));
        c.lap("index");
        return Branch.run(c, x, xs, bw, m, null, residual, relu);
    }

    /**
     * The per-sample factors of a cluster's activations, {@code (n, width)} row-major: 1 on the channels of the
     * sample's open groups of the union, 0 on those of its closed ones; with {@code width} beyond the union's channels
     * (BEFORE_NORM), then the constant channel's 1 (conv1 only) and one factor per union group, 1 where the sample
     * closes the group.
     *
     * @param mk the decisions
     * @param cl the cluster
     * @param constant whether the activation has the constant channel after the union's channels (conv1, BEFORE_NORM)
     * @param width the activation's channels
     */
    static float[] factors(Masks mk, ChannelClusters.Cluster cl, boolean constant, int width) {
        int groups = mk.plan.channelGroups();
        int per = mk.plan.width() / groups;
        BitSet union = cl.union();
        int u = union.cardinality();
        int channels = u * per;
        int[] samples = cl.samples();
        float[] v = new float[samples.length * width];
        for (int i = 0; i < samples.length; i++) {
            int row = i * width;
            int j = 0;
            int extra = channels + (constant ? 1 : 0);
            if (constant) {
                v[row + channels] = 1f;
            }
            for (int q = union.nextSetBit(0); q >= 0; q = union.nextSetBit(q + 1), j++) {
                boolean open = mk.channels[samples[i] * groups + q] != 0f;
                if (open) {
                    Arrays.fill(v, row + j * per, row + (j + 1) * per, 1f);
                } else if (width > channels) {
                    v[row + extra + j] = 1f;
                }
            }
        }
        return v;
    }
}
