package org.laudnet.cuda.exec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.laudnet.cuda.ChannelSelection;
import org.laudnet.cuda.Nchw;
import org.laudnet.cuda.PatchPlan;
import org.laudnet.cuda.SpatialGeometry;
import org.laudnet.cuda.plan.ChannelMasker;
import org.laudnet.cuda.plan.LaudPlan;
import org.laudnet.cuda.plan.PlanBlock;
import org.laudnet.cuda.plan.PlanConv;
import org.laudnet.cuda.plan.PlanGate;
import org.laudnet.cuda.plan.PlanMode;

/**
 * Eval-mode execution of a {@link LaudPlan} on a {@link Backend} (method section 4). The same algorithm runs on the
 * host reference backend and on the CUDA backend, so the CPU tests of this class cover the GPU path's planning.
 *
 * <p>Per block, on input {@code x (B, Cin, H, H)}:
 *
 * <ol>
 *   <li>identity = {@code x}, or the downsample convolution of {@code x};
 *   <li>gates: the maskers run on the backend (spatial: depthwise average pool to {@code m x m} + 1x1 conv; layer:
 *       global average pool + 1x1; channel: global average pool + MLP), their logits {@code (B, 2, ...)} are read
 *       back (one small copy, the only synchronisation of the block) and the rule {@code keep >= skip} gives the
 *       masks on the host, optionally replaced by a {@link GateOverride};
 *   <li>the branch:
 *       <ul>
 *         <li>DENSE, or every sample and group kept: the three convolutions with the residual sum and ReLU fused in the
 *             last one;
 *         <li>SPATIAL (bottleneck with stride on the 3x3): inactive positions get {@code ReLU(identity)}; the active
 *             {@code S x S} patches run gather + conv1 -> conv2 on windows -> conv3 + scatter;
 *         <li>CHANNEL: samples are grouped by their kept-group pattern; each group runs the branch with weight slices
 *             built once per pattern by the weight-gather kernel (on the whole batch when one pattern covers it, else
 *             on gathered samples, scattered back with the residual);
 *         <li>BOTH: the spatial pipeline per channel pattern with that pattern's slices;
 *         <li>LAYER: the branch on the gathered active samples; the others get {@code ReLU(identity)};
 *         <li>SPATIAL / BOTH on a basic block or a bottleneck striding its 1x1: the (channel-sliced) dense branch,
 *             then {@code ReLU(identity)} written over the inactive positions (masked dense, same result).
 *       </ul>
 * </ol>
 *
 * A sample whose channel groups are all off computes {@code ReLU(identity + b_last)} (the last convolution's folded
 * bias survives the zero input): it runs through a one-channel slice with zero weights.
 *
 * @param <T> the backend's tensor type
 */
final class PlanEngine<T> implements AutoCloseable {

    private final LaudPlan plan;
    private final Backend<T> be;
    private final T stemW;
    private final T stemB;
    private final T headW;
    private final T headB;
    private final List<BlockState<T>> blocks = new ArrayList<>();
    private GateOverride override;
    private final List<BlockDecision> decisions = new ArrayList<>();
    private final double[] denseAbove;

    PlanEngine(LaudPlan plan, Backend<T> backend) {
        this.plan = plan;
        this.be = backend;
        this.stemW = be.persistent(plan.stem().weight());
        this.stemB = be.persistent(plan.stem().bias());
        this.headW = be.persistent(plan.head().weight());
        this.headB = be.persistent(plan.head().bias());
        for (PlanBlock b : plan.blocks()) {
            blocks.add(new BlockState<>(b, be));
        }
        this.denseAbove = new double[plan.blocks().size()];
        Arrays.fill(denseAbove, Double.POSITIVE_INFINITY);
    }

    /**
     * Sets the spatial (or layer) density above which block {@code index} runs masked dense instead of sparse: the
     * whole (channel-sliced) branch, then {@code ReLU(identity)} over the skipped cells or samples. Same result, other
     * cost. {@code +inf} (the default) always runs sparse, 0 always dense.
     */
    void setDenseAbove(int index, double density) {
        if (index < 0 || index >= denseAbove.length) {
            throw new IllegalArgumentException("index must be in [0, " + denseAbove.length + "), got " + index);
        }
        if (!(density >= 0)) {
            throw new IllegalArgumentException("density must be non-negative, got " + density);
        }
        denseAbove[index] = density;
    }

    double denseAbove(int index) {
        return denseAbove[index];
    }

