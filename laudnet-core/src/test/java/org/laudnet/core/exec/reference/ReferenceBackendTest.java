package org.laudnet.core.exec.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialCells;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.plan.FoldedConv;

class ReferenceBackendTest {

    private static final double TOL = 1e-5;

    @Test
    void identityAndUpload() {
        try (ReferenceBackend backend = new ReferenceBackend()) {
            assertEquals("java", backend.id());
            assertEquals(Set.of(SpatialSchedule.HALO), backend.spatialSchedules());
            assertFalse(backend.description().isBlank());
            FoldedConv c = Naive.conv(new Random(1), 4, 3, 3, 1, 1, 1);
            ConvWeights w = backend.upload(c);
            assertInstanceOf(ReferenceWeights.class, w);
            assertSame(c, w.spec());
            assertThrows(IllegalArgumentException.class, () -> backend.upload(null));
        }
    }

    @Test
    void spatialBlockThroughTheKernelsEqualsDenseMasked() {
        SpatialBlockFixture f = new SpatialBlockFixture(42, 2, 5, 4, 6, 7, 2, 11, 11, 2, 2);
        int m = f.geometry.gridSize();
        int[] mask = Naive.mask(new Random(43), 2 * m * m, 0.5);
        PatchPlan plan = PatchPlan.fromMask(mask, 2, f.geometry);
        float[] identityCopy = f.identity.clone();
        try (ReferenceBackend backend = new ReferenceBackend();
                Kernels<float[]> k = backend.newKernels()) {
            ConvWeights c1 = backend.upload(f.c1);
            ConvWeights c2 = backend.upload(f.c2);
            ConvWeights c3 = k.temporary(f.c3);
            float[] out;
            try (Kernels.Scope<float[]> scope = k.openScope()) {
                float[] x = k.importHost(f.x, f.xs);
                float[] identity = k.importHost(f.identity, f.outShape);
                float[] windows = k.windowsConv1(x, f.xs, plan, c1, SpatialSchedule.HALO);
                float[] patches = k.patchConv3x3Relu(windows, plan, c2);
                float[] logits = k.patchMeans(patches, plan, 6);
                float[] scaled = k.scalePatchesSigmoid(patches, plan, 6, logits);
                float[] acc = k.spatialBegin(identity, f.outShape);
                k.patchConv1x1Add(scaled, plan, c3, acc);
                out = scope.keep(k.spatialEnd(acc, f.outShape));
                k.release(windows);
            }
            float[] dense2 = f.dense2();
            float[] cellValues = new float[mask.length];
            for (int e = 0; e < mask.length; e++) {
                cellValues[e] = mask[e];
            }
            SpatialCells cells = new SpatialCells(cellValues, 2, 1, m, 2);
            float[] means = ReferenceOps.maskedMean(dense2, f.shape2(), cells);
            float[] denseScaled = ReferenceOps.scaleChannels(dense2, f.shape2(), means, true);
            Naive.assertClose(f.maskedDense(mask, denseScaled), k.exportHost(out, out.length), TOL, "spatial block");
        }
        assertArrayEquals(identityCopy, f.identity, "the identity is not modified");
    }

    @Test
    void layerSkipThroughTheKernelsEqualsDenseMasked() {
        SpatialBlockFixture f = new SpatialBlockFixture(7, 5, 4, 6, 6, 4, 1, 8, 8, 1, 8);
        int[] gate = {1, 0, 1, 1, 0};
        int[] samples = {0, 2, 3};
        try (ReferenceBackend backend = new ReferenceBackend();
                Kernels<float[]> k = backend.newKernels();
                Kernels.Scope<float[]> scope = k.openScope()) {
            float[] x = k.importHost(f.x, f.xs);
            float[] identity = k.importHost(f.identity, f.outShape);
            Nchw xa = f.xs.withBatch(3);
            float[] a = k.gatherSamples(x, f.xs, samples);
            float[] a1 = k.conv(a, xa, backend.upload(f.c1), null, true);
            float[] a2 = k.conv(a1, xa.withChannels(6), backend.upload(f.c2), null, true);
            float[] a3 = k.conv(a2, xa.withChannels(6), backend.upload(f.c3), null, false);
            float[] out = new float[f.outShape.size()];
            float[] cells = {1, 0, 1, 1, 0};
            k.fillInactiveRelu(identity, f.outShape, new SpatialCells(cells, 5, 1, 1, 8), out);
            k.scatterSamplesResidualRelu(a3, f.outShape.withBatch(3), samples, identity, out);
            Naive.assertClose(f.maskedDense(gate, f.dense2()), out, TOL, "layer skip");
        }
    }

