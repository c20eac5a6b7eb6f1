package org.laudnet.onednn;

import static org.laudnet.onednn.TestTensors.assertClose;
import static org.laudnet.onednn.TestTensors.conv;
import static org.laudnet.onednn.TestTensors.random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialGeometry;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.exec.reference.ReferenceOps;
import org.laudnet.core.plan.FoldedConv;

/**
 * The spatial sparse path with conv3, the residual sum and the block's ReLU fused into one matmul on the active rows
 * ({@link OneDnnKernels#patchConv1x1Add}), against the masked-dense reference
 * {@code y = ReLU(identity + conv3(conv2(conv1(x))))} at active cells and {@code ReLU(identity)} elsewhere: a projected
 * shortcut with stride 2 and an identity shortcut, edge cells cut by the map's border, empty, full, single-cell and
 * random masks, batch 1 and 3, both spatial schedules. The accumulator must already hold the block output before
 * {@code spatialEnd} (no separate add or ReLU pass).
 */
class OneDnnFusedSpatialTest {

    private static OneDnnBackend backend;

    @BeforeAll
    static void open() {
        backend = OneDnnBackend.create();
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** A block: input channels and side, conv1 width, output channels, conv2 stride and groups, cell size. */
    private record Block(String name, int cin, int side, int width, int cout, int stride, int groups, int cell,
            boolean projection) {}

    private static final Block[] BLOCKS = {
        new Block("projection shortcut, stride 2", 16, 14, 8, 32, 2, 2, 2, true),
        new Block("identity shortcut, stride 1", 32, 7, 8, 32, 1, 1, 2, false),
        new Block("identity shortcut, single-row cells", 24, 6, 16, 24, 1, 4, 1, false),
    };

    @Test
    void fusedConv3MatchesTheMaskedDenseReference() {
        for (Block blk : BLOCKS) {
            FoldedConv c1 = conv(blk.width, blk.cin, 1, 1, 0, 1, 1);
            FoldedConv c2 = conv(blk.width, blk.width, 3, blk.stride, 1, blk.groups, 2);
            FoldedConv c3 = conv(blk.cout, blk.width, 1, 1, 0, 1, 3);
            FoldedConv ds = blk.projection ? conv(blk.cout, blk.cin, 1, blk.stride, 0, 1, 4) : null;
            SpatialGeometry g = SpatialGeometry.of(blk.side, blk.side, blk.stride, blk.cell);
            for (int batch : new int[] {1, 3}) {
                Nchw xs = new Nchw(batch, blk.cin, blk.side, blk.side);
                float[] x = random(xs.size(), 10 + batch);
                for (int[] mask : masks(batch, g.gridSize(), 20 + batch)) {
                    float[] want = maskedDense(x, xs, c1, c2, c3, ds, g, mask);
                    for (SpatialSchedule schedule : backend.spatialSchedules()) {
                        String what = blk.name + ", batch " + batch + ", " + active(mask) + " active cells, "
                                + schedule;
                        assertClose(want, run(x, xs, c1, c2, c3, ds, g, mask, schedule), 1e-5, what);
                    }
                }
            }
        }
    }

    @Test
    void anAccumulatorWithoutItsIdentityIsRefused() {
        FoldedConv c3 = conv(8, 4, 1, 1, 0, 1, 5);
        SpatialGeometry g = SpatialGeometry.of(4, 4, 1, 2);
        PatchPlan plan = PatchPlan.fromMask(new int[] {1, 0, 0, 0}, 1, g);
        Nchw os = plan.outputShape(8);
        try (Kernels<DnnlTensor> k = backend.newKernels(); Kernels.Scope<DnnlTensor> s = k.openScope()) {
            DnnlTensor patches = k.importHost(new float[4 * 4], new Nchw(1, 4, 2, 2));
            DnnlTensor notAnAccumulator = k.importHost(new float[os.size()], os);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.patchConv1x1Add(patches, plan, backend.upload(c3), notAnAccumulator));
            assertTrue(e.getMessage().contains("spatialBegin"), e.getMessage());
        }
    }

