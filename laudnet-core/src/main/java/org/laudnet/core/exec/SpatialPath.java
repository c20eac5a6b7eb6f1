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

    private final ExecutionPath path;
    private final SpatialSchedule schedule;

    private SpatialPath(ExecutionPath path, SpatialSchedule schedule) {
        this.path = path;
        this.schedule = schedule;
    }

    static final SpatialPath HALO = new SpatialPath(ExecutionPath.SPATIAL_HALO, SpatialSchedule.HALO);
    static final SpatialPath WINDOWS = new SpatialPath(ExecutionPath.SPATIAL_WINDOWS, SpatialSchedule.WINDOWS);
    static final SpatialPath M1 = new SpatialPath(ExecutionPath.SPATIAL_M1, SpatialSchedule.M1);

    /** Returns the path of a schedule. */
    static SpatialPath of(SpatialSchedule schedule) {
        return switch (schedule) {
            case HALO -> HALO;
            case WINDOWS -> WINDOWS;
            case M1 -> M1;
        };
    }

    @Override
    public ExecutionPath path() {
        return path;
    }

    @Override
    public <T> T execute(BlockCall<T> c) {
        Kernels<T> k = c.k;
        BlockGeometry g = c.plan.geometry();
        SpatialGeometry geometry = SpatialGeometry.of(g.inHeight(), g.inWidth(), g.conv2Stride(), c.plan.granularity());
        T acc = k.spatialBegin(c.identity(), c.outShape);
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
