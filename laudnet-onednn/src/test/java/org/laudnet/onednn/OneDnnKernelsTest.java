package org.laudnet.onednn;

import static org.laudnet.onednn.TestTensors.assertClose;
import static org.laudnet.onednn.TestTensors.conv;
import static org.laudnet.onednn.TestTensors.random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.HostPooling;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialCells;
import org.laudnet.core.exec.SpatialGeometry;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.exec.reference.ReferenceOps;
import org.laudnet.core.exec.reference.ReferenceWeights;
import org.laudnet.core.plan.FoldedConv;

/**
 * The oneDNN kernels against {@link ReferenceOps}: fused convolutions (strided, padded, grouped, with residual and
 * ReLU), pools and means, the gates' pooling on the host, the fill of closed cells, a whole spatial block of patch
 * primitives; the primitive cache (a repeated call creates no primitive and allocates no buffer); weights uploaded and
 * reordered once and shared by two executors; argument errors.
 */
class OneDnnKernelsTest {

    private static OneDnnBackend backend;

    @BeforeAll
    static void open() {
        backend = OneDnnBackend.create();
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    @Test
    void aPartialReadBackIsThePrefixOfTheNchwValues() {
        Nchw xs = new Nchw(2, 5, 3, 4);
        float[] x = random(xs.size(), 11);
        try (Kernels<DnnlTensor> k = backend.newKernels(); Kernels.Scope<DnnlTensor> s = k.openScope()) {
            DnnlTensor t = k.importHost(x, xs);
            assertClose(x, k.exportHost(t, xs.size()), 0, "whole tensor");
            for (int count : new int[] {0, 1, 7, 12, 13, 60, xs.size() - 1}) {
                assertClose(java.util.Arrays.copyOf(x, count), k.exportHost(t, count), 0, "first " + count);
            }
            assertThrows(IllegalArgumentException.class, () -> k.exportHost(t, xs.size() + 1));
        }
    }

    @Test
    void convolutionsWithFusedResidualAndReluMatchTheReference() {
        int[][] cases = {
            // out, in, k, stride, pad, groups, H
            {16, 3, 7, 2, 3, 1, 20}, {32, 16, 1, 1, 0, 1, 9}, {32, 32, 3, 2, 1, 4, 10}, {24, 32, 1, 2, 0, 1, 8},
            {10, 64, 1, 1, 0, 1, 1}};
        try (Kernels<DnnlTensor> k = backend.newKernels(); Kernels.Scope<DnnlTensor> s = k.openScope()) {
            for (int[] c : cases) {
                FoldedConv fc = conv(c[0], c[1], c[2], c[3], c[4], c[5], c[0] * 31L + c[1]);
                Nchw xs = new Nchw(2, c[1], c[6], c[6]);
                float[] x = random(xs.size(), 7);
                Nchw os = ReferenceOps.convOutputShape(xs, fc);
                float[] res = random(os.size(), 9);
                ConvWeights w = backend.upload(fc);
                for (boolean relu : new boolean[] {false, true}) {
                    for (boolean residual : new boolean[] {false, true}) {
                        float[] want = ReferenceOps.conv2d(x, xs, fc, residual ? res : null, relu);
                        DnnlTensor y = k.conv(k.importHost(x, xs), xs, w, residual ? k.importHost(res, os) : null,
                                relu);
                        assertClose(want, k.exportHost(y, os.size()), 1e-5, "conv " + fc + " relu " + relu
                                + " residual " + residual);
                    }
                }
            }
        }
    }

    @Test
    void convolutionsAccumulatingIntoTheResidualMatchTheReference() {
        int[][] cases = {
            // out, in, k, stride, pad, groups, H, batch: conv3 shapes (odd sizes), a basic block's conv2, a 7x7 map
            {32, 16, 1, 1, 0, 1, 9, 2}, {24, 40, 1, 1, 0, 1, 13, 3}, {16, 16, 3, 1, 1, 1, 11, 2},
            {64, 32, 1, 1, 0, 1, 7, 1}, {12, 12, 3, 1, 1, 3, 5, 1}};
        try (Kernels<DnnlTensor> k = backend.newKernels(); Kernels.Scope<DnnlTensor> s = k.openScope()) {
            for (int[] c : cases) {
                FoldedConv fc = conv(c[0], c[1], c[2], c[3], c[4], c[5], c[0] * 17L + c[1]);
                Nchw xs = new Nchw(c[7], c[1], c[6], c[6]);
                float[] x = random(xs.size(), 3);
                Nchw os = ReferenceOps.convOutputShape(xs, fc);
                float[] res = random(os.size(), 4);
                ConvWeights w = backend.upload(fc);
                for (boolean relu : new boolean[] {false, true}) {
                    float[] want = ReferenceOps.conv2d(x, xs, fc, res, relu);
                    DnnlTensor acc = k.importHost(res, os);
                    DnnlTensor y = k.convAccumulate(k.importHost(x, xs), xs, w, acc, relu);
                    assertSame(acc, y, "the result is the accumulator");
                    assertClose(want, k.exportHost(y, os.size()), 1e-5, "accumulate " + fc + " relu " + relu);
                    // the same again on the separate-residual primitive: both forms agree
                    DnnlTensor z = k.conv(k.importHost(x, xs), xs, w, k.importHost(res, os), relu);
                    assertClose(want, k.exportHost(z, os.size()), 1e-5, "binary add " + fc + " relu " + relu);
                }
            }
            FoldedConv fc = conv(8, 4, 1, 1, 0, 1, 5);
            Nchw xs = new Nchw(1, 4, 6, 6);
            ConvWeights w = backend.upload(fc);
            DnnlTensor x = k.importHost(random(xs.size(), 1), xs);
            DnnlTensor wrong = k.importHost(random(8 * 5 * 5, 2), new Nchw(1, 8, 5, 5));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.convAccumulate(x, xs, w, wrong, true));
            assertTrue(e.getMessage().contains("accumulator must have shape") && e.getMessage().contains("height=6"), e.getMessage());
        }
    }

