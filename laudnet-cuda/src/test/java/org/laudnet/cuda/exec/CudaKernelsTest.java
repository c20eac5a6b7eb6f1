package org.laudnet.cuda.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PatchPlan;
import org.laudnet.core.exec.SpatialGeometry;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.cuda.DeviceBuffer;
import org.laudnet.cuda.Precision;
import org.laudnet.cuda.check.KernelCheck;

/**
 * Every CUDA primitive against {@code ReferenceOps} ({@link KernelCheck}), and the kernels' scopes, pool and errors.
 * Skipped, with the probe's reason, without a usable GPU (and with {@code -DskipCudaTests=true}).
 */
class CudaKernelsTest extends CudaModuleTestBase {

    @Test
    void everyPrimitiveMatchesTheReferenceInFp32() {
        List<KernelCheck.Row> rows = new KernelCheck(module, 17).run(Precision.FP32);
        assertTrue(rows.size() > 30, "rows: " + rows.size());
        for (KernelCheck.Row r : rows) {
            assertTrue(r.pass(), r.toString());
        }
    }

    @Test
    void gemmPrimitivesStayWithinTheTf32Tolerance() {
        for (KernelCheck.Row r : new KernelCheck(module, 18).run(Precision.TF32)) {
            assertTrue(r.pass(), r.toString());
        }
    }

    @Test
    void closedScopesReturnTheirBuffersToThePoolForReuse() {
        try (CudaBackend be = CudaBackend.on(module, Precision.FP32);
                CudaKernels k = (CudaKernels) be.newKernels()) {
            Nchw s = new Nchw(2, 3, 5, 7);
            float[] x = ramp(s.size());
            for (int pass = 0; pass < 3; pass++) {
                try (Kernels.Scope<DeviceBuffer> scope = k.openScope()) {
                    DeviceBuffer a = k.importHost(x, s);
                    DeviceBuffer r = k.relu(a, s);
                    assertEquals(2, k.liveTensors());
                    assertArrayEquals(relu(x), k.exportHost(r, s.size()));
                }
                assertEquals(0, k.liveTensors());
                assertEquals(2, k.idleBuffers());
            }
            assertEquals(2, k.allocations(), "the second and third passes reuse the pooled buffers");
        }
    }

    @Test
    void keepMovesATensorOutwardAndReleaseFreesItEarly() {
        try (CudaBackend be = CudaBackend.on(module, Precision.FP32);
                CudaKernels k = (CudaKernels) be.newKernels()) {
            Nchw s = new Nchw(1, 2, 3, 3);
            try (Kernels.Scope<DeviceBuffer> outer = k.openScope()) {
                DeviceBuffer kept;
                try (Kernels.Scope<DeviceBuffer> inner = k.openScope()) {
                    kept = inner.keep(k.importHost(ramp(s.size()), s));
                    k.relu(kept, s);
                    assertEquals(2, k.liveTensors());
                }
                assertEquals(1, k.liveTensors());
                assertArrayEquals(ramp(s.size()), k.exportHost(kept, s.size()));
                k.release(kept);
                assertEquals(0, k.liveTensors());
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> k.release(kept));
                assertTrue(e.getMessage().contains("not a live tensor"), e.getMessage());
            }
        }
    }

    @Test
    void theIdentityOfAnUnfinishedAccumulatorIsNotReleased() {
        try (CudaBackend be = CudaBackend.on(module, Precision.FP32);
                CudaKernels k = (CudaKernels) be.newKernels();
                Kernels.Scope<DeviceBuffer> scope = k.openScope()) {
            Nchw s = new Nchw(1, 2, 4, 4);
            DeviceBuffer identity = k.importHost(ramp(s.size()), s);
            DeviceBuffer acc = k.spatialBegin(identity, s);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> k.release(identity));
            assertTrue(e.getMessage().contains("spatialEnd"), e.getMessage());
            assertArrayEquals(relu(ramp(s.size())), k.exportHost(k.spatialEnd(acc, s), s.size()));
            k.release(identity);
            assertEquals(1, k.liveTensors());
        }
    }

    @Test
    void importAndExportEngineArrays() {
        try (CudaBackend be = CudaBackend.on(module, Precision.FP32);
                CudaKernels k = (CudaKernels) be.newKernels();
                NDManager m = NDManager.newBaseManager()) {
            Nchw s = new Nchw(2, 1, 2, 3);
            NDArray x = m.create(ramp(s.size()), new Shape(2, 1, 2, 3));
            try (Kernels.Scope<DeviceBuffer> scope = k.openScope()) {
                NDArray y = k.exportArray(k.relu(k.importArray(x, s), s), s, m);
                assertEquals(new Shape(2, 1, 2, 3), y.getShape());
                assertArrayEquals(relu(ramp(s.size())), y.toFloatArray());
                assertThrows(IllegalArgumentException.class, () -> k.importArray(x, new Nchw(1, 2, 2, 3)));
            }
        }
    }

    @Test
    void misuseIsRejectedWithTheParameterNamed() {
        try (CudaBackend be = CudaBackend.on(module, Precision.FP32);
                CudaKernels k = (CudaKernels) be.newKernels();
                Kernels.Scope<DeviceBuffer> scope = k.openScope()) {
            Nchw xs = new Nchw(1, 4, 8, 8);
            DeviceBuffer x = k.importHost(ramp(xs.size()), xs);
            PatchPlan plan = PatchPlan.fromMask(new int[] {1, 0, 0, 1}, 1, SpatialGeometry.of(8, 8, 1, 4));
            FoldedConv c1 = new FoldedConv(2, 4, 1, 1, 0, 1, new float[8], new float[2]);
            IllegalArgumentException schedule = assertThrows(IllegalArgumentException.class,
                    () -> k.windowsConv1(x, xs, plan, be.upload(c1), SpatialSchedule.WINDOWS));
            assertTrue(schedule.getMessage().contains("[HALO]"), schedule.getMessage());
            FoldedConv c3 = new FoldedConv(4, 2, 1, 1, 0, 1, new float[8], new float[4]);
            DeviceBuffer patches = k.importHost(new float[2 * 2 * 16], new Nchw(2, 2, 4, 4));
            IllegalArgumentException acc = assertThrows(IllegalArgumentException.class,
                    () -> k.patchConv1x1Add(patches, plan, be.upload(c3), x));
            assertTrue(acc.getMessage().contains("spatialBegin"), acc.getMessage());
            IllegalArgumentException short1 = assertThrows(IllegalArgumentException.class,
                    () -> k.relu(patches, xs));
            assertTrue(short1.getMessage().contains("x must hold 256 values"), short1.getMessage());
            IllegalArgumentException samples = assertThrows(IllegalArgumentException.class,
                    () -> k.gatherSamples(x, xs, new int[] {0, 0}));
            assertTrue(samples.getMessage().contains("distinct"), samples.getMessage());
        }
    }

    private static float[] ramp(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i - n / 2f;
        }
        return a;
    }

    private static float[] relu(float[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = Math.max(a[i], 0f);
        }
        return r;
    }
}
