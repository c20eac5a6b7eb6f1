package org.laudnet.cuda.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.cuda.djl.DjlPlans;
import org.laudnet.cuda.plan.LaudPlan;
import org.laudnet.cuda.plan.PlanMode;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.StageSpec;
import org.laudnet.models.resnet.StemSpec;

/**
 * The plan executor on the CPU against the DJL network's eval-mode output (masked dense, method section 1), for small
 * networks in every gating mode, with random weights, BatchNorm statistics and gate weights.
 */
class CpuPlanExecutorTest {

    private static final int BATCH = 3;
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    static Stream<Arguments> networks() {
        List<Arguments> a = new ArrayList<>();
        GateSpec[][] gates = {
            {GateSpec.none(), GateSpec.none(), GateSpec.none()},
            {GateSpec.spatial(4), GateSpec.spatial(4), GateSpec.spatial(2)},
            {GateSpec.channel(4), GateSpec.channel(4), GateSpec.channel(2)},
            {GateSpec.both(2, 4), GateSpec.both(4, 2), GateSpec.both(1, 4)},
            {GateSpec.layer(), GateSpec.layer(), GateSpec.layer()},
            {GateSpec.spatial(8), GateSpec.channel(4).withMaskerKind(ChannelMaskerKind.MLP_1), GateSpec.layer()},
            {GateSpec.channel(4).withMaskerKind(ChannelMaskerKind.CONV_LINEAR), GateSpec.both(2, 2),
                GateSpec.spatial(4)},
        };
        for (GateSpec[] g : gates) {
            a.add(Arguments.of(BlockType.BOTTLENECK, StridePlacement.CONV2, g));
        }
        a.add(Arguments.of(BlockType.BOTTLENECK, StridePlacement.CONV1, gates[1]));
        a.add(Arguments.of(BlockType.BOTTLENECK, StridePlacement.CONV1, gates[3]));
        a.add(Arguments.of(BlockType.BASIC, StridePlacement.CONV2, gates[1]));
        a.add(Arguments.of(BlockType.BASIC, StridePlacement.CONV2, gates[2]));
        a.add(Arguments.of(BlockType.BASIC, StridePlacement.CONV2, gates[4]));
        return a.stream();
    }

    private LaudResNet network(BlockType type, StridePlacement placement, GateSpec[] gates, long seed,
            float forcedKeep) {
        int e = type == BlockType.BOTTLENECK ? 4 : 1;
        List<StageSpec> stages = List.of(new StageSpec(1, 8, 8 * e, 1, gates[0]),
                new StageSpec(2, 16, 16 * e, 2, gates[1]), new StageSpec(1, 16, 16 * e, 2, gates[2]));
        LaudResNet net = LaudResNet.builder().setStages(type, stages).optStem(new StemSpec(3, 16, 3, 2, true, 1))
                .optStridePlacement(placement).optInputSize(64).optNumClasses(10).optConvBias(seed % 2 == 0)
                .optBatchNormEpsilon(1e-3f).build();
        net.initialize(manager, DataType.FLOAT32, new Shape(1, 3, 64, 64));
        Random r = new Random(seed);
        for (Pair<String, Parameter> p : net.getParameters()) {
            NDArray arr = p.getValue().getArray();
            String name = p.getKey();
            float[] v = new float[(int) arr.size()];
            boolean masker = name.contains("gate");
            for (int i = 0; i < v.length; i++) {
                if (name.endsWith("gamma")) {
                    v[i] = (float) (0.5 + r.nextDouble());
                } else if (name.endsWith("beta")) {
                    v[i] = (float) (0.3 * r.nextGaussian());
                } else if (name.endsWith("runningMean")) {
                    v[i] = (float) (0.2 * r.nextGaussian());
                } else if (name.endsWith("runningVar")) {
                    v[i] = (float) (0.5 + r.nextDouble());
                } else if (masker && !Float.isNaN(forcedKeep) && isLastMaskerLayer(name)) {
                    boolean bias = name.endsWith("bias");
                    int half = v.length / 2;
                    v[i] = bias ? (i < half ? forcedKeep : -forcedKeep) : 0f;
                } else if (name.endsWith("bias")) {
                    v[i] = (float) (0.1 * r.nextGaussian());
                } else {
                    long fanIn = arr.getShape().size() / arr.getShape().get(0);
                    v[i] = (float) (r.nextGaussian() * Math.sqrt((masker ? 4.0 : 2.0) / fanIn));
                }
            }
            arr.set(v);
        }
        return net;
    }

