package org.laudnet.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.ExecutorOptions;
import org.laudnet.core.exec.GateOverride;
import org.laudnet.core.exec.HostExecution;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.cuda.check.SeededPlans;

/**
 * The sparse paths' weight layouts prepared when the plan is loaded ({@link SparseLayouts}): after
 * {@code PlanRuntime.create} (batch 1) or {@code Backend.prepare(plan, 3)}, the first calls on every spatial schedule
 * (HALO, WINDOWS, ROWS, at several densities so that several patch and row buckets run), on the LAYER path (sub-batches
 * with the full weights) and on the channel paths reorder no weight of the model: a channel call reorders only the
 * slices of the patterns it is the first to run (new weights, one reorder per layout they use), and a second executor
 * running the same patterns reorders nothing. The prepared copies (the conv2 matrices of ROWS included) are one per
 * layout per model and are freed with the runtime.
 */
class OneDnnPreparedSparseWeightsTest {

    private static final long SEED = 2031;
    private static final int CLASSES = 10;
    private static final double[] DENSITIES = {0.25, 0.5, 0.8};
    private static final PathPolicy[] SPATIAL = {PathPolicy.SPATIAL_ROWS, PathPolicy.SPATIAL_HALO,
        PathPolicy.SPATIAL_WINDOWS};

    @BeforeAll
    static void natives() {
        assertTrue(OneDnn.status().available(), OneDnn.status().reason());
    }

