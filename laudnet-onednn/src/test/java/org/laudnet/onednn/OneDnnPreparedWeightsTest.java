package org.laudnet.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.ExecutorOptions;
import org.laudnet.core.exec.GateOverride;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.cuda.check.SeededPlans;

/**
 * Weights reordered when the plan is loaded: creating a runtime reorders every dense convolution into the layout its
 * primitive asks for, so that the first inference (dense path, batch 1; batch 8 after {@code calibrate(8)}) reorders
 * nothing; executors of one model, on different threads, share those copies (one layout per convolution, no further
 * reorder); a new thread count prepares again and frees the layouts of the old one that no primitive used.
 */
class OneDnnPreparedWeightsTest {

    private static InferencePlan resnet(GateSpec g) {
        return SeededPlans.resNet(SeededPlans.ResNetShape.R50, 2026, 32, 10, new GateSpec[] {g, g, g, g});
    }

    private static InferencePlan regnet(GateSpec... g) {
        return SeededPlans.regNetY(SeededPlans.RegNetShape.Y_400MF, 2026, 32, 10,
                g.length == 1 ? new GateSpec[] {g[0], g[0], g[0], g[0]} : g);
    }

    @Test
    void theFirstInferenceAfterLoadingReordersNothing() {
        List<InferencePlan> plans = List.of(resnet(GateSpec.none()), resnet(GateSpec.channel(4)),
                regnet(GateSpec.none()), regnet(GateSpec.spatial(2), GateSpec.spatial(2), GateSpec.spatial(1),
                        GateSpec.spatial(1)));
        for (InferencePlan plan : plans) {
            boolean gated = plan.blocks().stream().anyMatch(b -> b.mode() != GateMode.NONE);
            OneDnnBackend backend = OneDnnBackend.create(2);
            try (PlanRuntime<?> rt = PlanRuntime.create(plan, backend)) {
                long loaded = backend.reorders();
                assertTrue(loaded > 0, "loading reorders the weights");
                // a gated plan with its gates imposed at half the cells or channels: the dense path still runs every
                // layer (with masks), maskers included, so it needs no other layout
                float[] y1 = run(rt, 1, gated ? 0.5 : Double.NaN);
                assertEquals(loaded, backend.reorders(), plan.architecture() + ": the first call at batch 1");
                assertEquals(10, y1.length);
                if (!gated) {
                    // calibrating a static plan measures nothing but prepares the batch size
                    rt.calibrate(8);
                    long calibrated = backend.reorders();
                    assertEquals(80, run(rt, 8, Double.NaN).length);
                    assertEquals(calibrated, backend.reorders(), plan.architecture() + ": the first call at batch 8");
                    // oneDNN may want another layout at batch 8: at most one per prepared batch size
                    for (OneDnnWeights w : weights(backend, plan).values()) {
                        assertTrue(w.layoutCount() <= 2, w + " holds " + w.layoutCount() + " layouts");
                    }
                }
            }
        }
    }