    @Test
    void denseHelpersThroughTheKernels() {
        Random r = new Random(9);
        Nchw xs = new Nchw(2, 3, 8, 8);
        float[] x = Naive.uniform(r, xs.size(), 1);
        try (ReferenceBackend backend = new ReferenceBackend();
                Kernels<float[]> k = backend.newKernels()) {
            FoldedConv stem = Naive.conv(r, 4, 3, 3, 2, 1, 1);
            float[] y = k.conv(x, xs, backend.upload(stem), null, true);
            Naive.assertClose(Naive.conv(x, xs, stem, null, true), y, TOL, "conv");
            Nchw ys = new Nchw(2, 4, 4, 4);
            assertArrayEquals(ReferenceOps.maxPool2d(y, ys, 3, 2, 1), k.maxPool(y, ys, 3, 2, 1));
            assertArrayEquals(ReferenceOps.avgPool2d(y, ys, 2), k.avgPool(y, ys, 2));
            float[] mean = k.mean(y, ys);
            assertArrayEquals(ReferenceOps.globalAvgPool(y, ys), mean);
            assertArrayEquals(ReferenceOps.relu(x, xs), k.relu(x, xs));
            assertArrayEquals(ReferenceOps.scaleChannels(y, ys, mean, true), k.scaleChannels(y, ys, mean, true));
            SpatialCells none = new SpatialCells(new float[2 * 4], 2, 1, 2, 2);
            assertArrayEquals(new float[8], k.maskedMean(y, ys, none));
        }
    }

    @Test
    void engineArraysAndHostTransfers() {
        Nchw shape = new Nchw(2, 3, 2, 2);
        float[] values = Naive.uniform(new Random(4), shape.size(), 1);
        try (NDManager manager = NDManager.newBaseManager();
                ReferenceBackend backend = new ReferenceBackend();
                Kernels<float[]> k = backend.newKernels();
                Kernels.Scope<float[]> scope = k.openScope()) {
            NDArray a = manager.create(values, new Shape(2, 3, 2, 2));
            float[] t = k.importArray(a, shape);
            assertArrayEquals(values, t);
            t[0] = 99f;
            assertEquals(values[0], a.toFloatArray()[0], 0f, "the engine array is not modified");
            NDArray back = k.exportArray(t, shape, manager);
            assertEquals(new Shape(2, 3, 2, 2), back.getShape());
            assertEquals(99f, back.toFloatArray()[0], 0f);
            expect(() -> k.importArray(manager.create(values, new Shape(2, 3, 4)), shape), "x must have shape",
                    "(2, 3, 4)");
            expect(() -> k.importArray(a.toType(DataType.FLOAT64, false), shape), "float32", "float64");
            expect(() -> k.exportArray(new float[5], shape, manager), "t must hold", "got 5");

            float[] longer = new float[shape.size() + 3];
            longer[1] = 5f;
            float[] h = k.importHost(longer, shape);
            assertEquals(shape.size(), h.length);
            longer[1] = 6f;
            assertEquals(5f, h[1], 0f, "importHost copies");
            assertArrayEquals(new float[] {0f, 5f}, k.exportHost(h, 2));
            assertEquals(0, k.exportHost(h, 0).length);
            expect(() -> k.importHost(new float[3], shape), "data must hold at least", "got 3");
            expect(() -> k.exportHost(h, shape.size() + 1), "count", "got " + (shape.size() + 1));
        }
    }

