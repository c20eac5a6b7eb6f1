package org.laudnet.core.exec;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * Paths that run the branch on groups of samples with per-group weights and write {@code ReLU(identity + branch)} back
 * to those samples; every other sample outputs {@code ReLU(identity)}:
 *
 * <ul>
 *   <li>{@link ExecutionPath#LAYER}: one group, the samples whose layer gate is open, with the full weights;
 *   <li>{@link ExecutionPath#CHANNEL}: one group per distinct channel pattern, with that pattern's weight slices
 *       (a pattern with no open group carries only the last convolution's bias).
 * </ul>
 *
 * A group that covers the whole batch runs with the residual sum and ReLU fused into its last convolution. Groups are
 * disjoint, so each reads its samples of {@code x} before anything is written to them (which allows writing into a
 * handed-over input).
 */
final class SampleGroupPath implements BlockPath {

    static final SampleGroupPath LAYER = new SampleGroupPath(ExecutionPath.LAYER);
    static final SampleGroupPath CHANNEL = new SampleGroupPath(ExecutionPath.CHANNEL);

    private final ExecutionPath path;

    private SampleGroupPath(ExecutionPath path) {
        this.path = path;
    }

    @Override
    public ExecutionPath path() {
        return path;
    }

    private record Group(int[] samples, BranchWeights weights) {}

    @Override
    public <T> T execute(BlockCall<T> c) {
        List<Group> groups = new ArrayList<>();
        if (path == ExecutionPath.LAYER) {
            groups.add(new Group(c.masks.openSamples(), c.w.full));
        } else {
            for (Map.Entry<BitSet, int[]> e : c.masks.patterns().entrySet()) {
                groups.add(new Group(e.getValue(), c.w.branch(e.getKey(), c.k)));
            }
        }
        int batch = c.xs.batch();
        if (groups.size() == 1 && groups.get(0).samples().length == batch) {
            return Branch.run(c, c.x, c.xs, groups.get(0).weights(), null, null, c.identity(), true,
                    c.identityWritable());
        }
        T identity = c.identity();
        T y = c.reluIdentity();
        for (Group g : groups) {
            int n = g.samples().length;
            if (n == 0) {
                continue;
            }
            T xs = c.k.gatherSamples(c.x, c.xs, g.samples());
            c.lap("gather");
            T z = Branch.run(c, xs, c.xs.withBatch(n), g.weights(), null, null, null, false);
            c.k.scatterSamplesResidualRelu(z, c.outShape.withBatch(n), g.samples(), identity, y);
            c.lap("scatter");
        }
        return y;
    }
}
