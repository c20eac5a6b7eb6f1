package org.laudnet.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kernel against its {@link CpuKernels} reference on a real GPU, with output buffers NaN-poisoned before each
 * launch so that a position the kernel fails to write is caught. Skipped (with the probe's reason) without a driver
 * or with {@code -DskipCudaTests=true}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GpuKernelsTest {

    private CudaContext context;
    private KernelModule module;

    @BeforeEach
    void open() {
        CudaTestSupport.assumeCuda();
        if (context == null) {
            context = CudaContext.currentOrPrimary(0);
            module = KernelModule.load(context);
        }
    }

    @AfterAll
    void close() {
        if (module != null) {
            module.close();
        }
        if (context != null) {
            context.close();
        }
    }

    private static double tolerance(Precision p) {
        return p == Precision.FP32 ? 1e-4 : 2e-2;
    }

    private DeviceBuffer poisoned(long n) {
        DeviceBuffer b = DeviceBuffer.allocate(context, n);
        b.fill(Float.NaN);
        return b;
    }

    @Test
    void functionCacheStoresHandles() {
        int before = module.cachedFunctionCount();
        assertSame(module.function(Kernel.GLOBAL_AVG_POOL), module.function(Kernel.GLOBAL_AVG_POOL));
        assertTrue(module.cachedFunctionCount() <= before + 1);
        assertTrue(module.origin().contains("PTX") || module.origin().contains("NVRTC"), module.origin());
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void spatialPipelineMatchesCpuReference(Precision precision) {
        SparseKernels k = new SparseKernels(module, precision);
        int[][] shapes = {
            // batch, cin, c1, c2, cout, groups, inSize, stride, cellSize
            {2, 70, 66, 66, 130, 1, 15, 2, 4},
            {1, 32, 16, 16, 64, 1, 7, 1, 7},
            {2, 24, 32, 32, 48, 4, 12, 1, 1},
        };
        for (int[] s : shapes) {
            BlockReference block = new BlockReference(Arrays.hashCode(s), s[0], s[1], s[2], s[3], s[4], s[5], s[6],
                    s[7], s[8]);
            int m = block.geometry.gridSize();
            int[] mask = TestData.randomMask(new Random(7), s[0] * m * m, 0.5);
            PatchPlan plan = PatchPlan.fromMask(mask, s[0], block.geometry);
            Nchw os = block.outShape();
            try (DeviceBuffer x = DeviceBuffer.of(context, block.x);
                    DeviceBuffer patches = DeviceBuffer.of(context, plan.patches());
                    DeviceBuffer maskBuf = DeviceBuffer.of(context, mask);
                    DeviceBuffer w1 = DeviceBuffer.of(context, block.w1);
                    DeviceBuffer b1 = DeviceBuffer.of(context, block.b1);
                    DeviceBuffer w2 = DeviceBuffer.of(context, block.w2);
                    DeviceBuffer b2 = DeviceBuffer.of(context, block.b2);
                    DeviceBuffer w3 = DeviceBuffer.of(context, block.w3);
                    DeviceBuffer b3 = DeviceBuffer.of(context, block.b3);
                    DeviceBuffer identity = DeviceBuffer.of(context, block.identity);
                    DeviceBuffer p1 = poisoned(plan.windowElements(block.c1));
                    DeviceBuffer p2 = poisoned(plan.patchElements(block.c2));
                    DeviceBuffer out = poisoned(os.size())) {
                k.gatherConv1x1Relu(x, block.xShape, plan, patches, w1, b1, block.c1, p1);
                float[] p1Ref = CpuKernels.gatherConv1x1Relu(block.x, block.xShape, plan, block.w1, block.b1, block.c1);
                assertClose(p1Ref, p1.downloadFloats(), tolerance(precision), "gather+conv1 " + Arrays.toString(s));
                // conv2 reads the reference input so that each kernel is checked on its own.
                p1.upload(p1Ref);
                k.patchConv3x3Relu(p1, plan, block.c1, block.groups, w2, b2, block.c2, p2);
                float[] p2Ref = CpuKernels.patchConv3x3Relu(p1Ref, plan, block.c1, block.groups, block.w2, block.b2,
                        block.c2);
                assertClose(p2Ref, p2.downloadFloats(), tolerance(precision), "conv2 " + Arrays.toString(s));
                p2.upload(p2Ref);
                k.fillInactiveRelu(identity, os, maskBuf, block.geometry.cellSize(), m, out);
                k.patchConv1x1ScatterRelu(p2, plan, patches, block.c2, w3, b3, block.cout, identity, out);
                float[] ref = new float[os.size()];
                CpuKernels.fillInactiveRelu(block.identity, os, mask, block.geometry.cellSize(), m, ref);
                CpuKernels.patchConv1x1ScatterRelu(p2Ref, plan, block.c2, block.w3, block.b3, block.cout,
                        block.identity, ref);
                assertClose(ref, out.downloadFloats(), tolerance(precision), "conv3+scatter " + Arrays.toString(s));
                // The whole pipeline on the device equals the dense-then-mask result.
                out.fill(Float.NaN);
                k.gatherConv1x1Relu(x, block.xShape, plan, patches, w1, b1, block.c1, p1);
                k.patchConv3x3Relu(p1, plan, block.c1, block.groups, w2, b2, block.c2, p2);
                k.fillInactiveRelu(identity, os, maskBuf, block.geometry.cellSize(), m, out);
                k.patchConv1x1ScatterRelu(p2, plan, patches, block.c2, w3, b3, block.cout, identity, out);
                assertClose(block.denseMasked(mask, null), out.downloadFloats(), tolerance(precision),
                        "pipeline " + Arrays.toString(s));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void denseConvolutionsMatchCpuReference(Precision precision) {
        SparseKernels k = new SparseKernels(module, precision);
        Random rnd = new Random(17);
        // stem 7x7/2 pad 3 + ReLU; downsample 1x1/2; grouped 3x3 with residual; fc head.
        int[][] convs = {
            // batch, cin, h, cout, kh, stride, pad, groups, residual, relu
            {2, 3, 37, 64, 7, 2, 3, 1, 0, 1},
            {2, 96, 14, 130, 1, 2, 0, 1, 0, 0},
            {1, 64, 9, 64, 3, 1, 1, 8, 1, 1},
        };
        for (int[] c : convs) {
            Nchw xs = new Nchw(c[0], c[1], c[2], c[2]);
            float[] x = TestData.uniform(rnd, xs.size(), 1f);
            float[] w = TestData.uniform(rnd, c[3] * (c[1] / c[7]) * c[4] * c[4], 0.2f);
            float[] bias = TestData.uniform(rnd, c[3], 0.1f);
            int ho = CpuKernels.outSize(c[2], c[4], c[5], c[6]);
            float[] residual = c[8] == 1 ? TestData.uniform(rnd, c[0] * c[3] * ho * ho, 1f) : null;
            float[] ref = CpuKernels.conv2d(x, xs, w, bias, c[3], c[4], c[4], c[5], c[6], c[7], residual, c[9] == 1);
            try (DeviceBuffer xb = DeviceBuffer.of(context, x);
                    DeviceBuffer wb = DeviceBuffer.of(context, w);
                    DeviceBuffer bb = DeviceBuffer.of(context, bias);
                    DeviceBuffer rb = residual == null ? null : DeviceBuffer.of(context, residual);
                    DeviceBuffer yb = poisoned(ref.length)) {
                Nchw ys = k.conv2d(xb, xs, wb, bb, c[3], c[4], c[4], c[5], c[6], c[7], rb, c[9] == 1, yb);
                assertEquals(ref.length, ys.size());
                assertClose(ref, yb.downloadFloats(), tolerance(precision), "conv " + Arrays.toString(c));
            }
        }
        float[] feat = TestData.uniform(rnd, 3 * 200, 1f);
        float[] fcw = TestData.uniform(rnd, 10 * 200, 0.1f);
        float[] fcb = TestData.uniform(rnd, 10, 0.1f);
        float[] ref = CpuKernels.linear(feat, 3, fcw, fcb, 10);
        try (DeviceBuffer xb = DeviceBuffer.of(context, feat);
                DeviceBuffer wb = DeviceBuffer.of(context, fcw);
                DeviceBuffer bb = DeviceBuffer.of(context, fcb);
                DeviceBuffer yb = poisoned(30)) {
            k.linear(xb, 3, 200, wb, bb, 10, yb);
            assertClose(ref, yb.downloadFloats(), tolerance(precision), "linear");
        }
    }

    @Test
    void poolingMatchesCpuReference() {
        SparseKernels k = new SparseKernels(module, Precision.FP32);
        Random rnd = new Random(23);
        Nchw xs = new Nchw(2, 5, 17, 17);
        float[] x = TestData.uniform(rnd, xs.size(), 3f);
        float[] ref = CpuKernels.maxPool2d(x, xs, 3, 2, 1);
        float[] avgRef = CpuKernels.globalAvgPool(x, 10, 17 * 17);
        try (DeviceBuffer xb = DeviceBuffer.of(context, x);
                DeviceBuffer yb = poisoned(ref.length);
                DeviceBuffer ab = poisoned(10)) {
            k.maxPool2d(xb, xs, 3, 2, 1, yb);
            k.globalAvgPool(xb, 10, 17 * 17, ab);
            assertClose(ref, yb.downloadFloats(), 0.0, "maxpool");
            assertClose(avgRef, ab.downloadFloats(), 1e-5, "avgpool");
        }
    }

    @Test
    void channelAndSampleMovementMatchCpuReference() {
        SparseKernels k = new SparseKernels(module, Precision.FP32);
        Random rnd = new Random(29);
        float[] w2 = TestData.uniform(rnd, 16 * 16 * 9, 1f);
        int[] ch = ChannelSelection.fromGroupMask(new int[] {1, 0, 1, 1}, 16).channels();
        float[] ref = CpuKernels.weightGather(w2, 16, 9, ch, ch);
        float[] refAllIn = CpuKernels.weightGather(w2, 16, 9, ch, null);
        Nchw xs = new Nchw(5, 6, 7, 7);
        float[] x = TestData.uniform(rnd, xs.size(), 1f);
        float[] identity = TestData.uniform(rnd, xs.size(), 1f);
        SamplePlan plan = SamplePlan.fromGate(new int[] {0, 1, 1, 0, 1});
        int[] idx = plan.activeIndices();
        float[] gathered = CpuKernels.gatherSamples(x, idx, xs.perSample());
        float[] out = new float[xs.size()];
        CpuKernels.fillInactiveRelu(identity, xs, plan.gate(), 7, 1, out);
        CpuKernels.scatterSamplesResidualRelu(gathered, idx, xs.perSample(), identity, out);
        try (DeviceBuffer wb = DeviceBuffer.of(context, w2);
                DeviceBuffer chb = DeviceBuffer.of(context, ch);
                DeviceBuffer slice = poisoned(ref.length);
                DeviceBuffer sliceAll = poisoned(refAllIn.length);
                DeviceBuffer xb = DeviceBuffer.of(context, x);
                DeviceBuffer idb = DeviceBuffer.of(context, identity);
                DeviceBuffer idxb = DeviceBuffer.of(context, idx);
                DeviceBuffer gate = DeviceBuffer.of(context, plan.gate());
                DeviceBuffer gb = poisoned(gathered.length);
                DeviceBuffer ob = poisoned(xs.size())) {
            k.weightGather(wb, 16, 16, 9, chb, ch.length, chb, ch.length, slice);
            k.weightGather(wb, 16, 16, 9, chb, ch.length, null, 16, sliceAll);
            k.gatherSamples(xb, 5, idxb, idx.length, xs.perSample(), gb);
            k.fillInactiveRelu(idb, xs, gate, 7, 1, ob);
            k.scatterSamplesResidualRelu(gb, idxb, idx.length, xs.perSample(), idb, 5, ob);
            assertClose(ref, slice.downloadFloats(), 0.0, "weight gather");
            assertClose(refAllIn, sliceAll.downloadFloats(), 0.0, "weight gather, all inputs");
            assertClose(gathered, gb.downloadFloats(), 0.0, "sample gather");
            assertClose(out, ob.downloadFloats(), 0.0, "fill + sample scatter");
        }
    }

    private static void assertClose(float[] expected, float[] actual, double tol, String what) {
        double err = TestData.relativeError(actual, expected);
        assertTrue(err <= tol, what + ": relative error " + err + " > " + tol);
    }
}
