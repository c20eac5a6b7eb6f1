package org.laudnet.onednn;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.SpatialGeometry;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.core.plan.SqueezeExcitationPlan;

/**
 * The weight-reading primitives that the sparse paths of a plan's blocks create at one batch size, beyond the dense
 * ones of {@link PlanLayouts}: {@link OneDnnBackend#prepare} reorders the weights into the layouts these primitives ask
 * for when the plan is loaded, so that the first sparse call reorders nothing. The kernels build the shapes of their
 * sparse primitives with the functions below ({@link #haloConv1}, {@link #windowsConv2}, {@link #conv3Rows},
 * {@link #rows}, {@link RowsConv#conv1Rows}, {@link RowsConv#conv2Rows}), so that a prepared shape is exactly one a
 * call creates.
 *
 * <p>Which primitives: only those of the paths a block may take ({@link ExecutionPath#candidates}), with the block's
 * full weights (a channel pattern's slices are other weights, uploaded and reordered the first time the pattern runs).
 *
 * <ul>
 *   <li>{@link ExecutionPath#SPATIAL_HALO}: conv1 as a matmul on the gathered window rows ({@code bucket(P) T T} rows);
 *       {@link ExecutionPath#SPATIAL_WINDOWS}: conv1 as a dense convolution without padding; both, and ROWS with a
 *       grouped conv2: conv2 as a convolution over the gathered windows ({@code bucket(P)} windows);
 *       {@link ExecutionPath#SPATIAL_ROWS}: conv1 as a 1x1 convolution over the gathered M1 rows, an ungrouped conv2
 *       as the same over its im2col rows with its {@code (9 C1, C2)} matrix ({@link Conv2Matrices}); every spatial
 *       path: conv3 as a matmul on the patch rows with the residual sum and ReLU, the squeeze-excitation on the whole
 *       batch;
 *   <li>{@link ExecutionPath#LAYER}, {@link ExecutionPath#CHANNEL}, {@link ExecutionPath#CHANNEL_UNION}: the dense
 *       branch on every sub-batch size {@code 1 .. B - 1} (a group of samples whose pattern is the full one), its
 *       last convolution without residual and ReLU.
 * </ul>
 *
 * <p>Row counts: the primitives of a row count are created when a call first needs them, but oneDNN may pick a
 * different weight layout per row count (on AVX2, the 1x1 convolution's output-channel block changes with the rows, and
 * a convolution forced onto another block falls back to oneDNN's reference implementation; the matmul's packed layout
 * did not change with the rows), so every row count (patch bucket, row bucket) a call can create is listed and the
 * backend keeps each distinct layout once. Stateless and thread-safe.
 */
final class SparseLayouts {

    /**
     * A weight-reading primitive of a sparse path.
     *
     * @param conv the convolution whose weights it reads
     * @param conv2Matrix whether it reads the {@code (9 C1, C2)} matrix of {@code conv} ({@link Conv2Matrices})
     *     rather than {@code conv} itself
     * @param shape the primitive's shape
     */
    record Use(FoldedConv conv, boolean conv2Matrix, WeightShape shape) {}

    private SparseLayouts() {}

