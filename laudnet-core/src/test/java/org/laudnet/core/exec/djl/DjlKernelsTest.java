package org.laudnet.core.exec.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.laudnet.core.exec.djl.DjlNaive.assertClose;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialCells;
import org.laudnet.core.exec.SpatialGeometry;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.exec.reference.ReferenceOps;
import org.laudnet.core.plan.FoldedConv;

class DjlKernelsTest {

    private static final double TOL = 1e-4;

    private static NDManager base;
    private static DjlBackend backend;
    private DjlKernels k;

    @BeforeAll
    static void setUpBackend() {
        base = NDManager.newBaseManager();
        backend = DjlBackend.create(base);
    }

    @AfterAll
    static void closeBackend() {
        backend.close();
        base.close();
    }

    @BeforeEach
    void setUp() {
        k = (DjlKernels) backend.newKernels();
    }

    @AfterEach
    void tearDown() {
        k.close();
    }

    private static NDArray array(float[] v, Nchw s) {
        return base.create(v, new Shape(s.batch(), s.channels(), s.height(), s.width()));
    }

    private float[] values(NDArray t) {
        return k.exportHost(t, (int) t.size());
    }

    private static int[] mask(Random r, int n, double density) {
        int[] m = new int[n];
        for (int i = 0; i < n; i++) {
            m[i] = r.nextDouble() < density ? 1 : 0;
        }
        return m;
    }

    private static SpatialCells cells(Random r, int batch, int groups, int m, int s, double density) {
        float[] c = new float[batch * groups * m * m];
        for (int i = 0; i < c.length; i++) {
            c[i] = r.nextDouble() < density ? 1f : 0f;
        }
        return new SpatialCells(c, batch, groups, m, s);
    }

    // ------------------------------------------------------------------------------------------------ backend

