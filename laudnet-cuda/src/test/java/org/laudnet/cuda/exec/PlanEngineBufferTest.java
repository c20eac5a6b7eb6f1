package org.laudnet.cuda.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.laudnet.cuda.plan.LaudPlan;
import org.laudnet.cuda.plan.SeededPlans;
import org.laudnet.cuda.plan.StageGate;

/**
 * The engine on a host backend with the CUDA backend's buffer semantics (reused, oversized, NaN-poisoned workspaces),
 * against the plain host backend: the GPU path's buffer discipline checked without a GPU.
 */
class PlanEngineBufferTest {

    @Test
    void reusedWorkspacesGiveTheReferenceResultInEveryMode() {
        StageGate[][] gates = {
            {StageGate.dense(), StageGate.dense(), StageGate.dense()},
            {StageGate.spatial(4), StageGate.spatial(2), StageGate.spatial(2)},
            {StageGate.channel(4), StageGate.channel(4), StageGate.channel(2)},
            {StageGate.both(2, 4), StageGate.both(4, 2), StageGate.both(1, 4)},
            {StageGate.layer(), StageGate.layer(), StageGate.layer()},
            {StageGate.both(4, 4), StageGate.layer(), StageGate.channel(4)},
        };
        for (StageGate[] g : gates) {
            LaudPlan plan = SeededPlans.bottleneckResNet(9, 3, 32, 16, 7, 2, true, new int[] {2, 2, 2},
                    new int[] {8, 16, 16}, 4, 10, g);
            for (int batch : new int[] {1, 4}) {
                float[] x = new float[batch * 3 * 32 * 32];
                Random r = new Random(batch * 7L);
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                for (GateOverride o : new GateOverride[] {null, new DensityOverride(0.25, 2),
                    new DensityOverride(0.5, 3), new DensityOverride(1.0, 4)}) {
                    try (PlanEngine<HostBackend.Tensor> ref = new PlanEngine<>(plan, new HostBackend());
                            PlanEngine<HostBackend.Tensor> pooled = new PlanEngine<>(plan, new PooledHostBackend())) {
                        ref.setOverride(o);
                        pooled.setOverride(o);
                        float[] want = ref.backend().read(ref.forward(new HostBackend.Tensor(x, null), batch),
                                batch * 10);
                        // Twice: the second call runs on dirty, reused buffers and cached slices.
                        for (int call = 0; call < 2; call++) {
                            float[] got = pooled.backend().read(
                                    pooled.forward(new HostBackend.Tensor(x, null), batch), batch * 10);
                            assertArrayEquals(want, got, 0f, java.util.List.of(g) + " batch " + batch);
                        }
                        assertEquals(ref.decisions().size(), pooled.decisions().size());
                    }
                }
            }
        }
    }

    @Test
    void singleBlockRunMatchesTheNetworkPass() {
        LaudPlan plan = SeededPlans.bottleneckResNet(9, 3, 32, 16, 3, 1, false, new int[] {1, 2},
                new int[] {8, 16}, 4, 10, StageGate.both(4, 4), StageGate.channel(4));
        PooledHostBackend be = new PooledHostBackend();
        try (PlanEngine<HostBackend.Tensor> e = new PlanEngine<>(plan, be)) {
            float[] x = new float[2 * 32 * 32 * 32];
            Random r = new Random(1);
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.max(0f, (float) r.nextGaussian());
            }
            float[] y = be.read(e.runBlock(0, new HostBackend.Tensor(x, null), 2), 2 * 32 * 32 * 32);
            for (float v : y) {
                assertTrue(v >= 0f && Float.isFinite(v));
            }
            assertEquals(1, e.decisions().size());
            assertTrue(be.requests > 0);
        }
    }
}
