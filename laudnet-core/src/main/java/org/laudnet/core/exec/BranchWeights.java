package org.laudnet.core.exec;

import java.util.BitSet;
import java.util.function.Function;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.plan.SqueezeExcitationPlan;

/**
 * The weights of a block's residual branch for one channel pattern (method section 4, "Channel"): conv1's output
 * filters, conv2's input and output channels (whole convolution groups when conv2 is grouped), conv3's input channels
 * and the squeeze-excitation restricted to the active channels. The pattern with every group open is the full
 * branch; a pattern with none is a phantom one-channel branch with zero weights, whose output is the last
 * convolution's bias (what the masked-dense block computes there).
 *
 * @param c1 conv1
 * @param c2 conv2
 * @param c3 conv3, or null for a basic block
 * @param se1 the squeeze-excitation's first layer, or null
 * @param se2 the squeeze-excitation's second layer, or null
 * @param inner the active inner channels (conv1's outputs)
 */
record BranchWeights(ConvWeights c1, ConvWeights c2, ConvWeights c3, ConvWeights se1, ConvWeights se2, int inner) {

    /**
     * Builds the branch of a pattern from the plan's layers and uploads it.
     *
     * @param plan the block
     * @param pattern the open channel groups (all for the full branch)
     * @param upload how a folded convolution becomes weights
     * @return the branch weights
     */
    static BranchWeights of(BlockPlan plan, BitSet pattern, Function<FoldedConv, ConvWeights> upload) {
        int groups = plan.channelGroups();
        int count = pattern.cardinality();
        SqueezeExcitationPlan se = plan.squeezeExcitation();
        if (count == groups) {
            return new BranchWeights(upload.apply(plan.conv1()), upload.apply(plan.conv2()),
                    plan.conv3() == null ? null : upload.apply(plan.conv3()),
                    se == null ? null : upload.apply(se.fc1()), se == null ? null : upload.apply(se.fc2()),
                    plan.width());
        }
        FoldedConv c1;
        FoldedConv c2;
        FoldedConv c3 = null;
        SqueezeExcitationPlan s = null;
        int inner;
        if (count == 0) {
            inner = 1;
            int[] first = {0};
            c1 = plan.conv1().zeroWeights(1, plan.conv1().inChannels(), null);
            if (plan.bottleneck()) {
                c2 = plan.conv2().zeroWeights(1, 1, null);
                c3 = plan.conv3().zeroWeights(plan.conv3().outChannels(), 1, plan.conv3().bias());
                s = se == null ? null : se.slice(first);
            } else {
                c2 = plan.conv2().zeroWeights(plan.conv2().outChannels(), 1, plan.conv2().bias());
            }
        } else {
            int[] idx = channels(pattern, plan.width() / groups);
            inner = idx.length;
            c1 = plan.conv1().slice(idx, null);
            if (!plan.bottleneck()) {
                c2 = plan.conv2().slice(null, idx);
            } else if (plan.conv2().groups() == 1) {
                c2 = plan.conv2().slice(idx, idx);
            } else {
                c2 = plan.conv2().sliceGroups(convGroups(pattern, plan));
            }
            if (plan.bottleneck()) {
                c3 = plan.conv3().slice(null, idx);
                s = se == null ? null : se.slice(idx);
            }
        }
        return new BranchWeights(upload.apply(c1), upload.apply(c2), c3 == null ? null : upload.apply(c3),
                s == null ? null : upload.apply(s.fc1()), s == null ? null : upload.apply(s.fc2()), inner);
    }

    /** The channels of the open groups, ascending: group {@code q} holds {@code [q per, (q + 1) per)}. */
    static int[] channels(BitSet pattern, int per) {
        int[] idx = new int[pattern.cardinality() * per];
        int p = 0;
        for (int q = pattern.nextSetBit(0); q >= 0; q = pattern.nextSetBit(q + 1)) {
            for (int c = 0; c < per; c++) {
                idx[p++] = q * per + c;
            }
        }
        return idx;
    }

    /** The convolution groups of a grouped conv2 that the open gate groups cover (each gate group whole conv groups). */
    private static int[] convGroups(BitSet pattern, BlockPlan plan) {
        int groupWidth = plan.width() / plan.conv2().groups();
        return channels(pattern, plan.width() / plan.channelGroups() / groupWidth);
    }
}
