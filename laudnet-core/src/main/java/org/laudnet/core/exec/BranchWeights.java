package org.laudnet.core.exec;

import java.util.Arrays;
import java.util.BitSet;
import java.util.function.Function;
import org.laudnet.core.block.ChannelMaskPlacement;
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
        if (count < groups && plan.gate().channelMaskPlacement() == ChannelMaskPlacement.BEFORE_NORM) {
            return beforeNorm(plan, pattern, upload);
        }
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

    /**
     * The branch of a pattern under the reference's placement ({@link ChannelMaskPlacement#BEFORE_NORM}): a skipped
     * channel {@code k} of conv1 outputs the constant {@code c1_k = ReLU(b1_k)} (the folded bias is {@code BN1(0)},
     * the convolutions having no bias), which conv2 reads inside the image and not in its zero padding. conv1 gets one
     * extra output filter with zero weights and bias 1, a channel that is 1 wherever conv1 is computed and 0 where a
     * path zero-pads or re-zeroes the out-of-image halo; conv2 reads it with the weights
     * {@code sum_{k skipped} c1_k W2[:, k]}. A skipped conv2 output {@code j} is {@code c2_j = ReLU(b2_j)}
     * everywhere, which conv3 (1x1) reads as the bias {@code b3 + sum_{j skipped} c2_j W3[:, j]}. For a basic block
     * the extra channel feeds conv2, whose outputs are all kept.
     */
    private static BranchWeights beforeNorm(BlockPlan plan, BitSet pattern, Function<FoldedConv, ConvWeights> upload) {
        FoldedConv conv1 = plan.conv1();
        FoldedConv conv2 = plan.conv2();
        int w = plan.width();
        int[] idx = channels(pattern, w / plan.channelGroups());
        boolean[] open = new boolean[w];
        for (int k : idx) {
            open[k] = true;
        }
        int n = idx.length;
        // conv1: the open filters and the constant-one filter
        int cin = conv1.inChannels();
        int per1 = cin * conv1.kernel() * conv1.kernel();
        float[] w1 = new float[(n + 1) * per1];
        float[] b1 = new float[n + 1];
        for (int o = 0; o < n; o++) {
            System.arraycopy(conv1.weight(), idx[o] * per1, w1, o * per1, per1);
            b1[o] = conv1.bias()[idx[o]];
        }
        b1[n] = 1f;
        FoldedConv c1 = new FoldedConv(n + 1, cin, conv1.kernel(), conv1.stride(), conv1.padding(), 1, w1, b1);
        // conv2: the open inputs and the constant channel; the open outputs (bottleneck) or all (basic)
        int[] outs = plan.bottleneck() ? idx : null;
        int o2 = outs == null ? conv2.outChannels() : n;
        int kk = conv2.kernel() * conv2.kernel();
        float[] w2 = new float[Math.max(o2, 1) * (n + 1) * kk];
        float[] b2 = new float[Math.max(o2, 1)];
        for (int o = 0; o < o2; o++) {
            int src = outs == null ? o : outs[o];
            b2[o] = conv2.bias()[src];
            for (int i = 0; i < n; i++) {
                System.arraycopy(conv2.weight(), (src * w + idx[i]) * kk, w2, (o * (n + 1) + i) * kk, kk);
            }
            for (int k = 0; k < w; k++) {
                float c = Math.max(0f, conv1.bias()[k]);
                if (open[k] || c == 0f) {
                    continue;
                }
                for (int t = 0; t < kk; t++) {
                    w2[(o * (n + 1) + n) * kk + t] += c * conv2.weight()[(src * w + k) * kk + t];
                }
            }
        }
        // no open output: a phantom output with zero weights that conv3 ignores
        FoldedConv c2 = new FoldedConv(Math.max(o2, 1), n + 1, conv2.kernel(), conv2.stride(), conv2.padding(), 1,
                w2, b2);
        FoldedConv c3 = null;
        if (plan.bottleneck()) {
            FoldedConv conv3 = plan.conv3();
            int cout = conv3.outChannels();
            float[] b3 = conv3.bias().clone();
            for (int j = 0; j < w; j++) {
                float c = Math.max(0f, conv2.bias()[j]);
                if (open[j] || c == 0f) {
                    continue;
                }
                for (int o = 0; o < cout; o++) {
                    b3[o] += c * conv3.weight()[o * w + j];
                }
            }
            c3 = n == 0 ? conv3.zeroWeights(cout, 1, b3) : conv3.slice(null, idx).withBias(b3);
        }
        return new BranchWeights(upload.apply(c1), upload.apply(c2), c3 == null ? null : upload.apply(c3), null,
                null, n + 1);
    }

    /**
     * The weights of {@link ExecutionPath#CHANNEL_UNION} under the reference's placement
     * ({@link ChannelMaskPlacement#BEFORE_NORM}) for a union {@code U} of open groups, on which each sample closes
     * the groups of {@code U} that its own pattern closes by a per-sample channel multiplication
     * ({@link ChannelUnionPath#factors}). As in {@link #beforeNorm}, the channels outside {@code U} are constants
     * folded into an extra constant-one channel of conv1 (read by conv2) and into conv3's bias. Each group {@code q}
     * of {@code U} further has an indicator channel, 1 where the group is computed: conv1 gets one per group (zero
     * weights, bias 1, so {@code ReLU} gives 1 inside the image and conv2's padding 0), which conv2 reads with
     * {@code sum_{k in q} c1_k W2[:, k]}; a bottleneck's conv2 gets one per group too (zero weights, bias 1), which
     * conv3 reads with {@code sum_{j in q} c2_j W3[:, j]}. A sample multiplies the channels of its open groups by 1
     * and their indicators by 0, and those of its closed groups of {@code U} by 0 and their indicators by 1: its
     * skipped channels then carry exactly their constants.
     *
     * <p>Layout: conv1's outputs are {@code U}'s channels ({@code n}), the constant channel, then {@code u} group
     * indicators; a bottleneck's conv2 outputs {@code U}'s channels then {@code u} indicators; a basic block's conv2
     * outputs every channel.
     *
     * @param plan the block (placement BEFORE_NORM: ungrouped conv2, no squeeze-excitation)
     * @param union the union, non-empty
     * @param upload how a folded convolution becomes weights
     * @return the weights, {@code inner = n + 1 + u}
     */
    static BranchWeights unionBeforeNorm(BlockPlan plan, BitSet union, Function<FoldedConv, ConvWeights> upload) {
        FoldedConv conv1 = plan.conv1();
        FoldedConv conv2 = plan.conv2();
        int w = plan.width();
        int per = w / plan.channelGroups();
        int[] idx = channels(union, per);
        int[] qs = union.stream().toArray();
        int n = idx.length;
        int u = qs.length;
        boolean[] inUnion = new boolean[w];
        for (int k : idx) {
            inUnion[k] = true;
        }
        int cin = conv1.inChannels();
        int per1 = cin * conv1.kernel() * conv1.kernel();
        int in2 = n + 1 + u;
        float[] w1 = new float[in2 * per1];
        float[] b1 = new float[in2];
        for (int o = 0; o < n; o++) {
            System.arraycopy(conv1.weight(), idx[o] * per1, w1, o * per1, per1);
            b1[o] = conv1.bias()[idx[o]];
        }
        Arrays.fill(b1, n, in2, 1f);
        FoldedConv c1 = new FoldedConv(in2, cin, conv1.kernel(), conv1.stride(), conv1.padding(), 1, w1, b1);
        boolean bottleneck = plan.bottleneck();
        int kk = conv2.kernel() * conv2.kernel();
        int o2 = bottleneck ? n + u : conv2.outChannels();
        float[] w2 = new float[o2 * in2 * kk];
        float[] b2 = new float[o2];
        int real2 = bottleneck ? n : o2;
        for (int o = 0; o < real2; o++) {
            int src = bottleneck ? idx[o] : o;
            b2[o] = conv2.bias()[src];
            for (int i = 0; i < n; i++) {
                System.arraycopy(conv2.weight(), (src * w + idx[i]) * kk, w2, (o * in2 + i) * kk, kk);
            }
            for (int k = 0; k < w; k++) {
                float c = Math.max(0f, conv1.bias()[k]);
                if (c == 0f) {
                    continue;
                }
                // a channel outside the union reads the constant channel, one of group q that group's indicator
                int col = inUnion[k] ? n + 1 + Arrays.binarySearch(qs, k / per) : n;
                for (int t = 0; t < kk; t++) {
                    w2[(o * in2 + col) * kk + t] += c * conv2.weight()[(src * w + k) * kk + t];
                }
            }
        }
        Arrays.fill(b2, real2, o2, 1f);
        FoldedConv c2 = new FoldedConv(o2, in2, conv2.kernel(), conv2.stride(), conv2.padding(), 1, w2, b2);
        FoldedConv c3 = null;
        if (bottleneck) {
            FoldedConv conv3 = plan.conv3();
            int cout = conv3.outChannels();
            int in3 = n + u;
            float[] w3 = new float[cout * in3];
            float[] b3 = conv3.bias().clone();
            for (int o = 0; o < cout; o++) {
                for (int i = 0; i < n; i++) {
                    w3[o * in3 + i] = conv3.weight()[o * w + idx[i]];
                }
                for (int j = 0; j < w; j++) {
                    float c = Math.max(0f, conv2.bias()[j]);
                    if (c == 0f) {
                        continue;
                    }
                    if (inUnion[j]) {
                        w3[o * in3 + n + Arrays.binarySearch(qs, j / per)] += c * conv3.weight()[o * w + j];
                    } else {
                        b3[o] += c * conv3.weight()[o * w + j];
                    }
                }
            }
            c3 = new FoldedConv(cout, in3, conv3.kernel(), conv3.stride(), conv3.padding(), 1, w3, b3);
        }
        return new BranchWeights(upload.apply(c1), upload.apply(c2), c3 == null ? null : upload.apply(c3), null,
                null, in2);
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