    /**
     * Lists the sparse paths' weight-reading primitives of a plan at a batch size, each once.
     *
     * @param plan the plan
     * @param batch the batch size, at least 1
     * @param schedules the backend's spatial schedules
     * @return the primitives, by block
     */
    static List<Use> of(InferencePlan plan, int batch, Set<SpatialSchedule> schedules) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        }
        Set<Use> uses = new LinkedHashSet<>();
        for (BlockPlan b : plan.blocks()) {
            List<ExecutionPath> paths = ExecutionPath.candidates(b, schedules);
            for (ExecutionPath p : paths) {
                if (p.isSpatial()) {
                    spatial(uses, b, batch, p.schedule());
                } else {
                    for (int n = 1; n < batch; n++) {
                        subBatch(uses, b, n);
                    }
                }
            }
        }
        return new ArrayList<>(uses);
    }

    // ------------------------------------------------------------------------------------------------ shapes

    /** The HALO schedule's conv1: a matmul with ReLU on the rows of {@code windows} gathered {@code t x t} windows. */
    static MatmulShape haloConv1(FoldedConv c1, int windows, int t) {
        return new MatmulShape(windows * t * t, c1.inChannels(), c1.outChannels(), false, true);
    }

    /** The WINDOWS schedule's conv1: the dense fused convolution without padding (a 1x1 conv has none). */
    static ConvShape windowsConv1(FoldedConv c1, int batch, int height, int width) {
        return ConvShape.of(c1, 0, batch, height, width, false, true);
    }

    /** conv2 with ReLU over {@code windows} gathered {@code t x t} windows, without padding. */
    static ConvShape windowsConv2(FoldedConv c2, int windows, int t) {
        return ConvShape.of(c2, 0, windows, t, t, false, true);
    }

    /** conv3 on the rows of {@code patches} {@code s x s} patch outputs, the residual sum and ReLU fused. */
    static MatmulShape conv3Rows(FoldedConv c3, int patches, int s) {
        return new MatmulShape(patches * s * s, c3.inChannels(), c3.outChannels(), true, true);
    }

    /**
     * An ungrouped 1x1 convolution of {@code in} to {@code out} channels over a {@code (1, in, rows, 1)} column of rows
     * ({@link OneDnnKernels#convRows}).
     */
    static ConvShape rows(int in, int out, int rows, boolean relu) {
        return new ConvShape(out, in, 1, 1, 0, 1, 1, rows, 1, false, relu, false);
    }

    // ------------------------------------------------------------------------------------------------ paths

    private static void spatial(Set<Use> uses, BlockPlan b, int batch, SpatialSchedule schedule) {
        BlockGeometry g = b.geometry();
        SpatialGeometry sg = SpatialGeometry.of(g.inHeight(), g.inWidth(), g.conv2Stride(), b.granularity());
        FoldedConv c1 = b.conv1();
        FoldedConv c2 = b.conv2();
        FoldedConv c3 = b.conv3();
        int t = sg.windowSize();
        int s = sg.cellSize();
        int maxPatches = batch * sg.gridSize() * sg.gridSize();
        List<Integer> buckets = patchBuckets(maxPatches);
        boolean windowsConv2 = schedule != SpatialSchedule.ROWS || c2.groups() != 1;
        switch (schedule) {
            case HALO -> buckets.forEach(pb -> uses.add(new Use(c1, false, haloConv1(c1, pb, t))));
            case WINDOWS -> uses.add(new Use(c1, false, windowsConv1(c1, batch, g.inHeight(), g.inWidth())));
            case ROWS -> {
                int pixels = batch * g.inHeight() * g.inWidth();
                for (int rows : conv1RowCounts(pixels, minWindowPixels(sg))) {
                    uses.add(new Use(c1, false, rows(c1.inChannels(), c1.outChannels(), rows, true)));
                }
                if (!windowsConv2) {
                    Set<Integer> counts = new LinkedHashSet<>();
                    for (int p = 1; p <= maxPatches; p++) {
                        counts.add(RowsConv.conv2Rows(p, s));
                    }
                    for (int rows : counts) {
                        uses.add(new Use(c2, true, rows(9 * c2.inChannels(), c2.outChannels(), rows, true)));
                    }
                }
            }
            default -> throw new IllegalStateException("no oneDNN layouts for the " + schedule + " schedule");
        }
        if (windowsConv2) {
            buckets.forEach(pb -> uses.add(new Use(c2, false, windowsConv2(c2, pb, t))));
        }
        SqueezeExcitationPlan se = b.squeezeExcitation();
        if (se != null) {
            uses.add(new Use(se.fc1(), false, ConvShape.of(se.fc1(), se.fc1().padding(), batch, 1, 1, false, true)));
            uses.add(new Use(se.fc2(), false, ConvShape.of(se.fc2(), se.fc2().padding(), batch, 1, 1, false, false)));
        }
        buckets.forEach(pb -> uses.add(new Use(c3, false, conv3Rows(c3, pb, s))));
    }

    /** The full branch on {@code n} samples, as a group of a LAYER or channel call runs it. */
    private static void subBatch(Set<Use> uses, BlockPlan b, int n) {
        BlockGeometry g = b.geometry();
        FoldedConv c1 = b.conv1();
        FoldedConv c2 = b.conv2();
        int h = g.inHeight();
        int w = g.inWidth();
        uses.add(new Use(c1, false, ConvShape.of(c1, c1.padding(), n, h, w, false, true)));
        int h1 = c1.outSize(h);
        int w1 = c1.outSize(w);
        if (b.conv3() == null) {
            uses.add(new Use(c2, false, ConvShape.of(c2, c2.padding(), n, h1, w1, false, false)));
            return;
        }
        uses.add(new Use(c2, false, ConvShape.of(c2, c2.padding(), n, h1, w1, false, true)));
        SqueezeExcitationPlan se = b.squeezeExcitation();
        if (se != null) {
            uses.add(new Use(se.fc1(), false, ConvShape.of(se.fc1(), se.fc1().padding(), n, 1, 1, false, true)));
            uses.add(new Use(se.fc2(), false, ConvShape.of(se.fc2(), se.fc2().padding(), n, 1, 1, false, false)));
        }
        FoldedConv c3 = b.conv3();
        uses.add(new Use(c3, false, ConvShape.of(c3, c3.padding(), n, c2.outSize(h1), c2.outSize(w1), false, false)));
    }

    /** The distinct {@link OneDnnKernels#bucket patch buckets} of {@code 1 .. maxPatches} patches, ascending. */
    static List<Integer> patchBuckets(int maxPatches) {
        Set<Integer> r = new LinkedHashSet<>();
        for (int p = 1; p <= maxPatches; p++) {
            r.add(OneDnnKernels.bucket(p));
        }
        return new ArrayList<>(r);
    }

    /**
     * The distinct row counts of the ROWS schedule's conv1 ({@link RowsConv#conv1Rows}) for every M1 pixel count from
     * {@code minPixels} (one patch's window) to {@code pixels} (every pixel), ascending.
     */
    static List<Integer> conv1RowCounts(int pixels, int minPixels) {
        Set<Integer> r = new LinkedHashSet<>();
        for (int k = Math.max(1, Math.min(minPixels, pixels)); k <= pixels; k++) {
            r.add(RowsConv.conv1Rows(k, pixels));
        }
        return new ArrayList<>(r);
    }

    /** The fewest input pixels a single patch's window covers inside the image (a corner or last-row window). */
    static int minWindowPixels(SpatialGeometry g) {
        return minInside(g, g.inHeight()) * minInside(g, g.inWidth());
    }

    private static int minInside(SpatialGeometry g, int side) {
        int t = g.windowSize();
        int min = Integer.MAX_VALUE;
        for (int i = 0; i < g.gridSize(); i++) {
            int origin = g.windowOrigin(i);
            min = Math.min(min, Math.min(side, origin + t) - Math.max(0, origin));
        }
        return min;
    }
}