    static Stream<Arguments> spatialPlans() {
        GateSpec s4 = GateSpec.spatial(4);
        GateSpec s2 = GateSpec.spatial(2);
        GateSpec s1 = GateSpec.spatial(1);
        return Stream.of(
                Arguments.of("ResNet-50 spatial S=4-4-2-1, 32 x 32", SeededPlans.resNet(SeededPlans.ResNetShape.R50,
                        SEED, 32, CLASSES, new GateSpec[] {s4, s4, s2, s1}), 32),
                Arguments.of("ResNet-50 spatial S=4-4-2-1, 40 x 40 (uneven cells)",
                        SeededPlans.resNet(SeededPlans.ResNetShape.R50, SEED, 40, CLASSES,
                                new GateSpec[] {s4, s4, s2, s1}), 40),
                Arguments.of("ResNet-50 both S=2-2-1-1 G=4, 32 x 32", SeededPlans.resNet(SeededPlans.ResNetShape.R50,
                        SEED, 32, CLASSES, new GateSpec[] {GateSpec.both(2, 4), GateSpec.both(2, 4),
                            GateSpec.both(1, 4), GateSpec.both(1, 4)}), 32),
                Arguments.of("RegNetY-400MF spatial S=2-2-1-1, 32 x 32", SeededPlans.regNetY(
                        SeededPlans.RegNetShape.Y_400MF, SEED, 32, CLASSES, new GateSpec[] {s2, s2, s1, s1}), 32));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("spatialPlans")
    void theFirstSpatialCallsOfEverySchedulePerformNoReorder(String label, InferencePlan plan, int size) {
        OneDnnBackend backend = OneDnnBackend.create(2);
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, backend)) {
            for (int batch : new int[] {1, 3}) {
                if (batch > 1) {
                    backend.prepare(plan, batch);
                }
                long prepared = backend.reorders();
                assertTrue(prepared > 0, label + ": preparing reorders the weights");
                float[] x = TestTensors.images(batch, size, 11 + batch);
                int call = 0;
                for (PathPolicy policy : SPATIAL) {
                    ExecutionPath path = ExecutionPath.valueOf(policy.name());
                    for (double density : DENSITIES) {
                        HostExecution r = run(rt, x, batch, policy, new SpatialOnly(density, ++call));
                        String what = label + ", batch " + batch + ", " + policy + ", density " + density;
                        assertTrue(r.report().paths().contains(path), what + ": paths " + r.report().paths());
                        assertEquals(prepared, backend.reorders(), what + ": the call reordered weights");
                    }
                }
            }
            // the conv2 matrices of the ROWS schedule were built at load: one per conv2, shared
            for (BlockPlan b : plan.blocks()) {
                if (b.spatialPathsExist() && b.conv2().groups() == 1) {
                    OneDnnWeights c2 = (OneDnnWeights) backend.upload(b.conv2());
                    OneDnnWeights m = Conv2Matrices.shared(c2, backend);
                    assertTrue(m.layoutCount() >= 1, label + ": the matrix of " + c2 + " was not prepared");
                    assertSame(m, Conv2Matrices.shared(c2, backend));
                }
            }
        }
    }

    @Test
    void layerSubBatchesRunOnPreparedLayouts() {
        InferencePlan plan = SeededPlans.resNet(SeededPlans.ResNetShape.R50, SEED, 32, CLASSES,
                new GateSpec[] {GateSpec.layer(), GateSpec.layer(), GateSpec.layer(), GateSpec.layer()});
        OneDnnBackend backend = OneDnnBackend.create(2);
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, backend)) {
            backend.prepare(plan, 3);
            long prepared = backend.reorders();
            float[] x = TestTensors.images(3, 32, 7);
            for (double density : new double[] {0.34, 0.67}) { // one, then two of the three samples
                HostExecution r = run(rt, x, 3, PathPolicy.SPARSE, GateOverride.density(density, 3));
                assertTrue(r.report().paths().contains(ExecutionPath.LAYER), "paths " + r.report().paths());
                assertEquals(prepared, backend.reorders(), "density " + density + ": the call reordered weights");
            }
        }
    }

    @Test
    void channelCallsReorderOnlyTheSlicesOfNewPatterns() {
        InferencePlan plan = SeededPlans.resNet(SeededPlans.ResNetShape.R50, SEED, 32, CLASSES,
                new GateSpec[] {GateSpec.channel(4), GateSpec.channel(4), GateSpec.channel(4), GateSpec.channel(4)});
        OneDnnBackend backend = OneDnnBackend.create(2);
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, backend)) {
            backend.prepare(plan, 3);
            for (PathPolicy policy : new PathPolicy[] {PathPolicy.CHANNEL, PathPolicy.CHANNEL_UNION}) {
                ExecutionPath path = ExecutionPath.valueOf(policy.name());
                float[] x = TestTensors.images(3, 32, 9);
                // sample 0 opens every group (the full weights on a sub-batch), the others random halves
                GateOverride first = new ChannelPatterns(policy.ordinal());
                Map<OneDnnWeights, Integer> before = layoutCounts(backend);
                long reorders = backend.reorders();
                HostExecution r = run(rt, x, 3, policy, first);
                assertTrue(r.report().paths().contains(path), policy + ": paths " + r.report().paths());
                long sliceLayouts = 0;
                for (Map.Entry<OneDnnWeights, Integer> e : layoutCounts(backend).entrySet()) {
                    Integer had = before.get(e.getKey());
                    if (had == null) {
                        sliceLayouts += e.getValue(); // a slice this call uploaded: reordered for its first use
                    } else {
                        assertEquals(had, e.getValue(), policy + ": " + e.getKey() + " got a layout at its first call");
                    }
                }
                if (policy == PathPolicy.CHANNEL) {
                    assertNotEquals(0, sliceLayouts, policy + ": the call ran no slice");
                }
                assertEquals(reorders + sliceLayouts, backend.reorders(),
                        policy + ": reorders beyond those of the new slices");
                // another executor, the same patterns: the slices are shared, nothing is reordered
                long after = backend.reorders();
                run(rt, x, 3, policy, new ChannelPatterns(policy.ordinal()));
                assertEquals(after, backend.reorders(), policy + ": a second executor reordered weights");
            }
        }
    }

    @Test
    void thePreparedSparseLayoutsAreFreedWithTheRuntime() {
        InferencePlan plan = SeededPlans.resNet(SeededPlans.ResNetShape.R50, SEED, 32, CLASSES,
                new GateSpec[] {GateSpec.spatial(4), GateSpec.spatial(4), GateSpec.spatial(2), GateSpec.spatial(1)});
        OneDnnBackend backend = OneDnnBackend.create(2);
        List<OneDnnWeights> all;
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, backend)) {
            all = backend.uploadedWeights();
            // the sparse layouts are held by the plan's own weights and the conv2 matrices, nothing else
            assertEquals(plan.blocks().stream().filter(b -> b.spatialPathsExist() && b.conv2().groups() == 1).count(),
                    all.size() - countPlanConvs(plan), "weights beyond the plan's: one matrix per conv2");
            // static parts hold one layout, the spatial blocks' conv3 its dense and matmul ones
            assertEquals(1, ((OneDnnWeights) backend.upload(plan.stem())).layoutCount());
            for (BlockPlan b : plan.blocks()) {
                if (b.spatialPathsExist()) {
                    assertTrue(((OneDnnWeights) backend.upload(b.conv3())).layoutCount() >= 2, "conv3 of " + b);
                }
            }
        }
        for (OneDnnWeights w : all) {
            assertEquals(0, w.layoutCount(), w + " still holds layouts after the runtime closed");
        }
    }

    /** The plan's convolutions that the runtime uploads: those of dense primitives, and every spatial masker's. */
    private static int countPlanConvs(InferencePlan plan) {
        Map<Object, Boolean> seen = new IdentityHashMap<>();
        for (PlanLayouts.Use u : PlanLayouts.of(plan, 1)) {
            seen.put(u.conv(), true);
        }
        for (BlockPlan b : plan.blocks()) {
            if (b.spatialMasker() != null) {
                seen.put(b.spatialMasker().conv(), true);
            }
        }
        return seen.size();
    }

    private static Map<OneDnnWeights, Integer> layoutCounts(OneDnnBackend backend) {
        Map<OneDnnWeights, Integer> m = new IdentityHashMap<>();
        for (OneDnnWeights w : backend.uploadedWeights()) {
            m.put(w, w.layoutCount());
        }
        return m;
    }

    private static HostExecution run(PlanRuntime<?> rt, float[] x, int batch, PathPolicy policy, GateOverride o) {
        try (NetworkExecutor ex = rt.newExecutor(ExecutorOptions.defaults().withPolicy(policy))) {
            ex.setGateOverride(o);
            return ex.run(x, batch);
        }
    }

    /** Random spatial cells at a density (at least one per sample, not all); every channel group open. */
    private static final class SpatialOnly implements GateOverride {
        private final double density;
        private final Random random;

        SpatialOnly(double density, long seed) {
            this.density = density;
            this.random = new Random(seed);
        }

        @Override
        public float[] spatial(int block, BlockPlan plan, int batch, float[] cells) {
            int per = cells.length / batch;
            float[] r = new float[cells.length];
            for (int b = 0; b < batch; b++) {
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < per; i++) {
                    order.add(i);
                }
                Collections.shuffle(order, random);
                int n = Math.max(1, Math.min(per - 1, (int) Math.round(density * per)));
                for (int i = 0; i < n; i++) {
                    r[b * per + order.get(i)] = 1f;
                }
            }
            return r;
        }

        @Override
        public float[] channel(int block, BlockPlan plan, int batch, float[] groups) {
            float[] r = new float[groups.length];
            Arrays.fill(r, 1f);
            return r;
        }
    }

    /** Channel patterns: sample 0 every group, the others two random groups of four. */
    private static final class ChannelPatterns implements GateOverride {
        private final Random random;

        ChannelPatterns(long seed) {
            this.random = new Random(seed);
        }

        @Override
        public float[] spatial(int block, BlockPlan plan, int batch, float[] cells) {
            return cells;
        }

        @Override
        public float[] channel(int block, BlockPlan plan, int batch, float[] groups) {
            int per = groups.length / batch;
            float[] r = new float[groups.length];
            Arrays.fill(r, 0, per, 1f);
            for (int b = 1; b < batch; b++) {
                int first = random.nextInt(per);
                int second = (first + 1 + random.nextInt(per - 1)) % per;
                r[b * per + first] = 1f;
                r[b * per + second] = 1f;
            }
            return r;
        }
    }
}