    LaudPlan plan() {
        return plan;
    }

    Backend<T> backend() {
        return be;
    }

    void setOverride(GateOverride override) {
        this.override = override;
    }

    GateOverride override() {
        return override;
    }

    List<BlockDecision> decisions() {
        return List.copyOf(decisions);
    }

    /** Shape of block {@code index}'s input for a batch. */
    Nchw blockInputShape(int index, int batch) {
        PlanBlock b = plan.blocks().get(index);
        return new Nchw(batch, b.inChannels(), b.inSize(), b.inSize());
    }

    /**
     * Runs the whole network.
     *
     * @param x images {@code (B, Cin, S, S)}
     * @param batch {@code B}
     * @return the logits {@code (B, classes)}: a workspace overwritten by the next call
     */
    T forward(T x, int batch) {
        decisions.clear();
        PlanConv stem = plan.stem();
        Nchw xs = new Nchw(batch, plan.inputChannels(), plan.inputSize(), plan.inputSize());
        int so = stem.outSize(plan.inputSize());
        Nchw cs = new Nchw(batch, stem.outChannels(), so, so);
        T cur = be.workspace("stem", cs.size());
        be.conv2d(x, xs, stemW, stemB, stem.outChannels(), stem.kernel(), stem.stride(), stem.padding(), 1, null, true,
                cur);
        if (plan.maxPool()) {
            int po = (so + 2 * plan.maxPoolPadding() - 3) / 2 + 1;
            T pooled = be.workspace("pool", (long) batch * stem.outChannels() * po * po);
            cs = be.maxPool2d(cur, cs, 3, 2, plan.maxPoolPadding(), pooled);
            cur = pooled;
        }
        for (int i = 0; i < blocks.size(); i++) {
            cur = block(i, cur, batch, "act" + (i % 2));
            PlanBlock pb = plan.blocks().get(i);
            cs = new Nchw(batch, pb.outChannels(), pb.outSize(), pb.outSize());
        }
        T pooled = be.workspace("gap", (long) batch * cs.channels());
        be.globalAvgPool(cur, batch * cs.channels(), cs.height() * cs.width(), pooled);
        T logits = be.workspace("logits", (long) batch * plan.numClasses());
        be.conv2d(pooled, new Nchw(batch, cs.channels(), 1, 1), headW, headB, plan.numClasses(), 1, 1, 0, 1, null,
                false, logits);
        return logits;
    }

    /**
     * Runs one block alone.
     *
     * @param index block index
     * @param x input {@code (B, Cin, H, H)}; must not be a workspace of this engine
     * @param batch {@code B}
     * @return the output {@code (B, Cout, Ho, Ho)}: a workspace overwritten by the next call
     */
    T runBlock(int index, T x, int batch) {
        if (index < 0 || index >= blocks.size()) {
            throw new IllegalArgumentException("index must be in [0, " + blocks.size() + "), got " + index);
        }
        decisions.clear();
        return block(index, x, batch, "act0");
    }