    @Test
    void backendDescribesItselfAndSharesUploads() throws Exception {
        assertEquals("djl-cpu", backend.id());
        assertTrue(backend.description().contains("PyTorch"), backend.description());
        assertTrue(backend.description().contains("intra-op threads"), backend.description());
        assertEquals(EnumSet.of(SpatialSchedule.WINDOWS, SpatialSchedule.M1, SpatialSchedule.ROWS),
                backend.spatialSchedules());
        FoldedConv c = DjlNaive.conv(new Random(1), 6, 4, 1, 1, 0, 1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<ConvWeights>> fs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Callable<ConvWeights> up = () -> backend.upload(c);
                fs.add(pool.submit(up));
            }
            ConvWeights first = fs.get(0).get();
            for (Future<ConvWeights> f : fs) {
                assertSame(first, f.get());
            }
            assertSame(c, first.spec());
            DjlConvWeights d = (DjlConvWeights) first;
            assertEquals(new Shape(6, 4, 1, 1), d.weight().getShape());
            assertEquals(new Shape(6, 4), d.matrix().getShape());
            assertArrayEquals(c.weight(), d.matrix().toFloatArray());
            assertArrayEquals(c.bias(), d.bias().toFloatArray());
        } finally {
            pool.shutdown();
        }
        assertThrows(IllegalArgumentException.class, () -> backend.upload(null));
        assertThrows(IllegalArgumentException.class, () -> DjlBackend.create(null));
    }

    @Test
    void closedBackendRefusesWork() {
        try (NDManager m = NDManager.newBaseManager()) {
            DjlBackend b = DjlBackend.create(m);
            Kernels<NDArray> kk = b.newKernels();
            b.close();
            assertThrows(IllegalStateException.class, b::newKernels);
            assertThrows(IllegalStateException.class, () -> b.upload(DjlNaive.conv(new Random(2), 2, 2, 1, 1, 0, 1)));
            kk.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ dense

    static Stream<Arguments> convCases() {
        return Stream.of(
                Arguments.of(2, 4, 6, 7, 3, 1, 1, 1),
                Arguments.of(2, 4, 6, 9, 3, 2, 1, 2),
                Arguments.of(1, 5, 3, 7, 1, 1, 0, 1),
                Arguments.of(3, 5, 8, 9, 1, 2, 0, 1),
                Arguments.of(1, 3, 4, 9, 7, 2, 3, 1),
                Arguments.of(3, 6, 5, 1, 1, 1, 0, 1));
    }

    @ParameterizedTest
    @MethodSource("convCases")
    void convMatchesNaive(int batch, int in, int out, int side, int kernel, int stride, int padding, int groups) {
        Random r = new Random(7 + side * 31 + kernel);
        FoldedConv c = DjlNaive.conv(r, out, in, kernel, stride, padding, groups);
        Nchw xs = new Nchw(batch, in, side, side);
        float[] x = DjlNaive.random(r, xs.size());
        int o = c.outSize(side);
        Nchw ys = new Nchw(batch, out, o, o);
        float[] res = DjlNaive.random(r, ys.size());
        ConvWeights w = backend.upload(c);
        try (Kernels.Scope<NDArray> s = k.openScope()) {
            NDArray xa = k.importArray(array(x, xs), xs);
            NDArray ra = k.importHost(res, ys);
            assertClose(DjlNaive.conv(x, xs, c, null, false), values(k.conv(xa, xs, w, null, false)), TOL, "plain");
            assertClose(DjlNaive.conv(x, xs, c, null, true), values(k.conv(xa, xs, w, null, true)), TOL, "relu");
            NDArray y = k.conv(xa, xs, w, ra, true);
            assertEquals(new Shape(batch, out, o, o), y.getShape());
            assertClose(DjlNaive.conv(x, xs, c, res, true), values(y), TOL, "residual relu");
            assertClose(DjlNaive.conv(x, xs, c, res, false), values(k.conv(xa, xs, w, ra, false)), TOL, "residual");
            assertContiguous(y);
            assertArrayEquals(res, values(ra), "residual unchanged");
            assertArrayEquals(x, values(xa), "input unchanged");
        }
    }

    @Test
    void poolsMeanReluMatchNaive() {
        Random r = new Random(11);
        for (int side : new int[] {7, 9}) {
            Nchw xs = new Nchw(2, 3, side, side);
            float[] x = DjlNaive.random(r, xs.size());
            try (Kernels.Scope<NDArray> s = k.openScope()) {
                NDArray xa = k.importArray(array(x, xs), xs);
                NDArray mp = k.maxPool(xa, xs, 3, 2, 1);
                int o = (side + 2 - 3) / 2 + 1;
                assertEquals(new Shape(2, 3, o, o), mp.getShape());
                assertClose(DjlNaive.maxPool(x, xs, 3, 2, 1), values(mp), TOL, "maxPool 3/2/1");
                assertClose(DjlNaive.maxPool(x, xs, 2, 2, 0), values(k.maxPool(xa, xs, 2, 2, 0)), TOL, "maxPool 2");
                assertClose(DjlNaive.avgPool(x, xs, side == 9 ? 3 : 7),
                        values(k.avgPool(xa, xs, side == 9 ? 3 : 7)), TOL, "avgPool");
                NDArray mean = k.mean(xa, xs);
                assertEquals(new Shape(2, 3, 1, 1), mean.getShape());
                assertClose(DjlNaive.mean(x, xs), values(mean), TOL, "mean");
                assertClose(DjlNaive.relu(x), values(k.relu(xa, xs)), TOL, "relu");
                assertArrayEquals(x, values(xa));
            }
        }
    }

    @Test
    void scaleChannelsMatchesNaive() {
        Random r = new Random(12);
        Nchw hs = new Nchw(3, 4, 7, 7);
        float[] h = DjlNaive.random(r, hs.size());
        float[] f = DjlNaive.random(r, 12);
        Nchw fs = new Nchw(3, 4, 1, 1);
        for (boolean sigmoid : new boolean[] {false, true}) {
            try (Kernels.Scope<NDArray> s = k.openScope()) {
                NDArray fa = k.importHost(f, fs);
                NDArray ha = k.importHost(h, hs);
                NDArray y = k.scaleChannels(ha, hs, fa, sigmoid);
                assertClose(DjlNaive.scaleChannels(h, hs, f, sigmoid), values(y), TOL, "scale " + sigmoid);
                NDArray imported = array(h, hs);
                NDArray yi = k.scaleChannels(k.importArray(imported, hs), hs, fa, sigmoid);
                assertNotSame(imported, yi);
                assertClose(DjlNaive.scaleChannels(h, hs, f, sigmoid), values(yi), TOL, "scale of imported");
                assertArrayEquals(h, imported.toFloatArray(), "imported array unchanged");
                assertArrayEquals(f, values(fa));
            }
        }
    }

    static Stream<Arguments> maskCases() {
        return Stream.of(
                Arguments.of(1, 0.5), Arguments.of(2, 0.5), Arguments.of(1, 0.0), Arguments.of(2, 0.0),
                Arguments.of(1, 1.0), Arguments.of(2, 1.0), Arguments.of(2, 0.3));
    }

    @ParameterizedTest
    @MethodSource("maskCases")
    void maskedMeanAndFillInactiveMatchNaive(int groups, double density) {
        Random r = new Random(13 + groups);
        for (int[] geo : new int[][] {{7, 2, 4}, {9, 3, 3}, {7, 7, 1}}) {
            int side = geo[0];
            Nchw hs = new Nchw(3, 4, side, side);
            SpatialCells cells = cells(r, 3, groups, geo[2], geo[1], density);
            float[] h = DjlNaive.random(r, hs.size());
            float[] id = DjlNaive.random(r, hs.size());
            float[] out = DjlNaive.random(r, hs.size());
            try (Kernels.Scope<NDArray> s = k.openScope()) {
                NDArray ha = k.importArray(array(h, hs), hs);
                NDArray mm = k.maskedMean(ha, hs, cells);
                assertEquals(new Shape(3, 4, 1, 1), mm.getShape());
                assertClose(DjlNaive.maskedMean(h, hs, cells), values(mm), TOL, "maskedMean " + side);
                NDArray ida = k.importArray(array(id, hs), hs);
                NDArray oa = k.importHost(out, hs);
                k.fillInactiveRelu(ida, hs, cells, oa);
                assertClose(DjlNaive.fillInactive(id, hs, cells, out), values(oa), TOL, "fill " + side);
                assertArrayEquals(id, values(ida), "identity unchanged");
            }
        }
    }

    /**
     * The masks are expanded on the device from the cells: cells cut by the border, grids larger than the output
     * ({@code m S >= max(H, W)}, the rule every backend shares), non-square outputs, and mask groups that do not
     * divide the channels (only the union is averaged) all match the naive per-pixel rule, and bitwise for the fill.
     */
    @Test
    void maskedPrimitivesExpandCellsOfAnyCoveringGrid() {
        Random r = new Random(15);
        // {batch, channels, H, W, groups, m, S}
        int[][] cases = {{2, 4, 7, 7, 2, 4, 2}, {2, 4, 5, 5, 1, 4, 2}, {3, 6, 6, 4, 3, 2, 3}, {2, 4, 4, 7, 2, 3, 3},
            {1, 3, 9, 9, 1, 3, 3}, {2, 2, 3, 3, 2, 3, 1}};
        for (int[] c : cases) {
            Nchw hs = new Nchw(c[0], c[1], c[2], c[3]);
            String what = Arrays.toString(c);
            for (double density : new double[] {0.0, 0.4, 1.0}) {
                SpatialCells cells = cells(r, c[0], c[4], c[5], c[6], density);
                float[] h = DjlNaive.random(r, hs.size());
                float[] id = DjlNaive.random(r, hs.size());
                float[] out = DjlNaive.random(r, hs.size());
                try (Kernels.Scope<NDArray> s = k.openScope()) {
                    NDArray oa = k.importHost(out, hs);
                    k.fillInactiveRelu(k.importArray(array(id, hs), hs), hs, cells, oa);
                    assertArrayEquals(DjlNaive.fillInactive(id, hs, cells, out), values(oa), "fill " + what);
                    NDArray mm = k.maskedMean(k.importArray(array(h, hs), hs), hs, cells);
                    assertClose(DjlNaive.maskedMean(h, hs, cells), values(mm), TOL, "maskedMean " + what);
                }
            }
        }
        // groups that do not divide the channels: the mean reads the union only, the fill needs whole groups
        Nchw hs = new Nchw(2, 5, 4, 4);
        SpatialCells cells = cells(r, 2, 2, 2, 2, 0.5);
        float[] h = DjlNaive.random(r, hs.size());
        try (Kernels.Scope<NDArray> s = k.openScope()) {
            NDArray ha = k.importArray(array(h, hs), hs);
            assertClose(DjlNaive.maskedMean(h, hs, cells), values(k.maskedMean(ha, hs, cells)), TOL, "union mean");
            assertMessage("groups", () -> k.fillInactiveRelu(ha, hs, cells, k.relu(ha, hs)));
        }
    }

    /**
     * The masked and per-sample primitives equal the reference backend's ({@link ReferenceOps}): the fill, the gather
     * and the scatter bit for bit, the masked mean within 1e-5, for empty, full and mixed masks, odd and non-square
     * shapes, and grids that reach past the output (also with only those outside cells closed, which keeps every
     * pixel); invalid arguments are rejected with the reference's own message.
     */
    @Test
    void maskedAndSamplePrimitivesEqualTheReferenceBackend() {
        Random r = new Random(18);
        // {batch, channels, H, W, groups, m, S}
        int[][] cases = {{3, 4, 7, 7, 2, 4, 2}, {1, 3, 5, 3, 1, 2, 3}, {2, 6, 9, 5, 3, 3, 3}, {2, 2, 1, 1, 2, 1, 1},
            {4, 5, 6, 6, 1, 7, 1}, {2, 4, 11, 11, 4, 2, 6}};
        for (int[] c : cases) {
            Nchw hs = new Nchw(c[0], c[1], c[2], c[3]);
            int m = c[5];
            int s = c[6];
            float[] inside = new float[c[0] * c[4] * m * m];
            for (int i = 0; i < inside.length; i++) {
                int row = (i / m) % m;
                int col = i % m;
                inside[i] = row * s < c[2] && col * s < c[3] ? 1f : 0f;
            }
            List<SpatialCells> masks = new ArrayList<>();
            for (double density : new double[] {0.0, 0.5, 1.0}) {
                masks.add(cells(r, c[0], c[4], m, s, density));
            }
            masks.add(new SpatialCells(inside, c[0], c[4], m, s));
            for (SpatialCells cells : masks) {
                String what = Arrays.toString(c) + " open " + Arrays.toString(cells.union());
                float[] h = DjlNaive.random(r, hs.size());
                float[] id = DjlNaive.random(r, hs.size());
                float[] out = DjlNaive.random(r, hs.size());
                float[] fill = out.clone();
                ReferenceOps.fillInactiveRelu(id, hs, cells, fill);
                float[] mean = ReferenceOps.maskedMean(h, hs, cells);
                try (Kernels.Scope<NDArray> sc = k.openScope()) {
                    NDArray oa = k.importHost(out, hs);
                    k.fillInactiveRelu(k.importHost(id, hs), hs, cells, oa);
                    assertArrayEquals(fill, values(oa), "fill " + what);
                    float[] got = values(k.maskedMean(k.importHost(h, hs), hs, cells));
                    assertClose(mean, got, 1e-5, "maskedMean " + what);
                    if (cells.cells() == inside) {
                        assertArrayEquals(out, fill, "only cells outside the output are closed " + what);
                        assertClose(DjlNaive.mean(h, hs), got, 1e-5, "the plain mean " + what);
                    }
                }
            }
        }
        Nchw xs = new Nchw(5, 3, 3, 5);
        float[] x = DjlNaive.random(r, xs.size());
        float[] id = DjlNaive.random(r, xs.size());
        for (int[] samples : new int[][] {{4, 0, 2}, {1}, {3, 1, 0, 4, 2}}) {
            Nchw bs = xs.withBatch(samples.length);
            float[] branch = DjlNaive.random(r, bs.size());
            float[] out = DjlNaive.random(r, xs.size());
            float[] scattered = out.clone();
            ReferenceOps.scatterSamplesResidualRelu(branch, bs, samples, id, scattered);
            try (Kernels.Scope<NDArray> sc = k.openScope()) {
                NDArray xa = k.importHost(x, xs);
                assertArrayEquals(ReferenceOps.gatherSamples(x, xs, samples),
                        values(k.gatherSamples(xa, xs, samples)), "gather " + Arrays.toString(samples));
                NDArray oa = k.importHost(out, xs);
                k.scatterSamplesResidualRelu(k.importHost(branch, bs), bs, samples, k.importHost(id, xs), oa);
                assertArrayEquals(scattered, values(oa), "scatter " + Arrays.toString(samples));
            }
        }
        Nchw hs = new Nchw(2, 4, 7, 7);
        float[] h = DjlNaive.random(r, hs.size());
        float[] hostOut = h.clone();
        try (Kernels.Scope<NDArray> sc = k.openScope()) {
            NDArray ha = k.importHost(h, hs);
            NDArray oa = k.relu(ha, hs);
            for (SpatialCells bad : new SpatialCells[] {null, cells(r, 3, 1, 4, 2, 0.5),
                cells(r, 2, 1, 3, 2, 0.5)}) {
                assertSameMessage(() -> ReferenceOps.maskedMean(h, hs, bad), () -> k.maskedMean(ha, hs, bad));
                assertSameMessage(() -> ReferenceOps.fillInactiveRelu(h, hs, bad, hostOut),
                        () -> k.fillInactiveRelu(ha, hs, bad, oa));
            }
            SpatialCells threeGroups = cells(r, 2, 3, 4, 2, 0.5);
            assertSameMessage(() -> ReferenceOps.fillInactiveRelu(h, hs, threeGroups, hostOut),
                    () -> k.fillInactiveRelu(ha, hs, threeGroups, oa));
            Nchw two = hs.withBatch(2);
            NDArray branch = k.importHost(h, two);
            for (int[] bad : new int[][] {null, {}, {0, 0}, {2}, {-1}, {1, 0, 1}, {1}}) {
                if (bad == null || bad.length != 1 || bad[0] != 1) {
                    assertSameMessage(() -> ReferenceOps.gatherSamples(h, hs, bad),
                            () -> k.gatherSamples(ha, hs, bad));
                }
                assertSameMessage(() -> ReferenceOps.scatterSamplesResidualRelu(h, two, bad, h, hostOut),
                        () -> k.scatterSamplesResidualRelu(branch, two, bad, ha, oa));
            }
        }
    }

    /** Asserts that both calls throw {@link IllegalArgumentException} with the same message. */
    private static void assertSameMessage(org.junit.jupiter.api.function.Executable reference,
            org.junit.jupiter.api.function.Executable djl) {
        IllegalArgumentException expected = assertThrows(IllegalArgumentException.class, reference);
        IllegalArgumentException got = assertThrows(IllegalArgumentException.class, djl);
        assertEquals(expected.getMessage(), got.getMessage());
    }

    @Test
    void exportHostReadsOnlyTheFirstValues() {
        Random r = new Random(16);
        Nchw xs = new Nchw(2, 3, 4, 5);
        float[] x = DjlNaive.random(r, xs.size());
        NDArray caller = array(x, xs);
        try (Kernels.Scope<NDArray> s = k.openScope()) {
            NDArray xa = k.importArray(caller, xs);
            int before = k.current().getManagedArrays().size();
            int callerBefore = base.getManagedArrays().size();
            assertArrayEquals(x, k.exportHost(xa, xs.size()));
            assertArrayEquals(new float[0], k.exportHost(xa, 0));
            for (int n : new int[] {1, 7, xs.size() - 1}) {
                assertArrayEquals(Arrays.copyOf(x, n), k.exportHost(xa, n), "first " + n);
            }
            assertEquals(before, k.current().getManagedArrays().size(), "no array left in the scope");
            NDArray transposed = k.local(xa.transpose(0, 2, 3, 1));
            int withTransposed = k.current().getManagedArrays().size();
            float[] expected = new float[11];
            for (int i = 0; i < 11; i++) {
                int c = i % 3;
                int w = (i / 3) % 5;
                int hh = i / 15;
                expected[i] = x[(c * 4 + hh) * 5 + w];
            }
            assertArrayEquals(expected, k.exportHost(transposed, 11), "row-major order of a non-contiguous tensor");
            assertArrayEquals(expected, Arrays.copyOf(k.exportHost(transposed, xs.size()), 11),
                    "a whole non-contiguous tensor");
            assertEquals(withTransposed, k.current().getManagedArrays().size(), "no array left in the scope");
            transposed.close();
            assertEquals(callerBefore, base.getManagedArrays().size(), "no array left with the caller");
            assertMessage("count", () -> k.exportHost(xa, xs.size() + 1));
            assertMessage("count", () -> k.exportHost(xa, -1));
        }
        assertArrayEquals(x, caller.toFloatArray());
    }

    @Test
    void anAdoptedArrayIsExportedAsItself() {
        Random r = new Random(17);
        Nchw xs = new Nchw(1, 2, 3, 3);
        float[] x = DjlNaive.random(r, xs.size());
        try (NDManager owner = base.newSubManager()) {
            NDArray input = owner.create(x, new Shape(1, 2, 3, 3));
            NDArray y;
            try (Kernels.Scope<NDArray> s = k.openScope()) {
                NDArray xa = k.adoptArray(input, xs);
                assertSame(input, xa);
                y = k.exportArray(xa, xs, owner);
                assertSame(input, y, "the handed-over input is returned, not copied");
            }
            assertFalse(y.isReleased(), "the exported input survives the scope");
            assertSame(owner, y.getManager());
            assertArrayEquals(x, y.toFloatArray());
        }
    }

    @Test
    void gatherAndScatterSamplesMatchNaive() {
        Random r = new Random(14);
        Nchw xs = new Nchw(4, 3, 5, 5);
        float[] x = DjlNaive.random(r, xs.size());
        float[] id = DjlNaive.random(r, xs.size());
        float[] out = DjlNaive.random(r, xs.size());
        int[] samples = {3, 1};
        Nchw bs = xs.withBatch(2);
        float[] branch = DjlNaive.random(r, bs.size());
        int per = xs.perSample();
        try (Kernels.Scope<NDArray> s = k.openScope()) {
            NDArray g = k.gatherSamples(k.importArray(array(x, xs), xs), xs, samples);
            assertEquals(new Shape(2, 3, 5, 5), g.getShape());
            float[] gv = values(g);
            for (int i = 0; i < samples.length; i++) {
                for (int j = 0; j < per; j++) {
                    assertEquals(x[samples[i] * per + j], gv[i * per + j]);
                }
            }
            NDArray oa = k.importHost(out, xs);
            k.scatterSamplesResidualRelu(k.importHost(branch, bs), bs, samples, k.importHost(id, xs), oa);
            float[] expected = out.clone();
            for (int i = 0; i < samples.length; i++) {
                for (int j = 0; j < per; j++) {
                    int q = samples[i] * per + j;
                    expected[q] = Math.max(id[q] + branch[i * per + j], 0f);
                }
            }
            assertClose(expected, values(oa), TOL, "scatter");
        }
    }

    // ------------------------------------------------------------------------------------------------ patches

    static Stream<Arguments> spatialCases() {
        List<Arguments> cases = new ArrayList<>();
        int[][] geos = {{7, 1, 2, 2}, {9, 2, 2, 2}, {8, 2, 2, 3}, {7, 1, 1, 2}, {9, 1, 3, 1}};
        for (int[] g : geos) {
            for (SpatialSchedule sched : SpatialSchedule.values()) {
                if (sched == SpatialSchedule.HALO) {
                    continue;
                }
                for (double d : new double[] {0.5, 0.0, 1.0, -1.0}) {
                    cases.add(Arguments.of(g[0], g[1], g[2], g[3], sched, d, 2));
                    if (sched == SpatialSchedule.ROWS) {
                        cases.add(Arguments.of(g[0], g[1], g[2], g[3], sched, d, 1));
                    }
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("spatialCases")
    void spatialPipelineMatchesNaive(int side, int stride, int cell, int batch, SpatialSchedule schedule,
            double density, int groups) {
        Random r = new Random(side * 100 + stride * 10 + cell + batch);
        SpatialGeometry g = SpatialGeometry.of(side, side, stride, cell);
        int m = g.gridSize();
        int[] cells = mask(r, batch * m * m, Math.max(density, 0));
        if (density < 0) {
            // one active cell at the last sample's bottom-right border
            cells[cells.length - 1] = 1;
        }
        PatchPlan plan = PatchPlan.fromMask(cells, batch, g);
        Branch br = new Branch(r, 5, 4, 6, 7, stride, groups);
        Nchw xs = new Nchw(batch, 5, side, side);
        Nchw os = new Nchw(batch, 7, g.outHeight(), g.outWidth());
        float[] x = DjlNaive.random(r, xs.size());
        float[] id = DjlNaive.random(r, os.size());
        float[] sum = id.clone();
        try (Kernels.Scope<NDArray> s = k.openScope()) {
            NDArray xa = k.importArray(array(x, xs), xs);
            NDArray ida = k.importArray(array(id, os), os);
            NDArray acc = k.spatialBegin(ida, os);
            br.run(plan, x, xs, xa, schedule, acc, sum);
            NDArray y = k.spatialEnd(acc, os);
            assertEquals(new Shape(batch, 7, g.outHeight(), g.outWidth()), y.getShape());
            assertClose(DjlNaive.relu(sum), values(y), TOL, "block output");
            assertContiguous(y);
            assertArrayEquals(id, values(ida), "identity unchanged");
            assertArrayEquals(x, values(xa), "input unchanged");
        }
    }

    @Test
    void rowsScheduleOnTheIdentityItselfReadsItBeforeAndAfterAdditions() {
        // x is the identity (a stride-1 block without projection): the first plan's conv1 reads the untouched
        // accumulator, the second plan's conv1 must not see the first plan's conv3 additions
        Random r = new Random(23);
        int batch = 2;
        SpatialGeometry g = SpatialGeometry.of(8, 8, 1, 2);
        int m = g.gridSize();
        int[] a = mask(r, batch * m * m, 0.5);
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i] == 0 && r.nextBoolean() ? 1 : 0;
        }
        a[0] = 1;
        b[a.length - 1] = 1;
        a[a.length - 1] = 0;
        PatchPlan pa = PatchPlan.fromMask(a, batch, g);
        PatchPlan pb = PatchPlan.fromMask(b, batch, g);
        Branch first = new Branch(r, 6, 4, 4, 6, 1, 1);
        Branch second = new Branch(r, 6, 3, 5, 6, 1, 1);
        Nchw xs = new Nchw(batch, 6, 8, 8);
        float[] x = DjlNaive.random(r, xs.size());
        float[] sum = x.clone();
        try (Kernels.Scope<NDArray> s = k.openScope()) {
            NDArray xa = k.importArray(array(x, xs), xs);
            NDArray acc = k.spatialBegin(xa, xs);
            first.run(pa, x, xs, xa, SpatialSchedule.ROWS, acc, sum);
            second.run(pb, x, xs, xa, SpatialSchedule.ROWS, acc, sum);
            assertClose(DjlNaive.relu(sum), values(k.spatialEnd(acc, xs)), TOL, "identity as input");
            assertArrayEquals(x, values(xa), "input unchanged");
        }
    }

    @Test
    void bothStyleSubPlansShareOneAccumulator() {
        Random r = new Random(21);
        int batch = 3;
        SpatialGeometry g = SpatialGeometry.of(9, 9, 2, 2);
        int m = g.gridSize();
        int[] a = mask(r, batch * m * m, 0.6);
        int[] b = a.clone();
        for (int i = 0; i < a.length; i++) {
            boolean sampleOne = i / (m * m) == 1;
            a[i] = sampleOne ? 0 : a[i];
            b[i] = sampleOne ? b[i] : 0;
        }
        b[m * m] = 1;
        PatchPlan pa = PatchPlan.fromMask(a, batch, g);
        PatchPlan pb = PatchPlan.fromMask(b, batch, g);
        Branch wide = new Branch(r, 5, 4, 6, 7, 2, 2);
        Branch narrow = new Branch(r, 5, 2, 2, 7, 2, 1);
        Nchw xs = new Nchw(batch, 5, 9, 9);
        Nchw os = new Nchw(batch, 7, g.outHeight(), g.outWidth());
        float[] x = DjlNaive.random(r, xs.size());
        float[] id = DjlNaive.random(r, os.size());
        float[] sum = id.clone();
        for (SpatialSchedule sched : new SpatialSchedule[] {SpatialSchedule.M1, SpatialSchedule.WINDOWS,
            SpatialSchedule.ROWS}) {
            float[] expectedSum = sum.clone();
            try (Kernels.Scope<NDArray> s = k.openScope()) {
                NDArray xa = k.importArray(array(x, xs), xs);
                NDArray acc = k.spatialBegin(k.importArray(array(id, os), os), os);
                wide.run(pa, x, xs, xa, sched, acc, expectedSum);
                float[] means = narrow.run(pb, x, xs, xa, sched, acc, expectedSum);
                for (int c = 0; c < 2; c++) {
                    assertEquals(0f, means[c], "sample 0 has no patch of the narrow plan");
                    assertEquals(0f, means[2 * 2 + c], "sample 2 has no patch of the narrow plan");
                }
                assertClose(DjlNaive.relu(expectedSum), values(k.spatialEnd(acc, os)), TOL, "both " + sched);
            }
        }
    }

    /** A bottleneck branch with squeeze-excitation; conv2 has the given groups. */
    private final class Branch {
        final FoldedConv c1;
        final FoldedConv c2;
        final FoldedConv c3;
        final FoldedConv fc;

        Branch(Random r, int cin, int width1, int width2, int cout, int stride, int groups) {
            c1 = DjlNaive.conv(r, width1, cin, 1, 1, 0, 1);
            c2 = DjlNaive.conv(r, width2, width1, 3, stride, 1, groups);
            c3 = DjlNaive.conv(r, cout, width2, 1, 1, 0, 1);
            fc = DjlNaive.conv(r, width2, width2, 1, 1, 0, 1);
        }

        /** Runs the patch primitives, checking each against the naive version; returns the patch means. */
        float[] run(PatchPlan plan, float[] x, Nchw xs, NDArray xa, SpatialSchedule schedule, NDArray acc,
                float[] sum) {
            int p = plan.patchCount();
            int t = plan.windowSize();
            int cell = plan.geometry().cellSize();
            int w1 = c1.outChannels();
            int w2 = c2.outChannels();
            float[] win = DjlNaive.windows(x, xs, plan, c1);
            NDArray wa = k.windowsConv1(xa, xs, plan, backend.upload(c1), schedule);
            if (schedule == SpatialSchedule.ROWS) {
                // conv1 rows of the dilated mask in raster order, then the zero row
                float[] m1 = DjlNaive.m1Rows(x, xs, plan, c1);
                assertEquals(new Shape(1, m1.length / w1, w1), wa.getShape());
                assertClose(m1, values(wa), TOL, "M1 rows");
            } else {
                assertEquals(new Shape((long) p * t * t, w1), wa.getShape());
                assertClose(DjlNaive.windowRows(win, p, w1, t), values(wa), TOL, "windows " + schedule);
            }
            float[] pt = DjlNaive.patchConv(win, plan, c2);
            NDArray pa = k.patchConv3x3Relu(wa, plan, backend.upload(c2));
            assertEquals(new Shape(p, w2, cell, cell), pa.getShape());
            assertClose(pt, values(pa), TOL, "patch conv2");
            float[] means = DjlNaive.patchMeans(pt, plan, w2);
            Nchw ms = new Nchw(plan.batch(), w2, 1, 1);
            NDArray ma = k.patchMeans(pa, plan, w2);
            assertEquals(new Shape(plan.batch(), w2, 1, 1), ma.getShape());
            float[] mv = values(ma);
            assertClose(means, mv, TOL, "patch means");
            float[] logits = DjlNaive.conv(means, ms, fc, null, false);
            NDArray la = k.conv(ma, ms, backend.upload(fc), null, false);
            assertClose(logits, values(la), TOL, "excitation logits");
            float[] scaled = DjlNaive.scalePatches(pt, plan, w2, logits);
            pa = k.scalePatchesSigmoid(pa, plan, w2, la);
            assertClose(scaled, values(pa), TOL, "scaled patches");
            DjlNaive.addConv3(scaled, plan, c3, sum);
            k.patchConv1x1Add(pa, plan, backend.upload(c3), acc);
            return mv;
        }
    }

    // ------------------------------------------------------------------------------------------------ scopes

    @Test
    void scopesReleaseResultsKeepKeptAndReturnImports() {
        Random r = new Random(31);
        Nchw xs = new Nchw(2, 3, 5, 5);
        float[] x = DjlNaive.random(r, xs.size());
        NDArray caller = array(x, xs);
        NDArray inner;
        NDArray kept;
        NDArray weightsResult;
        FoldedConv c = DjlNaive.conv(r, 3, 3, 1, 1, 0, 1);
        try (Kernels.Scope<NDArray> outer = k.openScope()) {
            NDArray xa = k.importArray(caller, xs);
            assertSame(caller, xa);
            int outerCount = k.current().getManagedArrays().size();
            try (Kernels.Scope<NDArray> in = k.openScope()) {
                assertSame(xa, k.importArray(xa, xs), "an array of an enclosing scope is used as it is");
                inner = k.relu(xa, xs);
                weightsResult = k.conv(xa, xs, backend.upload(c), null, false);
                kept = in.keep(k.relu(xa, xs));
            }
            assertTrue(inner.isReleased(), "a result of the inner scope is released with it");
            assertTrue(weightsResult.isReleased());
            assertFalse(kept.isReleased(), "a kept result survives its scope");
            assertEquals(outerCount + 1, k.current().getManagedArrays().size(), "only the kept array moved out");
            assertClose(DjlNaive.relu(x), values(kept), TOL, "kept");
        }
        assertTrue(kept.isReleased(), "kept into the outer scope, released with it");
        assertFalse(caller.isReleased(), "the imported array is returned, not released");
        assertSame(base, caller.getManager());
        assertArrayEquals(x, caller.toFloatArray());

        NDArray detached;
        try (Kernels.Scope<NDArray> only = k.openScope()) {
            detached = only.keep(k.relu(k.importArray(caller, xs), xs));
            NDArray copy = only.keep(k.importArray(caller, xs));
            assertNotSame(caller, copy, "keeping an imported array keeps a copy");
            copy.close();
        }
        assertFalse(detached.isReleased(), "the outermost scope hands kept tensors to the caller");
        assertClose(DjlNaive.relu(x), detached.toFloatArray(), TOL, "detached");
        detached.close();
        assertFalse(caller.isReleased());
    }

    @Test
    void exportReleaseTemporaryAndNesting() {
        Random r = new Random(32);
        Nchw xs = new Nchw(1, 2, 3, 3);
        float[] x = DjlNaive.random(r, xs.size());
        NDArray caller = array(x, xs);
        NDArray exported;
        NDArray exportedImport;
        ConvWeights temp;
        Kernels.Scope<NDArray> inner;
        NDArray innerResult;
        try (NDManager target = base.newSubManager()) {
            try (Kernels.Scope<NDArray> s = k.openScope()) {
                NDArray xa = k.importArray(caller, xs);
                exported = k.exportArray(k.relu(xa, xs), xs, target);
                exportedImport = k.exportArray(xa, xs, target);
                assertNotSame(caller, exportedImport, "an imported array is exported as a copy");
                assertThrows(IllegalArgumentException.class, () -> k.release(xa));
                NDArray y = k.relu(xa, xs);
                k.release(y);
                assertTrue(y.isReleased());
                temp = k.temporary(DjlNaive.conv(r, 2, 2, 3, 1, 1, 1));
                assertEquals(new Shape(1, 2, 3, 3), k.conv(xa, xs, temp, null, true).getShape());
                inner = k.openScope();
                innerResult = k.relu(xa, xs);
            }
            assertTrue(innerResult.isReleased(), "closing a scope closes the scopes still open inside it");
            inner.close();
            assertSame(target, exported.getManager());
            assertFalse(exported.isReleased());
            assertClose(DjlNaive.relu(x), exported.toFloatArray(), TOL, "exported");
            assertArrayEquals(x, exportedImport.toFloatArray());
            assertFalse(caller.isReleased());
            assertArrayEquals(x, caller.toFloatArray());
            try (Kernels.Scope<NDArray> s = k.openScope()) {
                NDArray xa = k.importArray(caller, xs);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> k.conv(xa, xs, temp, null, false));
                assertTrue(e.getMessage().contains("released"), e.getMessage());
            }
        }
        assertTrue(exported.isReleased());
    }

    @Test
    void repeatedScopedCallsLeakNothing() {
        Random r = new Random(33);
        Nchw xs = new Nchw(2, 4, 7, 7);
        NDArray x = array(DjlNaive.random(r, xs.size()), xs);
        ConvWeights w = backend.upload(DjlNaive.conv(r, 4, 4, 3, 1, 1, 1));
        ConvWeights fc = backend.upload(DjlNaive.conv(r, 4, 4, 1, 1, 0, 1));
        SpatialCells cells = cells(r, 2, 2, 4, 2, 0.5);
        SpatialGeometry g = SpatialGeometry.of(7, 7, 2, 2);
        PatchPlan plan = PatchPlan.fromMask(mask(r, 2 * 4, 0.5), 2, g);
        ConvWeights c1 = backend.upload(DjlNaive.conv(r, 4, 4, 1, 1, 0, 1));
        ConvWeights c2 = backend.upload(DjlNaive.conv(r, 4, 4, 3, 2, 1, 2));
        Nchw os = new Nchw(2, 4, 4, 4);
        Runnable call = () -> {
            try (Kernels.Scope<NDArray> s = k.openScope()) {
                NDArray xa = k.importArray(x, xs);
                NDArray h = k.conv(xa, xs, w, null, true);
                NDArray sc = k.conv(k.mean(h, xs), new Nchw(2, 4, 1, 1), fc, null, false);
                h = k.scaleChannels(h, xs, sc, true);
                NDArray out = k.conv(h, xs, w, xa, false);
                k.fillInactiveRelu(xa, xs, cells, out);
                k.maskedMean(out, xs, cells);
                NDArray identity = k.maxPool(xa, xs, 3, 2, 1);
                try (Kernels.Scope<NDArray> inner = k.openScope()) {
                    NDArray acc = k.spatialBegin(identity, os);
                    for (SpatialSchedule sched : new SpatialSchedule[] {SpatialSchedule.WINDOWS, SpatialSchedule.M1}) {
                        NDArray p = k.patchConv3x3Relu(k.windowsConv1(xa, xs, plan, c1, sched), plan, c2);
                        p = k.scalePatchesSigmoid(p, plan, 4, k.patchMeans(p, plan, 4));
                        if (sched == SpatialSchedule.M1) {
                            k.patchConv1x1Add(p, plan, fc, acc);
                        }
                    }
                    inner.keep(k.spatialEnd(acc, os));
                }
            }
        };
        call.run();
        int rootCount = k.rootManager().getManagedArrays().size();
        int baseCount = base.getManagedArrays().size();
        for (int i = 0; i < 200; i++) {
            call.run();
        }
        assertEquals(rootCount, k.rootManager().getManagedArrays().size());
        assertEquals(baseCount, base.getManagedArrays().size());
        assertFalse(x.isReleased());
        assertSame(base, x.getManager());
    }

    // ------------------------------------------------------------------------------------------------ validation

    @Test
    void invalidArgumentsAreRejectedByName() {
        Random r = new Random(41);
        Nchw xs = new Nchw(2, 3, 7, 7);
        FoldedConv c = DjlNaive.conv(r, 4, 3, 3, 1, 1, 1);
        ConvWeights w = backend.upload(c);
        SpatialGeometry g = SpatialGeometry.of(7, 7, 1, 2);
        PatchPlan plan = PatchPlan.fromMask(new int[2 * 16], 2, g);
        try (NDManager other = NDManager.newBaseManager(); Kernels.Scope<NDArray> s = k.openScope()) {
            NDArray xa = k.importArray(array(DjlNaive.random(r, xs.size()), xs), xs);
            assertMessage("x", () -> k.conv(xa, new Nchw(2, 3, 7, 6), w, null, false));
            assertMessage("channels", () -> k.conv(xa, xs, backend.upload(DjlNaive.conv(r, 4, 5, 1, 1, 0, 1)),
                    null, false));
            assertMessage("residual", () -> k.conv(xa, xs, w, xa, false));
            DjlBackend foreign = DjlBackend.create(other);
            assertMessage("w", () -> k.conv(xa, xs, foreign.upload(c), null, false));
            assertMessage("x", () -> k.importArray(array(new float[10], new Nchw(1, 1, 2, 5)), xs));
            assertMessage("data", () -> k.importHost(new float[3], xs));
            assertMessage("padding", () -> k.maxPool(xa, xs, 3, 2, 2));
            assertMessage("kernel", () -> k.avgPool(xa, xs, 2));
            assertMessage("distinct", () -> k.gatherSamples(xa, xs, new int[] {1, 1}));
            assertMessage("samples[0]", () -> k.gatherSamples(xa, xs, new int[] {2}));
            assertMessage("out", () -> k.scatterSamplesResidualRelu(k.gatherSamples(xa, xs, new int[] {0}),
                    xs.withBatch(1), new int[] {0}, xa, xa));
            assertMessage("out", () -> k.fillInactiveRelu(xa, xs, cells(r, 2, 1, 4, 2, 0.5), xa));
            NDArray out = k.relu(xa, xs);
            assertMessage("maskSize", () -> k.fillInactiveRelu(xa, xs, cells(r, 2, 1, 3, 2, 0.5), out));
            assertMessage("groups", () -> k.fillInactiveRelu(xa, xs, cells(r, 2, 2, 4, 2, 0.5), out));
            assertMessage("scale", () -> k.scaleChannels(out, xs, out, true));
            ConvWeights c1 = backend.upload(DjlNaive.conv(r, 4, 3, 1, 1, 0, 1));
            assertMessage("schedule", () -> k.windowsConv1(xa, xs, plan, c1, SpatialSchedule.HALO));
            assertMessage("c1", () -> k.windowsConv1(xa, xs, plan, w, SpatialSchedule.WINDOWS));
            assertMessage("plan", () -> k.windowsConv1(xa, xs, null, c1, SpatialSchedule.WINDOWS));
            ConvWeights c2 = backend.upload(DjlNaive.conv(r, 4, 4, 3, 1, 1, 2));
            assertMessage("windows", () -> k.patchConv3x3Relu(xa, plan, c2));
            assertMessage("c2", () -> k.patchConv3x3Relu(xa, plan, c1));
            assertMessage("patches", () -> k.patchMeans(xa, plan, 4));
            assertMessage("accumulator", () -> k.spatialEnd(xa, xs));
        }
        k.close();
        assertThrows(IllegalStateException.class, () -> k.openScope());
    }

    /** Asserts a contiguous layout: flattening is then a view, so a write through it shows in the tensor. */
    private static void assertContiguous(NDArray t) {
        NDArray flat = t.reshape(-1);
        float first = flat.getFloat(0);
        flat.set(new NDIndex("0"), first + 1f);
        assertEquals(first + 1f, t.reshape(-1).getFloat(0), "the tensor is contiguous");
        flat.set(new NDIndex("0"), first);
    }

    @Test
    void executorsOnTwoThreadsShareUploadedWeights() throws Exception {
        Random r = new Random(51);
        Nchw xs = new Nchw(2, 4, 9, 9);
        float[] x = DjlNaive.random(r, xs.size());
        FoldedConv c = DjlNaive.conv(r, 6, 4, 3, 2, 1, 2);
        FoldedConv fc = DjlNaive.conv(r, 6, 6, 1, 1, 0, 1);
        float[] h = DjlNaive.conv(x, xs, c, null, true);
        Nchw hs = new Nchw(2, 6, 5, 5);
        float[] expected = DjlNaive.scaleChannels(h, hs, DjlNaive.conv(DjlNaive.mean(h, hs), new Nchw(2, 6, 1, 1),
                fc, null, false), true);
        ConvWeights w = backend.upload(c);
        ConvWeights f = backend.upload(fc);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Boolean>> fs = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                fs.add(pool.submit(() -> {
                    try (Kernels<NDArray> kk = backend.newKernels(); NDManager own = base.newSubManager()) {
                        NDArray xa0 = own.create(x, new Shape(2, 4, 9, 9));
                        for (int i = 0; i < 50; i++) {
                            try (Kernels.Scope<NDArray> s = kk.openScope()) {
                                NDArray y = kk.conv(kk.importArray(xa0, xs), xs, w, null, true);
                                NDArray sc = kk.conv(kk.mean(y, hs), new Nchw(2, 6, 1, 1), f, null, false);
                                assertClose(expected, kk.exportHost(kk.scaleChannels(y, hs, sc, true), hs.size()),
                                        TOL, "thread result");
                            }
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> fu : fs) {
                assertTrue(fu.get());
            }
        } finally {
            pool.shutdown();
        }
    }

    private static void assertMessage(String part, org.junit.jupiter.api.function.Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertTrue(ex.getMessage().contains(part), "message '" + ex.getMessage() + "' should name " + part);
    }
}
