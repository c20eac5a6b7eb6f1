package org.laudnet.onednn;

import static org.laudnet.onednn.TestTensors.assertClose;
import static org.laudnet.onednn.TestTensors.conv;
import static org.laudnet.onednn.TestTensors.random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialGeometry;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.exec.reference.ReferenceOps;
import org.laudnet.core.plan.FoldedConv;

/**
 * The ROWS schedule of the oneDNN kernels ({@link RowsConv}, {@link RowsIndex}, {@link Conv2Matrices}) against a
 * masked-dense block computed with {@link ReferenceOps}: dense conv1, padded conv2, the squeeze-excitation factors on
 * the means over the computed positions, conv3 added to the identity at the active cells only. Covers random masks, a
 * full mask, a single active cell (corner and centre), the image border cells, a sample without cells in a batch,
 * stride 2, cells that do not divide the output (partial border cells), batch 1 and 3, grouped and ungrouped conv2;
 * and the index tables, the row buckets, the primitive cache and the sharing of conv2's matrix.
 */
class OneDnnRowsTest {

    private static OneDnnBackend backend;

    @BeforeAll
    static void open() {
        backend = OneDnnBackend.create();
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    /** One block shape: input side, stride, cell side, batch, conv2 groups. */
    private record Shape(int side, int stride, int cell, int batch, int groups) {}

    /** Named masks {@code (B, m, m)} for a grid of side {@code m}. */
    private static List<Object[]> masks(int batch, int m, long seed) {
        List<Object[]> out = new ArrayList<>();
        Random r = new Random(seed);
        int[] rand = new int[batch * m * m];
        for (int i = 0; i < rand.length; i++) {
            rand[i] = r.nextInt(2);
        }
        rand[0] = 1; // at least one patch
        out.add(new Object[] {"random", rand});
        int[] full = new int[batch * m * m];
        java.util.Arrays.fill(full, 1);
        out.add(new Object[] {"full", full});
        int[] single = new int[batch * m * m];
        for (int b = 0; b < batch; b++) {
            int cell = b % 3 == 0 ? 0 : b % 3 == 1 ? m * m - 1 : (m / 2) * m + m / 2; // corner, corner, centre
            single[b * m * m + cell] = 1;
        }
        out.add(new Object[] {"single cell", single});
        int[] border = new int[batch * m * m];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < m; j++) {
                    border[(b * m + i) * m + j] = i == 0 || j == 0 || i == m - 1 || j == m - 1 ? 1 : 0;
                }
            }
        }
        out.add(new Object[] {"border cells", border});
        if (batch > 1) {
            int[] gap = rand.clone();
            java.util.Arrays.fill(gap, m * m, 2 * m * m, 0);
            out.add(new Object[] {"second sample without cells", gap});
        }
        return out;
    }

    @Test
    void rowsBlocksMatchTheMaskedDenseReference() {
        int cin = 24;
        int c1 = 16;
        int cout = 24;
        Shape[] shapes = {
            new Shape(12, 1, 4, 1, 1), new Shape(12, 1, 4, 3, 1), new Shape(13, 2, 2, 3, 1), new Shape(14, 1, 4, 3, 2),
            new Shape(11, 2, 3, 1, 2), new Shape(9, 1, 3, 1, 1), new Shape(10, 2, 1, 3, 1), new Shape(7, 1, 7, 3, 4)};
        int n = 0;
        for (Shape sh : shapes) {
            SpatialGeometry g = SpatialGeometry.of(sh.side, sh.side, sh.stride, sh.cell);
            int m = g.gridSize();
            long seed = 100L * n++;
            FoldedConv f1 = conv(c1, cin, 1, 1, 0, 1, seed + 1);
            FoldedConv f2 = conv(c1, c1, 3, sh.stride, 1, sh.groups, seed + 2);
            FoldedConv f3 = conv(cout, c1, 1, 1, 0, 1, seed + 3);
            ConvWeights w1 = backend.upload(f1);
            ConvWeights w2 = backend.upload(f2);
            ConvWeights w3 = backend.upload(f3);
            Nchw xs = new Nchw(sh.batch, cin, sh.side, sh.side);
            float[] x = random(xs.size(), seed + 4);
            Nchw os = new Nchw(sh.batch, cout, g.outHeight(), g.outWidth());
            float[] identity = random(os.size(), seed + 5);
            float[] seLogits = random(sh.batch * c1, seed + 6);
            for (Object[] mk : masks(sh.batch, m, seed + 7)) {
                int[] mask = (int[]) mk[1];
                String what = sh + ", " + mk[0];
                PatchPlan plan = PatchPlan.fromMask(mask, sh.batch, g);
                for (int variant = 0; variant < 3; variant++) {
                    boolean se = variant == 1;
                    // variant 2: a non-negative identity handed over, accumulated in place
                    boolean inPlace = variant == 2;
                    float[] id = inPlace ? abs(identity) : identity;
                    float[][] want = maskedDense(x, xs, f1, f2, f3, id, mask, g, se ? seLogits : null);
                    try (Kernels<DnnlTensor> k = backend.newKernels(); Kernels.Scope<DnnlTensor> s = k.openScope()) {
                        DnnlTensor idt = k.importHost(id, os);
                        DnnlTensor acc = inPlace ? k.spatialBeginInPlace(idt, os) : k.spatialBegin(idt, os);
                        assertEquals(inPlace, acc == idt, what + ": in place");
                        DnnlTensor rows = k.windowsConv1(k.importHost(x, xs), xs, plan, w1, SpatialSchedule.ROWS);
                        assertEquals(1, rows.shape.width(), "M1 rows are marked by their width 1");
                        DnnlTensor p = k.patchConv3x3Relu(rows, plan, w2);
                        assertClose(want[1], k.exportHost(k.patchMeans(p, plan, c1), sh.batch * c1), 1e-5,
                                what + ": patch means");
                        if (se) {
                            p = k.scalePatchesSigmoid(p, plan, c1,
                                    k.importHost(seLogits, new Nchw(sh.batch, c1, 1, 1)));
                        }
                        k.patchConv1x1Add(p, plan, w3, acc);
                        assertClose(want[0], k.exportHost(k.spatialEnd(acc, os), os.size()), 1e-5,
                                what + (se ? ", squeeze-excitation" : "") + (inPlace ? ", in place" : "")
                                        + ": block output");
                    }
                }
            }
        }
    }

    private static float[] abs(float[] v) {
        float[] a = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            a[i] = Math.abs(v[i]);
        }
        return a;
    }

    /**
     * The masked-dense block: {@code ReLU(identity + M2 conv3(SE(ReLU(conv2(ReLU(conv1(x)))))))} with {@code M2} the
     * active cells' output pixels; also the per-sample means of conv2's output over {@code M2} (before the SE).
     */
    private static float[][] maskedDense(float[] x, Nchw xs, FoldedConv f1, FoldedConv f2, FoldedConv f3,
            float[] identity, int[] mask, SpatialGeometry g, float[] seLogits) {
        float[] h1 = ReferenceOps.conv2d(x, xs, f1, null, true);
        Nchw h1s = xs.withChannels(f1.outChannels());
        float[] h2 = ReferenceOps.conv2d(h1, h1s, f2, null, true);
        Nchw h2s = ReferenceOps.convOutputShape(h1s, f2);
        int b = xs.batch();
        int c2 = h2s.channels();
        int ho = h2s.height();
        int wo = h2s.width();
        int m = g.gridSize();
        int s = g.cellSize();
        float[] means = new float[b * c2];
        for (int n = 0; n < b; n++) {
            int count = 0;
            double[] sum = new double[c2];
            for (int y = 0; y < ho; y++) {
                for (int xx = 0; xx < wo; xx++) {
                    if (mask[(n * m + y / s) * m + xx / s] == 0) {
                        continue;
                    }
                    count++;
                    for (int c = 0; c < c2; c++) {
                        sum[c] += h2[((n * c2 + c) * ho + y) * wo + xx];
                    }
                }
            }
            for (int c = 0; c < c2; c++) {
                means[n * c2 + c] = (float) (sum[c] / Math.max(count, 1));
            }
        }
        if (seLogits != null) {
            h2 = ReferenceOps.scaleChannels(h2, h2s, seLogits, true);
        }
        float[] h3 = ReferenceOps.conv2d(h2, h2s, f3, null, false);
        int cout = f3.outChannels();
        float[] out = new float[identity.length];
        for (int n = 0; n < b; n++) {
            for (int c = 0; c < cout; c++) {
                for (int y = 0; y < ho; y++) {
                    for (int xx = 0; xx < wo; xx++) {
                        int i = ((n * cout + c) * ho + y) * wo + xx;
                        float v = identity[i] + (mask[(n * m + y / s) * m + xx / s] != 0 ? h3[i] : 0f);
                        out[i] = Math.max(v, 0f);
                    }
                }
            }
        }
        return new float[][] {out, means};
    }

    @Test
    void theIndexListsTheDilatedMaskAndItsIm2col() {
        // 8 x 8 input, stride 1, S = 2: patch (0, 1, 2) reads rows 1..4 and columns 3..6
        SpatialGeometry g = SpatialGeometry.of(8, 8, 1, 2);
        int[] mask = new int[16];
        mask[1 * 4 + 2] = 1;
        RowsIndex idx = RowsIndex.of(PatchPlan.fromMask(mask, 1, g));
        assertEquals(16, idx.m1Count());
        assertEquals(false, idx.full());
        assertEquals(32, idx.m1Capacity(), "17 rows, bucketed");
        // M1 rows: channel 0 of the input holds the pixel number; gather with width 1
        java.nio.FloatBuffer x = java.nio.FloatBuffer.allocate(64);
        for (int i = 0; i < 64; i++) {
            x.put(i, i);
        }
        java.nio.FloatBuffer m1 = java.nio.FloatBuffer.allocate(17);
        idx.gatherM1(x, m1, 1);
        for (int r = 0; r < 16; r++) {
            assertEquals((1 + r / 4) * 8 + 3 + r % 4, m1.get(r), "M1 row " + r);
        }
        m1.put(16, -1f); // the zero row, marked
        java.nio.FloatBuffer cols = java.nio.FloatBuffer.allocate(4 * 9);
        idx.gatherIm2col(m1, cols, 1);
        for (int sy = 0; sy < 2; sy++) {
            for (int sx = 0; sx < 2; sx++) {
                for (int tap = 0; tap < 9; tap++) {
                    float want = (2 + sy + tap / 3 - 1) * 8 + 4 + sx + tap % 3 - 1;
                    assertEquals(want, cols.get((sy * 2 + sx) * 9 + tap), "im2col " + sy + "," + sx + " tap " + tap);
                }
            }
        }
        // a corner patch reads outside the image: the zero row
        int[] corner = new int[16];
        corner[0] = 1;
        RowsIndex c = RowsIndex.of(PatchPlan.fromMask(corner, 1, g));
        assertEquals(9, c.m1Count());
        java.nio.FloatBuffer m1c = java.nio.FloatBuffer.allocate(10);
        c.gatherM1(x, m1c, 1);
        m1c.put(9, -1f);
        java.nio.FloatBuffer colsc = java.nio.FloatBuffer.allocate(36);
        c.gatherIm2col(m1c, colsc, 1);
        assertEquals(-1f, colsc.get(0), "tap (0, 0) of output (0, 0) lies outside the image");
        assertEquals(0f, colsc.get(4), "tap (1, 1) of output (0, 0) is pixel (0, 0)");
        // every cell open: M1 is the whole map
        int[] all = new int[2 * 16];
        java.util.Arrays.fill(all, 1);
        RowsIndex f = RowsIndex.of(PatchPlan.fromMask(all, 2, g));
        assertTrue(f.full());
        assertEquals(128, f.m1Count());
        assertEquals(129, f.m1Capacity());
    }

    @Test
    void rowBucketsRoundUpWithFewShapes() {
        int[][] want = {{1, 16}, {16, 16}, {17, 32}, {98, 112}, {256, 256}, {257, 272}, {600, 608}, {3137, 3200}};
        for (int[] w : want) {
            assertEquals(w[1], RowsIndex.rowBucket(w[0]), "bucket of " + w[0]);
        }
        java.util.Set<Integer> buckets = new java.util.HashSet<>();
        for (int r = 1; r <= 4096; r++) {
            int b = RowsIndex.rowBucket(r);
            assertTrue(b >= r && b < r * 1.0625 + 16, "bucket of " + r + ": " + b);
            buckets.add(b);
        }
        assertTrue(buckets.size() <= 16 * 5 + 1, "few buckets up to 4096 rows: " + buckets.size());
        assertThrows(IllegalArgumentException.class, () -> RowsIndex.rowBucket(0));
    }

    @Test
    void conv2MatrixIsSharedAndARepeatedPlanCreatesNothing() {
        SpatialGeometry g = SpatialGeometry.of(10, 10, 1, 2);
        FoldedConv f1 = conv(16, 8, 1, 1, 0, 1, 1);
        FoldedConv f2 = conv(16, 16, 3, 1, 1, 1, 2);
        OneDnnWeights w1 = (OneDnnWeights) backend.upload(f1);
        OneDnnWeights w2 = (OneDnnWeights) backend.upload(f2);
        OneDnnWeights matrix = Conv2Matrices.shared(w2, backend);
        assertSame(matrix, Conv2Matrices.shared(w2, backend), "one matrix per conv2");
        assertEquals(144, matrix.spec().inChannels());
        assertSame(matrix, Conv2Matrices.shared((OneDnnWeights) backend.upload(f2), backend),
                "uploading the same conv again returns the same weights, hence the same matrix");
        FoldedConv f2copy = conv(16, 16, 3, 1, 1, 1, 2);
        assertNotSame(matrix, Conv2Matrices.shared((OneDnnWeights) backend.upload(f2copy), backend),
                "another conv2 gets its own matrix");
        Nchw xs = new Nchw(1, 8, 10, 10);
        float[] x = random(xs.size(), 3);
        int[] mask = new int[25];
        Random r = new Random(4);
        for (int i = 0; i < 25; i++) {
            mask[i] = r.nextInt(2);
        }
        try (OneDnnKernels k = (OneDnnKernels) backend.newKernels()) {
            long primitives = 0;
            long allocations = 0;
            for (int call = 0; call < 4; call++) {
                try (Kernels.Scope<DnnlTensor> s = k.openScope()) {
                    PatchPlan plan = PatchPlan.fromMask(mask, 1, g);
                    k.patchConv3x3Relu(k.windowsConv1(k.importHost(x, xs), xs, plan, w1, SpatialSchedule.ROWS), plan,
                            w2);
                }
                if (call == 1) {
                    primitives = k.primitivesCreated();
                    allocations = k.allocations();
                }
            }
            assertEquals(primitives, k.primitivesCreated(), "no primitive created by a repeated call");
            assertEquals(allocations, k.allocations(), "no buffer allocated by a repeated call");
        }
        assertEquals(1, matrix.layoutCount(), "the matrix is reordered once");
    }

    @Test
    void aTemporaryConv2GivesTheSameRowsAsAnUploadedOne() {
        SpatialGeometry g = SpatialGeometry.of(9, 9, 2, 2);
        int[] mask = {1, 0, 1, 0, 1, 1, 0, 0, 1};
        PatchPlan plan = PatchPlan.fromMask(mask, 1, g);
        FoldedConv f1 = conv(16, 8, 1, 1, 0, 1, 21);
        FoldedConv f2 = conv(24, 16, 3, 2, 1, 1, 22);
        Nchw xs = new Nchw(1, 8, 9, 9);
        float[] x = random(xs.size(), 23);
        int n = OneDnnKernels.bucket(plan.patchCount()) * 4 * 24;
        float[][] out = new float[2][];
        try (Kernels<DnnlTensor> k = backend.newKernels()) {
            for (int i = 0; i < 2; i++) {
                try (Kernels.Scope<DnnlTensor> s = k.openScope()) {
                    ConvWeights w2 = i == 0 ? backend.upload(f2) : k.temporary(f2);
                    DnnlTensor p = k.patchConv3x3Relu(k.windowsConv1(k.importHost(x, xs), xs, plan,
                            backend.upload(f1), SpatialSchedule.ROWS), plan, w2);
                    out[i] = java.util.Arrays.copyOf(p.values(), plan.patchCount() * 4 * 24);
                    assertEquals(n, p.shape.size());
                }
            }
        }
        assertClose(out[0], out[1], 0, "temporary conv2");
    }

    @Test
    void badArgumentsAreNamed() {
        SpatialGeometry g = SpatialGeometry.of(8, 8, 1, 2);
        int[] mask = new int[16];
        mask[5] = 1;
        PatchPlan plan = PatchPlan.fromMask(mask, 1, g);
        Nchw xs = new Nchw(1, 8, 8, 8);
        FoldedConv f1 = conv(16, 8, 1, 1, 0, 1, 1);
        try (Kernels<DnnlTensor> k = backend.newKernels(); Kernels.Scope<DnnlTensor> s = k.openScope()) {
            DnnlTensor rows = k.windowsConv1(k.importHost(random(xs.size(), 1), xs), xs, plan, backend.upload(f1),
                    SpatialSchedule.ROWS);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.patchConv3x3Relu(rows, plan, backend.upload(conv(16, 8, 3, 1, 1, 1, 2))));
            assertTrue(e.getMessage().contains("M1 rows"), e.getMessage());
            int[] other = new int[16];
            java.util.Arrays.fill(other, 1);
            e = assertThrows(IllegalArgumentException.class, () -> k.patchConv3x3Relu(rows,
                    PatchPlan.fromMask(other, 1, g), backend.upload(conv(16, 16, 3, 1, 1, 1, 2))));
            assertTrue(e.getMessage().contains("M1 rows"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Conv2Matrices.matrixOf(conv(16, 16, 3, 1, 1, 2, 3)));
            assertTrue(e.getMessage().contains("ungrouped 3x3"), e.getMessage());
        }
    }
}