    /** The block through the kernels, in the order of the engine's spatial path. */
    private static float[] run(float[] x, Nchw xs, FoldedConv c1, FoldedConv c2, FoldedConv c3, FoldedConv ds,
            SpatialGeometry g, int[] mask, SpatialSchedule schedule) {
        PatchPlan plan = PatchPlan.fromMask(mask, xs.batch(), g);
        Nchw os = plan.outputShape(c3.outChannels());
        try (Kernels<DnnlTensor> k = backend.newKernels(); Kernels.Scope<DnnlTensor> s = k.openScope()) {
            DnnlTensor xt = k.importHost(x, xs);
            DnnlTensor identity = ds == null ? xt : k.conv(xt, xs, backend.upload(ds), null, false);
            DnnlTensor acc = k.spatialBegin(identity, os);
            if (plan.patchCount() > 0) {
                DnnlTensor windows = k.windowsConv1(xt, xs, plan, backend.upload(c1), schedule);
                DnnlTensor patches = k.patchConv3x3Relu(windows, plan, backend.upload(c2));
                k.patchConv1x1Add(patches, plan, backend.upload(c3), acc);
            }
            float[] before = k.exportHost(acc, os.size());
            DnnlTensor y = k.spatialEnd(acc, os);
            assertSame(acc, y, "the accumulator is the output");
            float[] out = k.exportHost(y, os.size());
            assertClose(before, out, 0, "the output before and after spatialEnd");
            return out;
        }
    }

    /** {@code ReLU(identity + conv3(conv2(conv1(x))))} at active cells, {@code ReLU(identity)} elsewhere. */
    private static float[] maskedDense(float[] x, Nchw xs, FoldedConv c1, FoldedConv c2, FoldedConv c3,
            FoldedConv ds, SpatialGeometry g, int[] mask) {
        float[] identity = ds == null ? x : ReferenceOps.conv2d(x, xs, ds, null, false);
        float[] h1 = ReferenceOps.conv2d(x, xs, c1, null, true);
        Nchw s1 = ReferenceOps.convOutputShape(xs, c1);
        float[] h2 = ReferenceOps.conv2d(h1, s1, c2, null, true);
        Nchw s2 = ReferenceOps.convOutputShape(s1, c2);
        float[] full = ReferenceOps.conv2d(h2, s2, c3, identity, true);
        Nchw os = ReferenceOps.convOutputShape(s2, c3);
        float[] y = ReferenceOps.relu(identity, os);
        int m = g.gridSize();
        int hw = os.height() * os.width();
        for (int b = 0; b < os.batch(); b++) {
            for (int c = 0; c < os.channels(); c++) {
                for (int oy = 0; oy < os.height(); oy++) {
                    for (int ox = 0; ox < os.width(); ox++) {
                        if (mask[(b * m + oy / g.cellSize()) * m + ox / g.cellSize()] != 0) {
                            int at = (b * os.channels() + c) * hw + oy * os.width() + ox;
                            y[at] = full[at];
                        }
                    }
                }
            }
        }
        return y;
    }

    /** Empty, full, one cell (the last, cut by the border where the map is uneven), one random and a checkerboard. */
    private static List<int[]> masks(int batch, int m, long seed) {
        List<int[]> list = new ArrayList<>();
        int n = batch * m * m;
        list.add(new int[n]);
        int[] full = new int[n];
        java.util.Arrays.fill(full, 1);
        list.add(full);
        int[] single = new int[n];
        single[n - 1] = 1;
        list.add(single);
        int[] random = new int[n];
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) {
            random[i] = r.nextInt(2);
        }
        list.add(random);
        int[] checker = new int[n];
        for (int i = 0; i < n; i++) {
            checker[i] = (i / m + i % m) % 2;
        }
        list.add(checker);
        return list;
    }

    private static int active(int[] mask) {
        int n = 0;
        for (int v : mask) {
            n += v != 0 ? 1 : 0;
        }
        return n;
    }
}
