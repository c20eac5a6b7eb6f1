package org.laudnet.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.ExecutorOptions;
import org.laudnet.core.exec.GateOverride;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.cuda.check.SeededPlans;

/**
 * Workers sharing one oneDNN runtime: three threads, each with its own executor (kernels, primitive cache, buffers)
 * over the same uploaded weights, run a spatially and channel-gated ResNet-50 concurrently and get exactly the logits a
 * single executor gets.
 */
class OneDnnWorkersTest {

    @Test
    void concurrentExecutorsOverSharedWeightsAgreeWithASingleOne() throws Exception {
        InferencePlan plan = SeededPlans.resnet50(2026, 32, 10, GateSpec.both(2, 4), GateSpec.both(2, 4),
                GateSpec.both(1, 4), GateSpec.both(1, 4));
        float[] x = OneDnnEquivalenceTest.images(2, 3);
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, OneDnnBackend.create())) {
            float[] want = run(rt, x);
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<float[]>> results = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    results.add(pool.submit(() -> run(rt, x)));
                }
                for (Future<float[]> f : results) {
                    assertArrayEquals(want, f.get(), "a concurrent executor's logits");
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    private static float[] run(PlanRuntime<?> rt, float[] x) {
        try (NetworkExecutor ex = rt.newExecutor(ExecutorOptions.defaults().withPolicy(PathPolicy.SPARSE))) {
            ex.setGateOverride(GateOverride.density(0.5, 5));
            return ex.run(x, 2).logits();
        }
    }
}
