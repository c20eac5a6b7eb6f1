package org.laudnet.core.exec;

import java.util.List;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.plan.BlockPlan;

/**
 * The work features of a sparse path for its measured {@link LinearCostModel}: with a channel gate first the number of
 * channel patterns (each runs as its own sub-batch), then the MACs of the convolutions the path runs, summed over the
 * batch and split into the terms whose counts vary independently. The dense path has no features (its time is
 * measured once per batch size).
 *
 * <ul>
 *   <li>LAYER: {@code open samples x dense MACs};
 *   <li>CHANNEL: {@code sum_b convolution MACs at dc_b}, and the elements gathered and scattered between the batch and
 *       its sub-batches (the block's input and output, 0 for one pattern);
 *   <li>CHANNEL_UNION (in place of the pattern count): the number of sub-batches ({@link ChannelClusters}), {@code
 *       sum_b convolution MACs at its cluster's union}, the activation elements multiplied by per-sample channel
 *       masks (in clusters whose samples' patterns differ), and the elements gathered and scattered between the
 *       batch and its sub-batches (the block's input and output, 0 when one cluster runs the whole batch);
 *   <li>spatial: {@code sum_b patches_b x per-patch MACs (conv2, conv3, the window copy; conv1 per window for HALO)
 *       + squeeze-excitation}, and for M1 and ROWS also {@code sum_b |M1_b| Cin w dc_b} (conv1's rows).
 * </ul>
 */
final class PathFeatures {

    private PathFeatures() {}

    static double[] of(ExecutionPath p, Masks mk) {
        return of(p, mk, ChannelClusters.Costs.ONE_UNION);
    }

    /**
     * Returns a path's features.
     *
     * @param p the path
     * @param mk the call's decisions
     * @param costs how {@link ExecutionPath#CHANNEL_UNION} clusters the samples (ignored by other paths)
     * @return the features
     */
    static double[] of(ExecutionPath p, Masks mk, ChannelClusters.Costs costs) {
        if (p == ExecutionPath.CHANNEL_UNION) {
            return union(mk, costs);
        }
        double[] work = work(p, mk);
        if (mk.channels == null) {
            return work;
        }
        double[] f = new double[work.length + 1];
        f[0] = mk.patternGroups();
        System.arraycopy(work, 0, f, 1, work.length);
        return f;
    }

    private static double[] union(Masks mk, ChannelClusters.Costs costs) {
        double[] macs = ChannelClusters.sampleMacs(mk);
        double[] elements = ChannelClusters.maskedElements(mk);
        List<ChannelClusters.Cluster> clusters = mk.clusters(costs);
        double m = 0;
        double e = 0;
        for (ChannelClusters.Cluster c : clusters) {
            int n = c.samples().length;
            int u = c.union().cardinality();
            m += n * macs[u];
            if (!c.uniform()) {
                e += n * elements[u];
            }
        }
        return new double[] {clusters.size(), m, e, moved(mk, clusters.size())};
    }

    /**
     * The elements gathered and scattered between the batch and its sub-batches: the block's input and output, 0 when
     * one sub-batch is the whole batch.
     */
    private static double moved(Masks mk, int subBatches) {
        BlockGeometry g = mk.plan.geometry();
        return subBatches == 1 ? 0 : mk.batch * ((double) g.inChannels() * g.inHeight() * g.inWidth()
                + (double) g.outChannels() * g.outPixels());
    }

    private static double[] work(ExecutionPath p, Masks mk) {
        BlockPlan plan = mk.plan;
        BlockCost cost = plan.cost();
        BlockGeometry g = plan.geometry();
        double w = g.width();
        switch (p) {
            case LAYER:
                return new double[] {mk.openSamples().length * (double) cost.denseMacs()};
            case CHANNEL: {
                double macs = 0;
                for (BlockDensities d : mk.sampleDensities()) {
                    macs += cost.dynamicMacs(BlockDensities.channel(d.dc())) - cost.downsampleMacs()
                            - cost.maskerMacs();
                }
                return new double[] {macs, moved(mk, mk.patternGroups())};
            }
            default: {
                int s = plan.granularity();
                int k = g.conv2Stride() * (s - 1) + 3;
                boolean m1 = p == ExecutionPath.SPATIAL_M1 || p == ExecutionPath.SPATIAL_ROWS;
                List<BlockDensities> perSample = mk.sampleDensities();
                double win = 0;
                double c1 = 0;
                for (int b = 0; b < mk.batch; b++) {
                    double dc = perSample.get(b).dc();
                    double perPatch = (double) s * s * w * w * 9 / g.convGroups() * dc * dc
                            + (double) s * s * w * g.outChannels() * dc + (double) k * k * w * dc;
                    if (p == ExecutionPath.SPATIAL_HALO) {
                        perPatch += (double) k * k * g.inChannels() * w * dc;
                    }
                    win += mk.openCells(b) * perPatch;
                    if (cost.seMacs() > 0) {
                        win += dc * (cost.seMacs() + (double) g.outPixels() * w);
                    }
                    if (m1) {
                        c1 += mk.m1Pixels(b) * (double) g.inChannels() * w * dc;
                    }
                }
                return m1 ? new double[] {win, c1} : new double[] {win};
            }
        }
    }
}