    @Test
    void poolsAndMeansMatchTheReference() {
        Nchw xs = new Nchw(3, 8, 12, 12);
        float[] x = random(xs.size(), 3);
        try (Kernels<DnnlTensor> k = backend.newKernels(); Kernels.Scope<DnnlTensor> s = k.openScope()) {
            DnnlTensor t = k.importHost(x, xs);
            assertClose(ReferenceOps.maxPool2d(x, xs, 3, 2, 1), k.exportHost(k.maxPool(t, xs, 3, 2, 1), 3 * 8 * 6 * 6), 0,
                    "max pool");
            assertClose(ReferenceOps.avgPool2d(x, xs, 4), k.exportHost(k.avgPool(t, xs, 4), 3 * 8 * 3 * 3), 1e-6,
                    "avg pool");
            assertClose(ReferenceOps.globalAvgPool(x, xs), k.exportHost(k.mean(t, xs), 3 * 8), 1e-6, "mean");
            assertClose(ReferenceOps.relu(x, xs), k.exportHost(k.relu(t, xs), xs.size()), 0, "relu");
            float[] scale = random(3 * 8, 4);
            assertClose(ReferenceOps.scaleChannels(x, xs, scale, true),
                    k.exportHost(k.scaleChannels(k.importHost(x, xs), xs, k.importHost(scale, new Nchw(3, 8, 1, 1)),
                            true), xs.size()), 1e-6, "scale channels");
        }
    }