    @Test
    void primitivesRejectWrongArguments() {
        SpatialBlockFixture f = new SpatialBlockFixture(5, 1, 3, 4, 4, 4, 1, 8, 8, 1, 4);
        PatchPlan plan = PatchPlan.fromMask(new int[] {1, 0, 0, 1}, 1, f.geometry);
        try (ReferenceBackend backend = new ReferenceBackend();
                Kernels<float[]> k = backend.newKernels()) {
            ConvWeights c1 = backend.upload(f.c1);
            ConvWeights foreign = () -> f.c1;
            expect(() -> k.windowsConv1(f.x, f.xs, plan, foreign, SpatialSchedule.HALO), "c1 must be weights",
                    "ReferenceWeights");
            expect(() -> k.windowsConv1(f.x, f.xs, plan, c1, SpatialSchedule.WINDOWS), "schedule", "WINDOWS");
            expect(() -> k.windowsConv1(new float[10], f.xs, plan, c1, SpatialSchedule.HALO), "x must hold",
                    "got 10");
            expect(() -> k.conv(f.x, f.xs, null, null, false), "w must be weights", "null");
            expect(() -> k.spatialBegin(new float[4], f.outShape), "identity must hold", "got 4");
            expect(() -> k.spatialEnd(new float[4], f.outShape), "accumulator must hold", "got 4");
            float[] windows = k.windowsConv1(f.x, f.xs, plan, c1, SpatialSchedule.HALO);
            expect(() -> k.patchConv3x3Relu(windows, plan, backend.upload(f.c3)), "3x3");
            expect(() -> k.mean(new float[7], f.xs), "x must hold", "got 7");
        }
    }

    @Test
    void closedBackendKernelsAndScopesRefuseUse() {
        ReferenceBackend backend = new ReferenceBackend();
        Kernels<float[]> k = backend.newKernels();
        Kernels.Scope<float[]> scope = k.openScope();
        float[] t = k.importHost(new float[] {1, 2}, new Nchw(1, 2, 1, 1));
        assertSame(t, scope.keep(t));
        scope.close();
        assertThrows(IllegalStateException.class, () -> scope.keep(t));
        k.close();
        assertThrows(IllegalStateException.class, k::openScope);
        assertThrows(IllegalStateException.class, () -> k.relu(t, new Nchw(1, 2, 1, 1)));
        backend.close();
        backend.close();
        assertTrue(backend.isClosed());
        assertThrows(IllegalStateException.class, backend::newKernels);
        assertThrows(IllegalStateException.class, () -> backend.upload(Naive.conv(new Random(2), 2, 2, 1, 1, 0, 1)));
    }

    @Test
    void sharedBackendServesConcurrentExecutors() throws Exception {
        Random r = new Random(17);
        FoldedConv c = Naive.conv(r, 6, 4, 3, 1, 1, 2);
        Nchw xs = new Nchw(1, 4, 9, 9);
        float[] x = Naive.uniform(r, xs.size(), 1);
        float[] expected = Naive.conv(x, xs, c, null, true);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (ReferenceBackend backend = new ReferenceBackend()) {
            ConvWeights shared = backend.upload(c);
            List<Future<float[]>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> {
                    try (Kernels<float[]> k = backend.newKernels()) {
                        ConvWeights own = backend.upload(c);
                        float[] a = k.conv(x, xs, shared, null, true);
                        float[] b = k.conv(x, xs, own, null, true);
                        assertArrayEquals(a, b);
                        return a;
                    }
                }));
            }
            for (Future<float[]> result : results) {
                Naive.assertClose(expected, result.get(), TOL, "concurrent conv");
            }
        } finally {
            pool.shutdown();
        }
    }

    private static void expect(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
        }
    }
}
