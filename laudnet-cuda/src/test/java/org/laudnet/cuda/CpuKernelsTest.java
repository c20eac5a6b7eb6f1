package org.laudnet.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CpuKernelsTest {

    private static final double TOLERANCE = 1e-5;

    /** (name, batch, cin, c1, c2, cout, groups, inSize, stride, cellSize, mask density). */
    static Stream<Arguments> blocks() {
        return Stream.of(
                Arguments.of("random S=2", 2, 6, 5, 5, 7, 1, 8, 1, 2, 0.5),
                Arguments.of("full 7x7 S=7", 1, 4, 6, 6, 8, 1, 7, 1, 7, 1.0),
                Arguments.of("empty", 2, 4, 3, 3, 5, 1, 8, 1, 4, 0.0),
                Arguments.of("stride 2 odd 15 S=4", 2, 5, 4, 4, 6, 1, 15, 2, 4, 0.6),
                Arguments.of("stride 2 14 S=7 full", 1, 3, 4, 4, 4, 1, 14, 2, 7, 1.0),
                Arguments.of("S=1 per pixel", 1, 3, 4, 4, 3, 1, 9, 1, 1, 0.4),
                Arguments.of("partial cells 7 S=2", 2, 4, 4, 6, 5, 1, 7, 1, 2, 0.5),
                Arguments.of("grouped conv2", 2, 4, 8, 8, 6, 4, 10, 2, 2, 0.5));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("blocks")
    void sparsePipelineEqualsDenseThenMask(String name, int batch, int cin, int c1, int c2, int cout, int groups,
            int inSize, int stride, int cellSize, double density) {
        BlockReference block =
                new BlockReference(name.hashCode(), batch, cin, c1, c2, cout, groups, inSize, stride, cellSize);
        int m = block.geometry.gridSize();
        int[] mask = TestData.randomMask(new Random(name.hashCode() + 1L), batch * m * m, density);
        PatchPlan plan = PatchPlan.fromMask(mask, batch, block.geometry);
        float[] sparse = block.sparse(plan);
        float[] dense = block.denseMasked(mask, null);
        double err = TestData.relativeError(sparse, dense);
        assertTrue(err <= TOLERANCE, name + ": relative error " + err);
        if (density == 0.0) {
            for (int k = 0; k < dense.length; k++) {
                assertEquals(Math.max(block.identity[k], 0f), sparse[k], 0f);
            }
        }
    }

    @Test
    void gatheredWindowIsZeroOutsideTheImageAndActivatedInside() {
        // Hin = 15, s = 2, S = 4: patch (0, 1, 1) reads input rows/cols 7..15; row and column 15 are outside.
        BlockReference block = new BlockReference(11, 1, 3, 2, 2, 2, 1, 15, 2, 4);
        PatchPlan plan = PatchPlan.fromMask(new int[] {0, 0, 0, 1}, 1, block.geometry);
        float[] p1 = CpuKernels.gatherConv1x1Relu(block.x, block.xShape, plan, block.w1, block.b1, 2);
        int t = 9;
        assertEquals(2 * t * t, p1.length);
        for (int c = 0; c < 2; c++) {
            for (int k = 0; k < t; k++) {
                assertEquals(0f, p1[(c * t + 8) * t + k], 0f, "bottom halo row");
                assertEquals(0f, p1[(c * t + k) * t + 8], 0f, "right halo column");
            }
            // Window (0, 0) is input pixel (7, 7).
            double acc = block.b1[c];
            for (int k = 0; k < 3; k++) {
                acc += block.w1[c * 3 + k] * block.x[block.xShape.index(0, k, 7, 7)];
            }
            assertEquals((float) Math.max(acc, 0), p1[c * t * t], 1e-6f);
        }
    }

    @Test
    void channelAndSpatialSkippingWithWeightSlicesEqualsMaskedDense() {
        int width = 8;
        BlockReference block = new BlockReference(5, 2, 6, width, width, 10, 1, 12, 1, 3);
        int[] groupMask = {1, 0, 0, 1};
        ChannelSelection sel = ChannelSelection.fromGroupMask(groupMask, width);
        int[] ch = sel.channels();
        int n = sel.count();
        BlockReference sliced = new BlockReference(5, 2, 6, n, n, 10, 1, 12, 1, 3);
        copyInto(sliced.w1, CpuKernels.weightGather(block.w1, 6, 1, ch, null));
        copyInto(sliced.b1, CpuKernels.weightGather(block.b1, 1, 1, ch, null));
        copyInto(sliced.w2, CpuKernels.weightGather(block.w2, width, 9, ch, ch));
        copyInto(sliced.b2, CpuKernels.weightGather(block.b2, 1, 1, ch, null));
        copyInto(sliced.w3, CpuKernels.weightGather(block.w3, width, 1, TestData.range(10), ch));
        copyInto(sliced.b3, block.b3);
        assertArrayEquals(block.x, sliced.x);
        copyInto(sliced.identity, block.identity);
        int m = block.geometry.gridSize();
        int[] mask = TestData.randomMask(new Random(9), 2 * m * m, 0.5);
        PatchPlan plan = PatchPlan.fromMask(mask, 2, block.geometry);
        float[] channelMask = new float[width];
        for (int c : ch) {
            channelMask[c] = 1f;
        }
        float[] sparse = sliced.sparse(plan);
        float[] dense = block.denseMasked(mask, channelMask);
        double err = TestData.relativeError(sparse, dense);
        assertTrue(err <= TOLERANCE, "relative error " + err);
    }

    @Test
    void layerSkippingGatherBranchScatterEqualsMaskedDense() {
        BlockReference block = new BlockReference(21, 5, 4, 6, 6, 4, 1, 8, 1, 8);
        int[] gate = {1, 0, 1, 1, 0};
        SamplePlan plan = SamplePlan.fromGate(gate);
        int[] idx = plan.activeIndices();
        Nchw xs = block.xShape;
        float[] xa = CpuKernels.gatherSamples(block.x, idx, xs.perSample());
        Nchw xas = xs.withBatch(idx.length);
        float[] a1 = CpuKernels.conv2d(xa, xas, block.w1, block.b1, 6, 1, 1, 1, 0, 1, null, true);
        float[] a2 = CpuKernels.conv2d(a1, xas.withChannels(6), block.w2, block.b2, 6, 3, 3, 1, 1, 1, null, true);
        float[] a3 = CpuKernels.conv2d(a2, xas.withChannels(6), block.w3, block.b3, 4, 1, 1, 1, 0, 1, null, false);
        Nchw os = block.outShape();
        float[] out = new float[os.size()];
        Arrays.fill(out, Float.NaN);
        CpuKernels.fillInactiveRelu(block.identity, os, plan.gate(), 8, 1, out);
        CpuKernels.scatterSamplesResidualRelu(a3, idx, os.perSample(), block.identity, out);
        float[] dense = block.denseMasked(gate, null);
        double err = TestData.relativeError(out, dense);
        assertTrue(err <= TOLERANCE, "relative error " + err);
    }

    @Test
    void conv2dMatchesHandComputedValues() {
        // 1 x 1 x 3 x 3 input 1..9, kernel of ones 3x3, pad 1, stride 2 -> 2x2 corner sums, plus bias 0.5.
        float[] x = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        float[] w = new float[9];
        Arrays.fill(w, 1f);
        float[] y = CpuKernels.conv2d(x, new Nchw(1, 1, 3, 3), w, new float[] {0.5f}, 1, 3, 3, 2, 1, 1, null, false);
        assertArrayEquals(new float[] {12.5f, 16.5f, 24.5f, 28.5f}, y, 0f);
        float[] residual = {-20, 0, 0, -30};
        float[] r = CpuKernels.conv2d(x, new Nchw(1, 1, 3, 3), w, new float[] {0.5f}, 1, 3, 3, 2, 1, 1, residual, true);
        assertArrayEquals(new float[] {0f, 16.5f, 24.5f, 0f}, r, 0f);
    }

    @Test
    void stemConvolutionShapeAndLinearHead() {
        Random rnd = new Random(3);
        Nchw xs = new Nchw(1, 3, 15, 15);
        float[] x = TestData.uniform(rnd, xs.size(), 1f);
        float[] w = TestData.uniform(rnd, 4 * 3 * 49, 0.1f);
        float[] y = CpuKernels.conv2d(x, xs, w, null, 4, 7, 7, 2, 3, 1, null, true);
        assertEquals(4 * 8 * 8, y.length);
        // Output (0, 2, 0, 0) sees input rows/cols 0..3 only (the rest is padding).
        double acc = 0;
        for (int c = 0; c < 3; c++) {
            for (int ky = 3; ky < 7; ky++) {
                for (int kx = 3; kx < 7; kx++) {
                    acc += w[((2 * 3 + c) * 7 + ky) * 7 + kx] * x[xs.index(0, c, ky - 3, kx - 3)];
                }
            }
        }
        assertEquals((float) Math.max(acc, 0), y[2 * 64], 1e-6f);
        float[] fc = CpuKernels.linear(new float[] {1, 2, 3, 4, 5, 6}, 2, new float[] {1, 0, -1, 2, 2, 2},
                new float[] {0.5f, -1f}, 2);
        assertArrayEquals(new float[] {-1.5f, 11f, -1.5f, 29f}, fc, 0f);
    }

    @Test
    void maxPoolAndGlobalAveragePool() {
        float[] x = {1, 5, 2, 0, 9, 3, 4, 8, 7, 6, 1, 2, 3, 3, 3, 3};
        float[] y = CpuKernels.maxPool2d(x, new Nchw(1, 1, 4, 4), 3, 2, 1);
        assertArrayEquals(new float[] {9, 8, 9, 8}, y, 0f);
        float[] neg = {-4, -3, -2, -1};
        assertArrayEquals(new float[] {-1}, CpuKernels.maxPool2d(neg, new Nchw(1, 1, 2, 2), 3, 2, 1), 0f);
        float[] avg = CpuKernels.globalAvgPool(new float[] {1, 2, 3, 4, 10, 20, 30, 40}, 2, 4);
        assertArrayEquals(new float[] {2.5f, 25f}, avg, 0f);
    }

    @Test
    void weightGatherSlicesRowsAndColumns() {
        // w (3, 2, 2): value = 100 o + 10 i + r.
        float[] w = {0, 1, 10, 11, 100, 101, 110, 111, 200, 201, 210, 211};
        assertArrayEquals(new float[] {210, 211, 10, 11},
                CpuKernels.weightGather(w, 2, 2, new int[] {2, 0}, new int[] {1}), 0f);
        assertArrayEquals(new float[] {100, 101, 110, 111}, CpuKernels.weightGather(w, 2, 2, new int[] {1}, null), 0f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuKernels.weightGather(w, 2, 2, new int[] {3}, null));
        assertTrue(e.getMessage().contains("outIdx"), e.getMessage());
    }

    @Test
    void rejectsInputOfWrongShape() {
        BlockReference block = new BlockReference(1, 1, 3, 2, 2, 2, 1, 8, 1, 4);
        PatchPlan plan = PatchPlan.fromMask(new int[] {1, 1, 1, 1}, 1, block.geometry);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CpuKernels.gatherConv1x1Relu(block.x, new Nchw(1, 3, 9, 9), plan, block.w1, block.b1, 2));
        assertTrue(e.getMessage().contains("x"), e.getMessage());
        IllegalArgumentException g = assertThrows(IllegalArgumentException.class,
                () -> CpuKernels.patchConv3x3Relu(new float[4 * 2 * 36], plan, 2, 3, block.w2, block.b2, 2));
        assertTrue(g.getMessage().contains("groups"), g.getMessage());
    }

    private static void copyInto(float[] dst, float[] src) {
        assertEquals(dst.length, src.length);
        System.arraycopy(src, 0, dst, 0, src.length);
    }
}