    private static boolean isLastMaskerLayer(String name) {
        return name.contains("spatial_gate")
                || (name.contains("channel_gate") && (name.contains("linear_") || name.contains("03Linear")));
    }

    private float[] images(long seed, int batch) {
        Random r = new Random(seed);
        float[] x = new float[batch * 3 * 64 * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private float[] djlLogits(LaudResNet net, float[] x, int batch) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray in = sub.create(x, new Shape(batch, 3, 64, 64));
            return net.run(new ParameterStore(sub, false), in, false).logits().toFloatArray();
        }
    }

    @ParameterizedTest
    @MethodSource("networks")
    void matchesDjlEvalOutput(BlockType type, StridePlacement placement, GateSpec[] gates) {
        boolean mixedSeen = false;
        for (long seed = 11; seed < 14; seed++) {
            LaudResNet net = network(type, placement, gates, seed, Float.NaN);
            LaudPlan plan = DjlPlans.fromLaudResNet(net);
            float[] x = images(seed, BATCH);
            float[] expected = djlLogits(net, x, BATCH);
            try (CpuPlanExecutor ex = new CpuPlanExecutor(plan)) {
                float[] got = ex.run(x, BATCH);
                assertEquals(BATCH * 10, got.length);
                double err = relativeError(got, expected);
                assertTrue(err <= 1e-4, "relative error " + err + " for " + type + " " + placement + " "
                        + List.of(gates) + " seed " + seed);
                assertEquals(plan.blocks().size(), ex.lastDecisions().size());
                double kept = 0;
                for (BlockDecision d : ex.lastDecisions()) {
                    kept += d.spatialDensity() * d.channelDensity();
                }
                kept /= plan.blocks().size();
                mixedSeen |= kept > 0.05 && kept < 0.95;
            }
        }
        // Gated networks really skip work: some decisions are off, some on.
        assertEquals(gates[1].mode() != GateMode.NONE, mixedSeen, "mixed decisions for " + List.of(gates));
    }

    @Test
    void foldedBlocksMatchTheDjlBlocksEvalOutput() {
        for (GateSpec[] g : new GateSpec[][] {
            {GateSpec.none(), GateSpec.none(), GateSpec.none()},
            {GateSpec.both(2, 4), GateSpec.spatial(2), GateSpec.layer()},
        }) {
            LaudResNet net = network(BlockType.BOTTLENECK, StridePlacement.CONV2, g, 41, Float.NaN);
            LaudPlan plan = DjlPlans.fromLaudResNet(net);
            try (NDManager sub = manager.newSubManager(); CpuPlanExecutor ex = new CpuPlanExecutor(plan)) {
                ParameterStore ps = new ParameterStore(sub, false);
                NDArray h = net.runStem(ps, sub.create(images(3, 2), new Shape(2, 3, 64, 64)), false);
                for (int i = 0; i < net.getBlocks().size(); i++) {
                    NDArray y = net.getBlocks().get(i).run(ps, h, false).output();
                    float[] got = ex.runBlock(i, h.toFloatArray(), 2);
                    double err = relativeError(got, y.toFloatArray());
                    assertTrue(err <= 1e-4, "block " + i + " " + List.of(g) + ": " + err);
                    h = y;
                }
            }
        }
    }