    private T block(int index, T x, int batch, String outRole) {
        BlockState<T> st = blocks.get(index);
        PlanBlock pb = st.block;
        PlanGate gate = pb.gate();
        int h = pb.inSize();
        int ho = pb.outSize();
        Nchw xs = new Nchw(batch, pb.inChannels(), h, h);
        Nchw os = new Nchw(batch, pb.outChannels(), ho, ho);
        T out = be.workspace(outRole, os.size());
        T identity = x;
        if (pb.downsample() != null) {
            identity = be.workspace("identity", os.size());
            be.conv2d(x, xs, st.wd, st.bd, pb.outChannels(), 1, pb.stride(), 0, 1, null, false, identity);
        }
        T spatialLogits = gate.mode().hasSpatialMasker() ? spatialLogits(st, x, xs) : null;
        T channelLogits = gate.mode().hasChannelMasker() ? channelLogits(st, x, xs) : null;
        int[] smask = null;
        int m = gate.maskSize();
        if (spatialLogits != null) {
            smask = keepRule(be.read(spatialLogits, batch * 2 * m * m), batch, m * m);
            if (override != null) {
                smask = checked(override.spatialMask(index, pb, batch, smask), smask.length, "spatialMask");
            }
        }
        int[] cmask = null;
        int groups = gate.channelGroups();
        if (channelLogits != null) {
            cmask = keepRule(be.read(channelLogits, batch * 2 * groups), batch, groups);
            if (override != null) {
                cmask = checked(override.channelMask(index, pb, batch, cmask), cmask.length, "channelMask");
            }
        }
        decisions.add(new BlockDecision(smask, smask == null ? 0 : m, cmask, cmask == null ? 0 : groups));
        Map<String, int[]> patterns = cmask == null ? null : patternGroups(cmask, batch, groups);
        boolean maskedDense = smask != null
                && new BlockDecision(smask, m, null, 0).spatialDensity() > denseAbove[index];
        switch (gate.mode()) {
            case DENSE -> branch(x, xs, st, st.full, identity, true, out, "");
            case CHANNEL -> channelPath(st, x, xs, identity, out, patterns);
            case LAYER -> {
                if (maskedDense) {
                    branch(x, xs, st, st.full, identity, true, out, "");
                    T maskT = be.workspaceInts("smask", smask);
                    be.fillInactiveRelu(identity, os, maskT, smask, os.height(), 1, out);
                } else {
                    layerPath(st, x, xs, os, identity, out, smask);
                }
            }
            case SPATIAL, BOTH -> {
                if (st.spatialSparse && !maskedDense) {
                    spatialPath(st, x, xs, os, identity, out, smask, patterns);
                } else {
                    if (patterns == null) {
                        branch(x, xs, st, st.full, identity, true, out, "");
                    } else {
                        channelPath(st, x, xs, identity, out, patterns);
                    }
                    T maskT = be.workspaceInts("smask", smask);
                    be.fillInactiveRelu(identity, os, maskT, smask, gate.granularity(), m, out);
                }
            }
            default -> throw new IllegalStateException("unknown mode " + gate.mode());
        }
        return out;
    }

    private static int[] checked(int[] mask, int length, String name) {
        if (mask == null || mask.length != length) {
            throw new IllegalArgumentException("the gate override's " + name + " must have " + length
                    + " entries, got " + (mask == null ? "null" : mask.length));
        }
        return mask;
    }

