package org.laudnet.cuda.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.laudnet.cuda.plan.LaudPlan;
import org.laudnet.cuda.plan.SeededPlans;
import org.laudnet.cuda.plan.StageGate;

/** The masked-dense alternative of gated blocks and the threshold rule of the calibration. */
class MaskedDenseTest {

    @Test
    void maskedDenseEqualsSparseInEverySpatialAndLayerMode() {
        StageGate[][] gates = {
            {StageGate.spatial(4), StageGate.spatial(2), StageGate.spatial(1)},
            {StageGate.both(2, 4), StageGate.both(4, 2), StageGate.both(2, 4)},
            {StageGate.layer(), StageGate.layer(), StageGate.layer()},
        };
        for (StageGate[] g : gates) {
            LaudPlan plan = SeededPlans.bottleneckResNet(5, 3, 32, 16, 3, 1, false, new int[] {1, 2, 1},
                    new int[] {8, 16, 16}, 4, 10, g);
            float[] x = new float[3 * 3 * 32 * 32];
            Random r = new Random(2);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            try (CpuPlanExecutor sparse = new CpuPlanExecutor(plan);
                    CpuPlanExecutor dense = new CpuPlanExecutor(plan)) {
                for (int i = 0; i < plan.blocks().size(); i++) {
                    dense.setDenseAbove(i, 0);
                }
                sparse.setGateOverride(new DensityOverride(0.5, 8));
                dense.setGateOverride(new DensityOverride(0.5, 8));
                double err = CpuPlanExecutorTest.relativeError(dense.run(x, 3), sparse.run(x, 3));
                assertTrue(err < 1e-6, List.of(g) + ": " + err);
            }
        }
    }

    @Test
    void thresholdIsWhereTheFittedSparseLineMeetsDense() {
        double[] d = {0.25, 0.5, 0.75, 1.0};
        double[] sparse = {1.5, 2.0, 2.5, 3.0};
        assertEquals(0.5, CudaLaudExecutor.threshold(d, sparse, 2.0), 1e-12);
        assertEquals(Double.POSITIVE_INFINITY, CudaLaudExecutor.threshold(d, sparse, 3.5));
        assertEquals(0.0, CudaLaudExecutor.threshold(d, sparse, 0.5));
        assertEquals(Double.POSITIVE_INFINITY, CudaLaudExecutor.threshold(d, new double[] {1, 1, 1, 1}, 1.5));
    }

    @Test
    void badThresholdsAreRejected() {
        LaudPlan plan = SeededPlans.bottleneckResNet(5, 3, 16, 8, 3, 1, false, new int[] {1}, new int[] {4}, 4, 3,
                StageGate.spatial(4));
        try (CpuPlanExecutor ex = new CpuPlanExecutor(plan)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ex.setDenseAbove(1, 0.5));
            assertTrue(e.getMessage().contains("index"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ex.setDenseAbove(0, -1));
        }
    }
}
