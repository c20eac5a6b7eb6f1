package org.laudnet.core.exec;

import java.util.BitSet;
import java.util.Map;
import org.laudnet.core.cost.BlockGeometry;

/**
 * The spatial gather-conv-scatter paths of a bottleneck (method section 4, "Spatial"): the active {@code S x S} output
 * patches are listed; conv1 yields their {@code T x T} windows ({@code T = s (S - 1) + 3}, by the path's
 * {@link SpatialSchedule}); conv2 runs on the windows without padding; the squeeze-excitation (if any) pools each
 * sample's patch outputs; conv3 and its bias are added to the identity at the patch positions; the output is
 * {@code ReLU} of the sum, so inactive positions output {@code ReLU(identity)}. In BOTH mode the patches of each
 * channel pattern run with that pattern's weight slices.
 */
final class SpatialPath implements BlockPath {

    /** One path per schedule, indexed by the schedule's ordinal. */
    private static final SpatialPath[] BY_SCHEDULE = new SpatialPath[SpatialSchedule.values().length];

    static {
        for (SpatialSchedule s : SpatialSchedule.values()) {
            BY_SCHEDULE[s.ordinal()] = new SpatialPath(s);
        }
    }

    private final SpatialSchedule schedule;

    private SpatialPath(SpatialSchedule schedule) {
        this.schedule = schedule;
    }

    /** Returns the path of a schedule. */
    static SpatialPath of(SpatialSchedule schedule) {
        return BY_SCHEDULE[schedule.ordinal()];
    }

    /** Returns the {@link ExecutionPath} of this schedule ({@link ExecutionPath#spatial}). */
    @Override
    public ExecutionPath path() {
        return ExecutionPath.spatial(schedule);
    }

    @Override
    public <T> T execute(BlockCall<T> c) {
        Kernels<T> k = c.k;
        BlockGeometry g = c.plan.geometry();
        SpatialGeometry geometry = SpatialGeometry.of(g.inHeight(), g.inWidth(), g.conv2Stride(), c.plan.granularity());
        // a handed-over non-negative input of an identity block is its own ReLU: accumulate into it, no copy; every
        // read of x (conv1 of each pattern's samples) precedes the writes into those samples' positions
        T acc = c.reuse ? k.spatialBeginInPlace(c.x, c.outShape) : k.spatialBegin(c.identity(), c.outShape);
        Map<BitSet, int[]> patterns = c.masks.patterns();
        for (Map.Entry<BitSet, int[]> e : patterns.entrySet()) {
            int[] samples = patterns.size() == 1 ? null : e.getValue();
            PatchPlan plan = PatchPlan.fromMask(c.masks.cellMask(samples), c.xs.batch(), geometry);
            c.lap("index");
            if (plan.patchCount() == 0) {
                continue;
            }
            BranchWeights bw = c.w.branch(e.getKey(), k);
            T windows = k.windowsConv1(c.x, c.xs, plan, bw.c1(), schedule);
            c.lap("conv1");
            T patches = k.patchConv3x3Relu(windows, plan, bw.c2());
            c.lap("conv2");
            if (bw.se1() != null) {
                int channels = bw.c2().spec().outChannels();
                T means = k.patchMeans(patches, plan, channels);
                patches = k.scalePatchesSigmoid(patches, plan, channels,
                        Branch.excitation(k, means, c.xs.batch(), bw));
                c.lap("se");
            }
            k.patchConv1x1Add(patches, plan, bw.c3(), acc);
            c.lap("conv3");
        }
        T y = k.spatialEnd(acc, c.outShape);
        c.lap("scatter");
        return y;
    }
}