    @Test
    void sampleGathersAndResidualScattersMatchTheReference() {
        // an odd per-sample size (5 x 3 x 7 = 105 values) and samples out of order
        Nchw xs = new Nchw(6, 5, 3, 7);
        int[] samples = {4, 0, 5};
        float[] x = random(xs.size(), 21);
        float[] branch = random(samples.length * xs.perSample(), 22);
        float[] out = random(xs.size(), 23);
        try (Kernels<DnnlTensor> k = backend.newKernels(); Kernels.Scope<DnnlTensor> s = k.openScope()) {
            DnnlTensor t = k.importHost(x, xs);
            assertClose(ReferenceOps.gatherSamples(x, xs, samples),
                    k.exportHost(k.gatherSamples(t, xs, samples), samples.length * xs.perSample()), 0, "gather");
            Nchw bs = xs.withBatch(samples.length);
            float[] want = out.clone();
            ReferenceOps.scatterSamplesResidualRelu(branch, bs, samples, x, want);
            DnnlTensor o = k.importHost(out, xs);
            k.scatterSamplesResidualRelu(k.importHost(branch, bs), bs, samples, t, o);
            assertClose(want, k.exportHost(o, xs.size()), 1e-6, "scatter into a separate output");
            assertClose(x, k.exportHost(t, xs.size()), 0, "identity left as it was");
            // in place: the output is the identity (a handed-over block input)
            float[] aliased = x.clone();
            ReferenceOps.scatterSamplesResidualRelu(branch, bs, samples, aliased, aliased);
            DnnlTensor io = k.importHost(x, xs);
            k.scatterSamplesResidualRelu(k.importHost(branch, bs), bs, samples, io, io);
            assertClose(aliased, k.exportHost(io, xs.size()), 1e-6, "scatter in place");
        }
    }

    @Test
    void aSpatialBlockOfPatchPrimitivesMatchesTheReference() {
        int cin = 32;
        int c1 = 16;
        int cout = 32;
        for (int stride : new int[] {1, 2}) {
            Nchw xs = new Nchw(2, cin, 14, 14);
            SpatialGeometry g = SpatialGeometry.of(14, 14, stride, 2);
            int m = g.gridSize();
            int[] mask = new int[2 * m * m];
            Random r = new Random(stride);
            for (int i = 0; i < mask.length; i++) {
                mask[i] = r.nextInt(2);
            }
            PatchPlan plan = PatchPlan.fromMask(mask, 2, g);
            FoldedConv f1 = conv(c1, cin, 1, 1, 0, 1, 1);
            FoldedConv f2 = conv(c1, c1, 3, stride, 1, 2, 2);
            FoldedConv f3 = conv(cout, c1, 1, 1, 0, 1, 3);
            float[] x = random(xs.size(), 5);
            Nchw os = plan.outputShape(cout);
            float[] identity = random(os.size(), 6);
            float[] acc = identity.clone();
            float[] win = ReferenceOps.gatherConv1x1Relu(x, xs, plan, f1);
            float[] patches = ReferenceOps.patchConv3x3Relu(win, plan, f2);
            ReferenceOps.patchConv1x1Add(patches, plan, f3, acc);
            float[] want = ReferenceOps.relu(acc, os);
            for (SpatialSchedule schedule : backend.spatialSchedules()) {
                try (Kernels<DnnlTensor> k = backend.newKernels(); Kernels.Scope<DnnlTensor> s = k.openScope()) {
                    DnnlTensor a = k.spatialBegin(k.importHost(identity, os), os);
                    DnnlTensor w = k.windowsConv1(k.importHost(x, xs), xs, plan, backend.upload(f1), schedule);
                    DnnlTensor p = k.patchConv3x3Relu(w, plan, backend.upload(f2));
                    assertClose(ReferenceOps.patchMeans(patches, plan, c1), k.exportHost(k.patchMeans(p, plan, c1), 2 * c1),
                            1e-5, "patch means");
                    k.patchConv1x1Add(p, plan, backend.upload(f3), a);
                    assertClose(want, k.exportHost(k.spatialEnd(a, os), os.size()), 1e-5, "spatial block, stride " + stride
                            + ", " + schedule);
                }
            }
        }
    }

