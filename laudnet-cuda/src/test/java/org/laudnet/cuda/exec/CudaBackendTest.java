package org.laudnet.cuda.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.Backends;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.HostExecution;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.cuda.Precision;
import org.laudnet.cuda.check.KernelCheck;
import org.laudnet.cuda.check.NetworkCheckAccess;

/**
 * Whole seeded networks through {@link PlanRuntime} on the CUDA backend against the reference backend, in every gate
 * mode and both policies. Skipped, with the probe's reason, without a usable GPU.
 */
class CudaBackendTest extends CudaModuleTestBase {

    static Stream<Arguments> cases() {
        return NetworkCheckAccess.variantNames().stream()
                .flatMap(v -> Stream.of(Arguments.of(v, 1), Arguments.of(v, 3)));
    }

    @ParameterizedTest(name = "{0}, batch {1}")
    @MethodSource("cases")
    void matchesTheReferenceAtImposedDensities(String variant, int batch) {
        InferencePlan plan = NetworkCheckAccess.plan(variant, 32);
        float[] x = NetworkCheckAccess.images(batch, 32);
        try (PlanRuntime<float[]> ref = PlanRuntime.create(plan, new ReferenceBackend());
                PlanRuntime<?> cuda = PlanRuntime.create(plan, CudaBackend.on(module, Precision.FP32))) {
            for (double d : new double[] {0.0, 0.5, 1.0}) {
                HostExecution want = NetworkCheckAccess.run(ref, x, batch, PathPolicy.DENSE, d);
                for (PathPolicy policy : new PathPolicy[] {PathPolicy.SPARSE, PathPolicy.DENSE}) {
                    HostExecution got = NetworkCheckAccess.run(cuda, x, batch, policy, d);
                    double err = KernelCheck.error(want.logits(), got.logits());
                    assertTrue(err <= 1e-4, variant + " batch " + batch + " density " + d + " " + policy + ": error "
                            + err + ", paths " + got.report().paths());
                }
            }
        }
    }

    @Test
    void sparsePolicyRunsTheHaloKernels() {
        InferencePlan plan = NetworkCheckAccess.plan("ResNet-50 / spatial S=4-4-2-1", 32);
        try (PlanRuntime<?> cuda = PlanRuntime.create(plan, CudaBackend.on(module, Precision.FP32))) {
            HostExecution got = NetworkCheckAccess.run(cuda, NetworkCheckAccess.images(2, 32), 2, PathPolicy.SPARSE,
                    0.5);
            assertTrue(got.report().paths().contains(ExecutionPath.SPATIAL_HALO), got.report().paths().toString());
        }
    }

    @Test
    void backendFacts() {
        try (CudaBackend be = CudaBackend.on(module, Precision.TF32)) {
            assertEquals("cuda", be.id());
            assertEquals(java.util.Set.of(SpatialSchedule.HALO), be.spatialSchedules());
            assertTrue(be.description().contains(context.deviceName()), be.description());
            assertTrue(be.description().contains("TF32"), be.description());
            FoldedConv c = new FoldedConv(2, 2, 1, 1, 0, 1, new float[4], new float[2]);
            assertEquals(be.upload(c), be.upload(c));
            assertEquals(6 * Float.BYTES, be.weightBytes());
        }
        CudaBackend closed = CudaBackend.on(module, Precision.FP32);
        closed.close();
        assertThrows(IllegalStateException.class, closed::newKernels);
    }

    @Test
    void autoPicksTheCudaBackend() {
        try (NDManager manager = NDManager.newBaseManager();
                Backend<?> b = Backends.create(DeviceKind.AUTO, manager)) {
            assertInstanceOf(CudaBackend.class, b);
        }
    }
}