    /** {@code mask[b, c] = logits[b, 0, c] >= logits[b, 1, c]} for logits {@code (B, 2, cells)}. */
    static int[] keepRule(float[] logits, int batch, int cells) {
        int[] mask = new int[batch * cells];
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < cells; c++) {
                mask[b * cells + c] = logits[(2 * b) * cells + c] >= logits[(2 * b + 1) * cells + c] ? 1 : 0;
            }
        }
        return mask;
    }

    private T spatialLogits(BlockState<T> st, T x, Nchw xs) {
        PlanGate g = st.block.gate();
        int m = g.maskSize();
        int batch = xs.batch();
        int cin = xs.channels();
        T pooled = x;
        Nchw ps = xs;
        if (m == 1 && xs.height() > 1) {
            pooled = be.workspace("gate_pool", (long) batch * cin);
            be.globalAvgPool(x, batch * cin, xs.height() * xs.width(), pooled);
            ps = new Nchw(batch, cin, 1, 1);
        } else if (xs.height() != m) {
            int k = xs.height() / m;
            pooled = be.workspace("gate_pool", (long) batch * cin * m * m);
            be.conv2d(x, xs, st.poolW, null, cin, k, k, 0, cin, null, false, pooled);
            ps = new Nchw(batch, cin, m, m);
        }
        T logits = be.workspace("gate_spatial", (long) batch * 2 * m * m);
        be.conv2d(pooled, ps, st.maskW, st.maskB, 2, 1, 1, 0, 1, null, false, logits);
        return logits;
    }

    private T channelLogits(BlockState<T> st, T x, Nchw xs) {
        ChannelMasker cm = st.block.gate().channelMasker();
        int batch = xs.batch();
        int hw = xs.height() * xs.width();
        T logits = be.workspace("gate_channel", (long) batch * 2 * cm.groups());
        switch (cm.kind()) {
            case MLP_1 -> {
                T g = be.workspace("gate_gap", (long) batch * xs.channels());
                be.globalAvgPool(x, batch * xs.channels(), hw, g);
                linear(g, batch, cm.first(), st.cm1w, st.cm1b, false, logits);
            }
            case MLP_2 -> {
                T g = be.workspace("gate_gap", (long) batch * xs.channels());
                be.globalAvgPool(x, batch * xs.channels(), hw, g);
                T hidden = be.workspace("gate_hidden", (long) batch * cm.first().outChannels());
                linear(g, batch, cm.first(), st.cm1w, st.cm1b, true, hidden);
                linear(hidden, batch, cm.second(), st.cm2w, st.cm2b, false, logits);
            }
            case CONV_LINEAR -> {
                int hid = cm.first().outChannels();
                T f = be.workspace("gate_features", (long) batch * hid * hw);
                be.conv2d(x, xs, st.cm1w, st.cm1b, hid, 1, 1, 0, 1, null, true, f);
                T g = be.workspace("gate_gap", (long) batch * hid);
                be.globalAvgPool(f, batch * hid, hw, g);
                linear(g, batch, cm.second(), st.cm2w, st.cm2b, false, logits);
            }
            default -> throw new IllegalStateException("unknown masker " + cm.kind());
        }
        return logits;
    }

    private void linear(T x, int batch, PlanConv layer, T w, T b, boolean relu, T y) {
        be.conv2d(x, new Nchw(batch, layer.inChannels(), 1, 1), w, b, layer.outChannels(), 1, 1, 0, 1, null, relu, y);
    }

    /** Groups samples by channel pattern, in order of first appearance; keys are {@code Arrays.toString(pattern)}. */
    private static Map<String, int[]> patternGroups(int[] cmask, int batch, int groups) {
        Map<String, List<Integer>> lists = new LinkedHashMap<>();
        for (int b = 0; b < batch; b++) {
            String key = Arrays.toString(Arrays.copyOfRange(cmask, b * groups, (b + 1) * groups));
            lists.computeIfAbsent(key, k -> new ArrayList<>()).add(b);
        }
        Map<String, int[]> out = new LinkedHashMap<>();
        lists.forEach((k, v) -> out.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
        return out;
    }

    private static int[] parsePattern(String key) {
        String body = key.substring(1, key.length() - 1);
        return Arrays.stream(body.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }

    /**
     * The residual branch on {@code x}: with {@code residual} non-null {@code dst = ReLU(residual + branch)} fused in
     * the last convolution, else {@code dst = branch} (the last convolution's output before the residual).
     */
    private void branch(T x, Nchw xs, BlockState<T> st, Slice<T> s, T residual, boolean relu, T dst, String tag) {
        PlanBlock pb = st.block;
        int batch = xs.batch();
        int ho = pb.outSize();
        PlanConv c1 = pb.conv1();
        int h1 = c1.outSize(xs.height());
        T a1 = be.workspace("a1" + tag, (long) batch * s.c * h1 * h1);
        be.conv2d(x, xs, s.w1, s.b1, s.c, c1.kernel(), c1.stride(), c1.padding(), 1, null, true, a1);
        Nchw s1 = new Nchw(batch, s.c, h1, h1);
        PlanConv c2 = pb.conv2();
        int groups = s == st.full ? c2.groups() : 1;
        if (pb.bottleneck()) {
            T a2 = be.workspace("a2" + tag, (long) batch * s.c * ho * ho);
            be.conv2d(a1, s1, s.w2, s.b2, s.c, 3, c2.stride(), 1, groups, null, true, a2);
            be.conv2d(a2, new Nchw(batch, s.c, ho, ho), s.w3, st.b3, pb.outChannels(), 1, 1, 0, 1, residual, relu,
                    dst);
        } else {
            be.conv2d(a1, s1, s.w2, s.b2, pb.outChannels(), 3, c2.stride(), 1, 1, residual, relu, dst);
        }
    }

    /** Runs the branch with slice {@code s} on the listed samples only and scatters {@code ReLU(identity + .)}. */
    private void subBatch(BlockState<T> st, T x, Nchw xs, Slice<T> s, T identity, T out, int[] samples, int k) {
        PlanBlock pb = st.block;
        int batch = xs.batch();
        if (samples.length == batch) {
            branch(x, xs, st, s, identity, true, out, "");
            return;
        }
        T idx = be.workspaceInts("sub_idx" + k, samples);
        Nchw sub = xs.withBatch(samples.length);
        T xsub = be.workspace("sub_x", sub.size());
        be.gatherSamples(x, batch, idx, samples, xs.perSample(), xsub);
        int perOut = pb.outChannels() * pb.outSize() * pb.outSize();
        T br = be.workspace("sub_branch", (long) samples.length * perOut);
        branch(xsub, sub, st, s, null, false, br, "_sub");
        be.scatterSamplesResidualRelu(br, idx, samples, perOut, identity, batch, out);
    }

    private void channelPath(BlockState<T> st, T x, Nchw xs, T identity, T out, Map<String, int[]> patterns) {
        int k = 0;
        for (Map.Entry<String, int[]> e : patterns.entrySet()) {
            subBatch(st, x, xs, slice(st, e.getKey()), identity, out, e.getValue(), k++);
        }
    }

    private void layerPath(BlockState<T> st, T x, Nchw xs, Nchw os, T identity, T out, int[] gate) {
        int active = 0;
        for (int v : gate) {
            if (v != 0) {
                active++;
            }
        }
        if (active < gate.length) {
            T maskT = be.workspaceInts("smask", gate);
            be.fillInactiveRelu(identity, os, maskT, gate, os.height(), 1, out);
        }
        if (active > 0) {
            int[] samples = new int[active];
            int n = 0;
            for (int b = 0; b < gate.length; b++) {
                if (gate[b] != 0) {
                    samples[n++] = b;
                }
            }
            subBatch(st, x, xs, st.full, identity, out, samples, 0);
        }
    }

    private void spatialPath(BlockState<T> st, T x, Nchw xs, Nchw os, T identity, T out, int[] smask,
            Map<String, int[]> patterns) {
        PlanBlock pb = st.block;
        int m = pb.gate().maskSize();
        int cells = m * m;
        T maskT = be.workspaceInts("smask", smask);
        be.fillInactiveRelu(identity, os, maskT, smask, pb.gate().granularity(), m, out);
        if (patterns == null) {
            patches(st, x, xs, identity, out, smask, st.full, 0);
            return;
        }
        int k = 0;
        for (Map.Entry<String, int[]> e : patterns.entrySet()) {
            int[] sub = new int[smask.length];
            for (int b : e.getValue()) {
                System.arraycopy(smask, b * cells, sub, b * cells, cells);
            }
            patches(st, x, xs, identity, out, sub, slice(st, e.getKey()), k++);
        }
    }

    private void patches(BlockState<T> st, T x, Nchw xs, T identity, T out, int[] mask, Slice<T> s, int k) {
        PatchPlan pp = PatchPlan.fromMask(mask, xs.batch(), st.geometry);
        if (pp.patchCount() == 0) {
            return;
        }
        PlanBlock pb = st.block;
        T patches = be.workspaceInts("patches" + k, pp.patches());
        T win = be.workspace("windows", pp.windowElements(s.c));
        be.gatherConv1x1Relu(x, xs, pp, patches, s.w1, s.b1, s.c, win);
        T p2 = be.workspace("patch_conv2", pp.patchElements(s.c));
        int groups = s == st.full ? pb.conv2().groups() : 1;
        be.patchConv3x3Relu(win, pp, s.c, groups, s.w2, s.b2, s.c, p2);
        be.patchConv1x1ScatterRelu(p2, pp, patches, s.c, s.w3, st.b3, pb.outChannels(), identity, out);
    }

    /** Returns the (cached) weight slice of a channel pattern, building it on the backend at first use. */
    private Slice<T> slice(BlockState<T> st, String key) {
        Slice<T> cached = st.slices.get(key);
        if (cached != null) {
            return cached;
        }
        int[] pattern = parsePattern(key);
        PlanBlock pb = st.block;
        Slice<T> s;
        boolean any = Arrays.stream(pattern).anyMatch(v -> v != 0);
        if (!any) {
            s = phantom(pb);
        } else if (Arrays.stream(pattern).allMatch(v -> v != 0)) {
            s = st.full;
        } else {
            int[] idx = ChannelSelection.fromGroupMask(pattern, pb.width()).channels();
            int c = idx.length;
            int cin = pb.inChannels();
            int w = pb.width();
            int cout = pb.outChannels();
            T idxT = be.workspaceInts("slice_idx", idx);
            int k1 = pb.conv1().kernel() * pb.conv1().kernel();
            T w1 = be.persistent((long) c * cin * k1);
            be.weightGather(st.full.w1, w, cin, k1, idxT, idx, null, null, w1);
            T b1 = be.persistent(c);
            be.weightGather(st.full.b1, w, 1, 1, idxT, idx, null, null, b1);
            if (pb.bottleneck()) {
                T w2 = be.persistent((long) c * c * 9);
                be.weightGather(st.full.w2, w, w, 9, idxT, idx, idxT, idx, w2);
                T b2 = be.persistent(c);
                be.weightGather(st.full.b2, w, 1, 1, idxT, idx, null, null, b2);
                int[] all = PlanConvRange.of(cout);
                T allT = be.workspaceInts("slice_all", all);
                T w3 = be.persistent((long) cout * c);
                be.weightGather(st.full.w3, cout, w, 1, allT, all, idxT, idx, w3);
                s = new Slice<>(c, w1, b1, w2, b2, w3);
            } else {
                int[] all = PlanConvRange.of(cout);
                T allT = be.workspaceInts("slice_all", all);
                T w2 = be.persistent((long) cout * c * 9);
                be.weightGather(st.full.w2, cout, w, 9, allT, all, idxT, idx, w2);
                s = new Slice<>(c, w1, b1, w2, st.full.b2, null);
            }
        }
        st.slices.put(key, s);
        return s;
    }

    private Slice<T> phantom(PlanBlock pb) {
        int k1 = pb.conv1().kernel() * pb.conv1().kernel();
        T w1 = be.persistent(new float[pb.inChannels() * k1]);
        T b1 = be.persistent(new float[1]);
        if (pb.bottleneck()) {
            return new Slice<>(1, w1, b1, be.persistent(new float[9]), be.persistent(new float[1]),
                    be.persistent(new float[pb.outChannels()]));
        }
        return new Slice<>(1, w1, b1, be.persistent(new float[pb.outChannels() * 9]),
                be.persistent(pb.conv2().bias()), null);
    }

    @Override
    public void close() {
        be.close();
    }

    /** Weights of one branch variant: the full block or a channel slice of {@code c} inner channels. */
    static final class Slice<T> {
        final int c;
        final T w1;
        final T b1;
        final T w2;
        final T b2;
        final T w3;

        Slice(int c, T w1, T b1, T w2, T b2, T w3) {
            this.c = c;
            this.w1 = w1;
            this.b1 = b1;
            this.w2 = w2;
            this.b2 = b2;
            this.w3 = w3;
        }
    }

    /** A block's persistent tensors and its cache of channel slices. */
    static final class BlockState<T> {
        final PlanBlock block;
        final Slice<T> full;
        final T b3;
        final T wd;
        final T bd;
        final T poolW;
        final T maskW;
        final T maskB;
        final T cm1w;
        final T cm1b;
        final T cm2w;
        final T cm2b;
        final boolean spatialSparse;
        final SpatialGeometry geometry;
        final Map<String, Slice<T>> slices = new HashMap<>();

        BlockState(PlanBlock b, Backend<T> be) {
            this.block = b;
            T w3 = b.bottleneck() ? be.persistent(b.conv3().weight()) : null;
            this.b3 = b.bottleneck() ? be.persistent(b.conv3().bias()) : null;
            this.full = new Slice<>(b.width(), be.persistent(b.conv1().weight()), be.persistent(b.conv1().bias()),
                    be.persistent(b.conv2().weight()), be.persistent(b.conv2().bias()), w3);
            this.wd = b.downsample() == null ? null : be.persistent(b.downsample().weight());
            this.bd = b.downsample() == null ? null : be.persistent(b.downsample().bias());
            PlanGate g = b.gate();
            int m = g.maskSize();
            if (g.mode().hasSpatialMasker() && m > 1 && b.inSize() != m) {
                int k = b.inSize() / m;
                float[] pw = new float[b.inChannels() * k * k];
                Arrays.fill(pw, 1f / (k * k));
                this.poolW = be.persistent(pw);
            } else {
                this.poolW = null;
            }
            this.maskW = g.spatialMasker() == null ? null : be.persistent(g.spatialMasker().weight());
            this.maskB = g.spatialMasker() == null ? null : be.persistent(g.spatialMasker().bias());
            ChannelMasker cm = g.channelMasker();
            this.cm1w = cm == null ? null : be.persistent(cm.first().weight());
            this.cm1b = cm == null ? null : be.persistent(cm.first().bias());
            this.cm2w = cm == null || cm.second() == null ? null : be.persistent(cm.second().weight());
            this.cm2b = cm == null || cm.second() == null ? null : be.persistent(cm.second().bias());
            this.spatialSparse = (g.mode() == PlanMode.SPATIAL || g.mode() == PlanMode.BOTH) && b.bottleneck()
                    && b.conv1().stride() == 1;
            this.geometry = spatialSparse ? SpatialGeometry.of(b.inSize(), b.inSize(), b.stride(), g.granularity())
                    : null;
        }
    }

    /** Index ranges {@code 0 .. n-1}. */
    static final class PlanConvRange {
        private PlanConvRange() {}

        static int[] of(int n) {
            int[] r = new int[n];
            for (int k = 0; k < n; k++) {
                r[k] = k;
            }
            return r;
        }
    }
}