    @Test
    void gatesForcedShutSkipWholeBranches() {
        // Every group (or cell) off: channel blocks compute ReLU(identity + b3), spatial/layer ReLU(identity).
        GateSpec[][] cases = {
            {GateSpec.channel(4), GateSpec.both(2, 4), GateSpec.layer()},
            {GateSpec.spatial(4), GateSpec.channel(2), GateSpec.both(1, 2)},
        };
        for (GateSpec[] g : cases) {
            LaudResNet net = network(BlockType.BOTTLENECK, StridePlacement.CONV2, g, 23, -8f);
            LaudPlan plan = DjlPlans.fromLaudResNet(net);
            float[] x = images(7, 2);
            try (CpuPlanExecutor ex = new CpuPlanExecutor(plan)) {
                float[] got = ex.run(x, 2);
                assertTrue(relativeError(got, djlLogits(net, x, 2)) <= 1e-4, List.of(g).toString());
                for (BlockDecision d : ex.lastDecisions()) {
                    assertEquals(0.0, d.spatialDensity() * d.channelDensity(), 1e-12);
                }
            }
        }
    }

    @Test
    void batchOfOneEqualsRowsOfTheBatch() {
        LaudResNet net = network(BlockType.BOTTLENECK, StridePlacement.CONV2,
                new GateSpec[] {GateSpec.both(2, 4), GateSpec.channel(4), GateSpec.layer()}, 31, Float.NaN);
        LaudPlan plan = DjlPlans.fromLaudResNet(net);
        float[] x = images(9, BATCH);
        try (CpuPlanExecutor ex = new CpuPlanExecutor(plan)) {
            float[] all = ex.run(x, BATCH);
            int per = 3 * 64 * 64;
            for (int b = 0; b < BATCH; b++) {
                float[] one = ex.run(java.util.Arrays.copyOfRange(x, b * per, (b + 1) * per), 1);
                assertTrue(relativeError(one, java.util.Arrays.copyOfRange(all, b * 10, b * 10 + 10)) < 1e-6);
            }
        }
    }

    @Test
    void densityOverrideAppliesExactDensities() {
        LaudPlan plan = org.laudnet.cuda.plan.SeededPlans.bottleneckResNet(4, 3, 32, 16, 3, 1, false,
                new int[] {1, 2, 1}, new int[] {8, 16, 16}, 4, 10,
                org.laudnet.cuda.plan.StageGate.spatial(4), org.laudnet.cuda.plan.StageGate.channel(4),
                org.laudnet.cuda.plan.StageGate.layer());
        try (CpuPlanExecutor ex = new CpuPlanExecutor(plan)) {
            ex.setGateOverride(new DensityOverride(0.5, 1));
            float[] x = new float[2 * 3 * 32 * 32];
            java.util.Arrays.fill(x, 0.5f);
            ex.run(x, 2);
            List<BlockDecision> d = ex.lastDecisions();
            assertEquals(0.5, d.get(0).spatialDensity(), 1e-12);
            assertEquals(0.5, d.get(1).channelDensity(), 1e-12);
            assertEquals(0.5, d.get(2).channelDensity(), 1e-12);
            assertEquals(PlanMode.LAYER, plan.blocks().get(3).gate().mode());
            assertEquals(0.5, d.get(3).spatialDensity(), 1e-12);
            // Same masks on a second call.
            ex.run(x, 2);
            assertArrayEquals(d.get(0).spatialMask(), ex.lastDecisions().get(0).spatialMask());
        }
    }

    @Test
    void rejectsWrongInputLength() {
        LaudPlan plan = org.laudnet.cuda.plan.SeededPlans.bottleneckResNet(4, 3, 32, 16, 3, 1, false,
                new int[] {1}, new int[] {8}, 4, 10, org.laudnet.cuda.plan.StageGate.dense());
        try (CpuPlanExecutor ex = new CpuPlanExecutor(plan)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ex.run(new float[5], 1));
            assertTrue(e.getMessage().contains("input must have"), e.getMessage());
        }
    }

    static double relativeError(float[] a, float[] b) {
        if (a.length != b.length) {
            return Double.POSITIVE_INFINITY;
        }
        double diff = 0;
        double scale = 0;
        for (int k = 0; k < a.length; k++) {
            if (Float.isNaN(a[k]) || Float.isNaN(b[k])) {
                return Double.POSITIVE_INFINITY;
            }
            diff = Math.max(diff, Math.abs((double) a[k] - b[k]));
            scale = Math.max(scale, Math.abs(b[k]));
        }
        return diff / Math.max(scale, 1e-12);
    }
}
