package org.laudnet.cuda.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.laudnet.cuda.CudaAvailability;
import org.laudnet.cuda.Precision;
import org.laudnet.cuda.plan.LaudPlan;
import org.laudnet.cuda.plan.SeededPlans;
import org.laudnet.cuda.plan.StageGate;

class LaudInferenceTest {

    private static LaudPlan plan() {
        return SeededPlans.bottleneckResNet(2, 3, 16, 8, 3, 1, false, new int[] {1, 1}, new int[] {4, 8}, 4, 5,
                StageGate.spatial(2), StageGate.channel(2));
    }

    @Test
    void autoFallsBackToCpuWithTheProbeReason() {
        Assumptions.assumeFalse(CudaAvailability.isAvailable(), "a GPU is present: the fallback cannot be observed");
        try (LaudExecutor ex = LaudInference.create(plan(), DevicePreference.AUTO, Precision.FP32)) {
            assertInstanceOf(CpuPlanExecutor.class, ex);
            assertTrue(ex.description().contains(CudaAvailability.reason()), ex.description());
            assertTrue(ex.description().startsWith("CPU executor: CUDA unavailable: "), ex.description());
            float[] logits = ex.run(new float[2 * 3 * 16 * 16], 2);
            assertEquals(10, logits.length);
            assertEquals(logits[0], logits[5], 0f);
        }
    }

    @Test
    void cudaPreferenceFailsWithTheProbeReason() {
        Assumptions.assumeFalse(CudaAvailability.isAvailable(), "a GPU is present: CUDA would start");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> LaudInference.create(plan(), DevicePreference.CUDA, Precision.FP32));
        assertTrue(e.getMessage().contains(CudaAvailability.reason()), e.getMessage());
    }

    @Test
    void cpuPreferenceNeverProbesTheGpu() {
        try (LaudExecutor ex = LaudInference.create(plan(), DevicePreference.CPU, Precision.TF32)) {
            assertInstanceOf(CpuPlanExecutor.class, ex);
            assertEquals("CPU executor: requested", ex.description());
        }
        assertThrows(IllegalArgumentException.class, () -> LaudInference.create(null, DevicePreference.CPU,
                Precision.FP32));
    }

    @Test
    void autoUsesCudaWhenAvailable() {
        Assumptions.assumeFalse(Boolean.getBoolean("skipCudaTests"), "CUDA tests switched off");
        Assumptions.assumeTrue(CudaAvailability.isAvailable(), () -> "CUDA unavailable: " + CudaAvailability.reason());
        try (LaudExecutor ex = LaudInference.create(plan(), DevicePreference.AUTO, Precision.FP32)) {
            assertInstanceOf(CudaLaudExecutor.class, ex);
            assertTrue(ex.description().startsWith("CUDA on "), ex.description());
        }
    }
}