    @Test
    void aRepeatedCallCreatesNoPrimitiveAndAllocatesNoBuffer() {
        FoldedConv fc = conv(64, 32, 3, 1, 1, 1, 11);
        ConvWeights w = backend.upload(fc);
        Nchw xs = new Nchw(1, 32, 14, 14);
        float[] x = random(xs.size(), 1);
        try (OneDnnKernels k = (OneDnnKernels) backend.newKernels()) {
            long primitives = 0;
            long allocations = 0;
            for (int call = 0; call < 3; call++) {
                try (Kernels.Scope<DnnlTensor> s = k.openScope()) {
                    DnnlTensor t = k.importHost(x, xs);
                    DnnlTensor y = k.conv(t, xs, w, null, true);
                    k.maxPool(y, new Nchw(1, 64, 14, 14), 3, 2, 1);
                }
                if (call == 1) {
                    primitives = k.primitivesCreated();
                    allocations = k.allocations();
                }
            }
            assertEquals(2, primitives, "one convolution and one pooling primitive");
            assertEquals(primitives, k.primitivesCreated(), "no primitive created by a repeated call");
            assertEquals(allocations, k.allocations(), "no buffer allocated by a repeated call");
        }
    }

    @Test
    void twoExecutorsShareOneReorderedCopyOfTheWeights() {
        FoldedConv fc = conv(64, 64, 3, 1, 1, 1, 12);
        OneDnnWeights w = (OneDnnWeights) backend.upload(fc);
        assertSame(w, backend.upload(fc), "uploading a convolution again returns its weights");
        Nchw xs = new Nchw(1, 64, 8, 8);
        float[] x = random(xs.size(), 2);
        float[][] out = new float[2][];
        long before = backend.reorders();
        for (int worker = 0; worker < 2; worker++) {
            try (Kernels<DnnlTensor> k = backend.newKernels(); Kernels.Scope<DnnlTensor> s = k.openScope()) {
                out[worker] = k.exportHost(k.conv(k.importHost(x, xs), xs, w, null, false), 64 * 64);
            }
        }
        assertEquals(1, w.layoutCount(), "one layout for both executors");
        assertTrue(backend.reorders() - before <= 1, "at most one reorder for both executors");
        assertClose(out[0], out[1], 0, "both executors");
    }

    @Test
    void patchBucketsRoundUpTheActiveRowCount() {
        int[][] want = {{1, 1}, {2, 2}, {3, 4}, {5, 8}, {8, 8}, {9, 16}, {17, 24}, {196, 200}};
        for (int[] w : want) {
            assertEquals(w[1], OneDnnKernels.bucket(w[0]), "bucket of " + w[0]);
        }
    }

