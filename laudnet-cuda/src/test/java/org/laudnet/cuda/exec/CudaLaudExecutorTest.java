package org.laudnet.cuda.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.laudnet.cuda.CudaAvailability;
import org.laudnet.cuda.Precision;
import org.laudnet.cuda.plan.LaudPlan;
import org.laudnet.cuda.plan.SeededPlans;
import org.laudnet.cuda.plan.StageGate;

/**
 * The CUDA executor against the CPU plan executor on small seeded networks in every gating mode, batch 1 and 3.
 * Skipped with the probe's reason without a usable driver, and with {@code -DskipCudaTests=true}.
 */
class CudaLaudExecutorTest {

    @BeforeEach
    void requireCuda() {
        Assumptions.assumeFalse(Boolean.getBoolean("skipCudaTests"), "CUDA tests switched off by -DskipCudaTests=true");
        Assumptions.assumeTrue(CudaAvailability.isAvailable(), () -> "CUDA unavailable: " + CudaAvailability.reason());
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void matchesCpuPlanExecutorInEveryMode(Precision precision) {
        StageGate[][] gates = {
            {StageGate.dense(), StageGate.dense(), StageGate.dense()},
            {StageGate.spatial(4), StageGate.spatial(2), StageGate.spatial(1)},
            {StageGate.channel(4), StageGate.channel(4), StageGate.channel(2)},
            {StageGate.both(2, 4), StageGate.both(4, 2), StageGate.both(2, 4)},
            {StageGate.layer(), StageGate.layer(), StageGate.layer()},
        };
        double tol = precision == Precision.FP32 ? 1e-4 : 1e-2;
        for (StageGate[] g : gates) {
            LaudPlan plan = SeededPlans.bottleneckResNet(7, 3, 32, 16, 3, 1, false, new int[] {1, 2, 1},
                    new int[] {8, 16, 16}, 4, 10, g);
            for (int batch : new int[] {1, 3}) {
                float[] x = new float[batch * 3 * 32 * 32];
                Random r = new Random(batch);
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                try (CpuPlanExecutor cpu = new CpuPlanExecutor(plan);
                        CudaLaudExecutor gpu = CudaLaudExecutor.create(plan, precision)) {
                    cpu.setGateOverride(new DensityOverride(0.5, 3));
                    gpu.setGateOverride(new DensityOverride(0.5, 3));
                    float[] ref = cpu.run(x, batch);
                    float[] got = gpu.run(x, batch);
                    double err = CpuPlanExecutorTest.relativeError(got, ref);
                    assertTrue(err <= tol, List.of(g) + " batch " + batch + ": relative error " + err);
                    assertEquals(cpu.lastDecisions().size(), gpu.lastDecisions().size());
                    assertArrayEquals(cpu.lastDecisions().get(0).spatialMask(),
                            gpu.lastDecisions().get(0).spatialMask());
                    // A second call reuses the workspaces and slice caches and gives the same result.
                    assertArrayEquals(got, gpu.run(x, batch));
                }
            }
        }
    }
}