    @Test
    void preparedChannelPatternsLeaveCallsNothingToReorderAndPrimitivesSettle() {
        InferencePlan plan = resnet(GateSpec.channel(4));
        OneDnnBackend backend = OneDnnBackend.create(2);
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, backend);
                NetworkExecutor ex = rt.newExecutor(ExecutorOptions.defaults().withPolicy(PathPolicy.SPARSE))) {
            long loaded = backend.reorders();
            assertTrue(rt.prepareChannelPatterns() > 0, "no slice was uploaded");
            long prepared = backend.reorders();
            assertTrue(prepared > loaded, "preparing the patterns reordered no slice");
            // the preparation ran the patterns on another kernels object
            assertEquals(0, rt.prepareChannelPatterns());
            assertEquals(0, ex.primitivesCreated(), "a fresh executor holds no primitive");
            // every call opens 2 of the 4 groups of each block at random: new patterns, the same slice shapes
            ex.setGateOverride(GateOverride.density(0.5, 11));
            float[] x = OneDnnEquivalenceTest.images(1, 5);
            ex.run(x, 1);
            long primitives = ex.primitivesCreated();
            assertTrue(primitives > 0, "the first call created no primitive");
            for (int i = 0; i < 6; i++) {
                ex.run(x, 1);
            }
            assertEquals(primitives, ex.primitivesCreated(), "later calls created primitives");
            assertEquals(prepared, backend.reorders(), "a call reordered a slice after the preparation");
        }
    }

    @Test
    void executorsOfOneModelShareTheReorderedWeights() throws Exception {
        InferencePlan plan = resnet(GateSpec.none());
        OneDnnBackend backend = OneDnnBackend.create(1);
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, backend)) {
            long loaded = backend.reorders();
            Map<FoldedConv, OneDnnWeights> before = weights(backend, plan);
            float[] want = run(rt, 1, Double.NaN);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<float[]>> results = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    results.add(pool.submit(() -> run(rt, 1, Double.NaN)));
                }
                for (Future<float[]> f : results) {
                    assertArrayEquals(want, f.get(), "an executor's logits");
                }
            } finally {
                pool.shutdown();
            }
            assertEquals(loaded, backend.reorders(), "no executor reordered anything");
            for (Map.Entry<FoldedConv, OneDnnWeights> e : weights(backend, plan).entrySet()) {
                assertSame(before.get(e.getKey()), e.getValue(), "one weights object per convolution");
            }
            assertOneLayoutEach(backend, plan, 1);
        }
    }

    @Test
    void aNewThreadCountPreparesAgainAndFreesTheUnusedLayouts() throws Exception {
        InferencePlan plan = resnet(GateSpec.none());
        OneDnnBackend backend = OneDnnBackend.create(2);
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, backend)) {
            float[] want = run(rt, 1, Double.NaN);
            assertTrue(backend.setIntraOpThreads(1));
            long prepared = backend.reorders();
            ExecutorService thread = Executors.newSingleThreadExecutor();
            try {
                float[] got = thread.submit(() -> run(rt, 1, Double.NaN)).get();
                assertEquals(want.length, got.length);
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-4f * Math.max(1f, Math.abs(want[i])), "logit " + i);
                }
            } finally {
                thread.shutdown();
            }
            assertEquals(prepared, backend.reorders(), "the first call at the new count reorders nothing");
            // the layouts of the first count that the first call used stay (an executor may still hold them); the
            // ones it did not use are freed, so no convolution holds more than those two
            for (OneDnnWeights w : weights(backend, plan).values()) {
                assertTrue(w.layoutCount() <= 2, w + " holds " + w.layoutCount() + " layouts");
            }
        }
    }

    @Test
    void unusedLayoutsOfAnEarlierCountAreFreed() {
        InferencePlan plan = resnet(GateSpec.none());
        OneDnnBackend backend = OneDnnBackend.create(2);
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, backend)) {
            assertTrue(backend.setIntraOpThreads(1));
            assertTrue(backend.setIntraOpThreads(3));
            // nothing ran: every convolution holds only the layout of the last count
            assertOneLayoutEach(backend, plan, 1);
        }
    }

    private static void assertOneLayoutEach(OneDnnBackend backend, InferencePlan plan, int batch) {
        for (PlanLayouts.Use u : PlanLayouts.of(plan, batch)) {
            OneDnnWeights w = (OneDnnWeights) backend.upload(u.conv());
            assertEquals(1, w.layoutCount(), u.conv() + " at " + u.shape());
        }
    }

    private static Map<FoldedConv, OneDnnWeights> weights(OneDnnBackend backend, InferencePlan plan) {
        Map<FoldedConv, OneDnnWeights> m = new IdentityHashMap<>();
        for (PlanLayouts.Use u : PlanLayouts.of(plan, 1)) {
            m.put(u.conv(), (OneDnnWeights) backend.upload(u.conv()));
        }
        return m;
    }

    private static float[] run(PlanRuntime<?> rt, int batch, double density) {
        try (NetworkExecutor ex = rt.newExecutor(ExecutorOptions.defaults().withPolicy(PathPolicy.DENSE))) {
            if (!Double.isNaN(density)) {
                ex.setGateOverride(GateOverride.density(density, 3));
            }
            return ex.run(OneDnnEquivalenceTest.images(batch, 5), batch).logits();
        }
    }
}