    @Test
    void hostPoolingReadsTheChannelsLastBufferAsTheBackendPools() {
        try (Kernels<DnnlTensor> k = backend.newKernels(); Kernels.Scope<DnnlTensor> s = k.openScope()) {
            assertEquals(HostPooling.CPU_LIMIT, k.hostPoolLimit());
            int[][] cases = {
                // B, C, H, W, m
                {1, 16, 28, 28, 7}, {3, 5, 12, 12, 4}, {3, 8, 9, 9, 1}, {3, 4, 30, 30, 7}, {2, 3, 10, 6, 4},
                {3, 24, 7, 7, 7}};
            for (int[] c : cases) {
                Nchw xs = new Nchw(c[0], c[1], c[2], c[3]);
                int m = c[4];
                float[] x = random(xs.size(), 17L * c[2] + m);
                DnnlTensor t = k.importHost(x, xs);
                float[] got = k.poolToHost(t, xs, m);
                String what = "pool " + xs + " to " + m + " x " + m;
                // the default form (NCHW read back, pooled on the host) for every case
                assertClose(HostPooling.adaptive(x, c[0] * c[1], c[2], c[3], m), got, 1e-6, what);
                if (m == 1 && c[2] == c[3]) {
                    assertClose(ReferenceOps.globalAvgPool(x, xs), got, 1e-6, what + " (mean)");
                } else if (c[2] == c[3] && c[2] % m == 0) {
                    assertClose(ReferenceOps.avgPool2d(x, xs, c[2] / m), got, 1e-6, what + " (even bins)");
                }
            }
            Nchw xs = new Nchw(1, 4, 6, 6);
            DnnlTensor t = k.importHost(random(xs.size(), 3), xs);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.poolToHost(t, xs, 7));
            assertTrue(e.getMessage().contains("m must be in [1, min(H, W)]"), e.getMessage());
        }
    }

    @Test
    void closedCellsOutputTheReluOfTheIdentity() {
        // B, C, H, gs, m, S: even cells, a per-pixel grid, cells that reach past the map, two mask groups
        int[][] cases = {{3, 16, 28, 1, 7, 4}, {2, 8, 15, 1, 15, 1}, {3, 6, 10, 1, 3, 4}, {3, 8, 12, 2, 6, 2}};
        try (Kernels<DnnlTensor> k = backend.newKernels(); Kernels.Scope<DnnlTensor> s = k.openScope()) {
            for (int[] c : cases) {
                Nchw shape = new Nchw(c[0], c[1], c[2], c[2]);
                int cellCount = c[0] * c[3] * c[4] * c[4];
                Random r = new Random(c[2]);
                for (String pattern : new String[] {"random", "all closed", "all open"}) {
                    float[] cells = new float[cellCount];
                    for (int i = 0; i < cellCount; i++) {
                        cells[i] = switch (pattern) {
                            case "random" -> r.nextBoolean() ? 1f : 0f;
                            case "all closed" -> 0f;
                            default -> 1f;
                        };
                    }
                    SpatialCells sc = new SpatialCells(cells, c[0], c[3], c[4], c[5]);
                    float[] identity = random(shape.size(), 5);
                    float[] out = random(shape.size(), 6);
                    float[] want = out.clone();
                    ReferenceOps.fillInactiveRelu(identity, shape, sc, want);
                    DnnlTensor o = k.importHost(out, shape);
                    k.fillInactiveRelu(k.importHost(identity, shape), shape, sc, o);
                    assertClose(want, k.exportHost(o, shape.size()), 0, "fill " + shape + " gs " + c[3] + " m "
                            + c[4] + " S " + c[5] + ", " + pattern);
                    // a non-negative identity: the copy without the ReLU pass gives the same elements
                    float[] nonNegative = identity.clone();
                    for (int i = 0; i < nonNegative.length; i++) {
                        nonNegative[i] = Math.abs(nonNegative[i]);
                    }
                    float[] wantCopy = out.clone();
                    ReferenceOps.fillInactiveRelu(nonNegative, shape, sc, wantCopy);
                    DnnlTensor oc = k.importHost(out, shape);
                    k.fillInactiveNonNegative(k.importHost(nonNegative, shape), shape, sc, oc);
                    assertClose(wantCopy, k.exportHost(oc, shape.size()), 0, "copy " + shape + " gs " + c[3] + " m "
                            + c[4] + " S " + c[5] + ", " + pattern);
                }
            }
        }
    }

    @Test
    void badArgumentsAreNamed() {
        FoldedConv fc = conv(8, 4, 1, 1, 0, 1, 13);
        Nchw xs = new Nchw(1, 4, 4, 4);
        try (Kernels<DnnlTensor> k = backend.newKernels(); Kernels.Scope<DnnlTensor> s = k.openScope()) {
            DnnlTensor t = k.importHost(random(xs.size(), 1), xs);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> k.conv(t, xs, new ReferenceWeights(fc), null, false));
            assertTrue(e.getMessage().contains("w must be weights of the onednn backend"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> k.conv(t, new Nchw(1, 4, 5, 5),
                    backend.upload(fc), null, false));
            assertTrue(e.getMessage().contains("x must have shape"), e.getMessage());
            SpatialGeometry g = SpatialGeometry.of(4, 4, 1, 2);
            PatchPlan plan = PatchPlan.fromMask(new int[] {1, 0, 0, 1}, 1, g);
            e = assertThrows(IllegalArgumentException.class,
                    () -> k.windowsConv1(t, xs, plan, backend.upload(fc), SpatialSchedule.M1));
            assertTrue(e.getMessage().contains("M1"), e.getMessage());
            k.release(t);
            e = assertThrows(IllegalArgumentException.class, () -> k.relu(t, xs));
            assertTrue(e.getMessage().contains("released"), e.getMessage());
        }
    }
}
