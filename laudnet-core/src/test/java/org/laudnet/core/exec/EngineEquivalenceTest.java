package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.core.testing.TestArrays;
import org.laudnet.core.testing.TestNets;

/**
 * The correctness contract of the engine (method section 4): for every block family, gate mode, backend and path
 * policy, the executor's logits equal the network's masked-dense eval forward within 1e-4 (relative to the largest
 * logit), and its per-block densities are the masked-dense forward's.
 */
class EngineEquivalenceTest {

    private static final double TOL = 1e-4;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** A network to build, by name. */
    record Net(String name, Function<GateSpec[], GatedBackbone> build) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final Net BOTTLENECK = new Net("bottleneck", g -> TestNets.network(
            new TestNets.ResidualFamily(BlockType.BOTTLENECK, StridePlacement.CONV2), 3, 8,
            TestNets.bottleneckStages(g[0], g[1])));
    private static final Net BOTTLENECK_V1 = new Net("bottleneck-v1", g -> TestNets.network(
            new TestNets.ResidualFamily(BlockType.BOTTLENECK, StridePlacement.CONV1), 3, 8,
            TestNets.bottleneckStages(g[0], g[1])));
    private static final Net BASIC = new Net("basic", g -> TestNets.network(
            new TestNets.ResidualFamily(BlockType.BASIC, StridePlacement.CONV2), 1, 8,
            TestNets.basicStages(g[0], g[1])));
    private static final Net SQUEEZE = new Net("squeeze-grouped", g -> TestNets.network(
            new TestNets.SqueezeFamily(8), 3, 8, TestNets.squeezeStages(g[0], g[1])));

    private static final GateSpec[][] GATES = {
        {GateSpec.none(), GateSpec.none()},
        {GateSpec.spatial(2), GateSpec.spatial(1)},
        {GateSpec.spatial(4), GateSpec.spatial(2)},
        {GateSpec.channel(2), GateSpec.channel(4)},
        {GateSpec.both(2, 2), GateSpec.both(1, 2)},
        {GateSpec.layer(), GateSpec.layer()},
        {GateSpec.spatial(2).withSpatialGroups(2), GateSpec.layer()},
    };

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (Net net : List.of(BOTTLENECK, BOTTLENECK_V1, BASIC, SQUEEZE)) {
            for (GateSpec[] g : GATES) {
                for (String backend : List.of("djl", "java")) {
                    list.add(Arguments.of(net, g[0], g[1], backend));
                }
            }
        }
        return list.stream();
    }

    private Backend<?> backend(String name) {
        return name.equals("djl") ? DjlBackend.create(manager) : new ReferenceBackend();
    }

    @ParameterizedTest(name = "{0} {1} / {2} on {3}")
    @MethodSource("cases")
    void everyPolicyEqualsTheMaskedDenseForward(Net netCase, GateSpec g1, GateSpec g2, String backendName) {
        check(netCase, g1, g2, backendName, 8);
    }

    /** Input 14: stage outputs 14 and 7, so granularities 4 and 2 give uneven 3 x 3 masks (as in the reference). */
    private static final int UNEVEN_SIZE = 14;

    static Stream<Arguments> unevenCases() {
        GateSpec[][] gates = {
            {GateSpec.spatial(4), GateSpec.spatial(2)},
            {GateSpec.both(4, 2), GateSpec.both(2, 2)},
            {GateSpec.spatial(4).withSpatialGroups(2), GateSpec.spatial(3)},
        };
        List<Arguments> list = new ArrayList<>();
        for (Net net : List.of(
                new Net("bottleneck-14", g -> TestNets.network(new TestNets.ResidualFamily(BlockType.BOTTLENECK,
                        StridePlacement.CONV2), 3, UNEVEN_SIZE, TestNets.bottleneckStages(g[0], g[1]))),
                new Net("basic-14", g -> TestNets.network(new TestNets.ResidualFamily(BlockType.BASIC,
                        StridePlacement.CONV2), 1, UNEVEN_SIZE, TestNets.basicStages(g[0], g[1]))))) {
            for (GateSpec[] g : gates) {
                for (String backend : List.of("djl", "java")) {
                    list.add(Arguments.of(net, g[0], g[1], backend));
                }
            }
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0} {1} / {2} on {3}")
    @MethodSource("unevenCases")
    void unevenCellsEqualTheMaskedDenseForward(Net netCase, GateSpec g1, GateSpec g2, String backendName) {
        GatedBackbone net = netCase.build().apply(new GateSpec[] {g1, g2});
        assertTrue(net.getBlocks().stream().anyMatch(b -> b.getGeometry().outHeight()
                % b.getSpatialGate().orElseThrow().getMaskSize() != 0), "the case has uneven cells");
        check(netCase, g1, g2, backendName, UNEVEN_SIZE);
    }

    static Stream<Arguments> beforeNormCases() {
        GateSpec[][] gates = {
            {GateSpec.channel(2), GateSpec.channel(4)},
            {GateSpec.both(2, 2), GateSpec.both(1, 4)},
            {GateSpec.channel(4), GateSpec.both(2, 2).withSpatialGroups(2)},
        };
        List<Arguments> list = new ArrayList<>();
        for (Net net : List.of(BOTTLENECK, BOTTLENECK_V1, BASIC)) {
            for (GateSpec[] g : gates) {
                for (String backend : List.of("djl", "java")) {
                    list.add(Arguments.of(net, g[0].withChannelMaskPlacement(ChannelMaskPlacement.BEFORE_NORM),
                            g[1].withChannelMaskPlacement(ChannelMaskPlacement.BEFORE_NORM), backend));
                }
            }
        }
        return list.stream();
    }

    /**
     * The reference's channel mask placement ({@code conv * mask -> BN -> ReLU}): every path equals the masked-dense
     * forward, whose skipped channels carry {@code ReLU(BN(0))}, and the result differs from the default placement's.
     */
    @ParameterizedTest(name = "{0} {1} / {2} on {3}")
    @MethodSource("beforeNormCases")
    void referenceChannelPlacementEqualsTheMaskedDenseForward(Net netCase, GateSpec g1, GateSpec g2,
            String backendName) {
        check(netCase, g1, g2, backendName, 8);
        GatedBackbone reference = netCase.build().apply(new GateSpec[] {g1, g2});
        GatedBackbone ours = netCase.build().apply(new GateSpec[] {
            g1.withChannelMaskPlacement(ChannelMaskPlacement.AFTER_ACTIVATION),
            g2.withChannelMaskPlacement(ChannelMaskPlacement.AFTER_ACTIVATION)});
        TestNets.initialise(reference, manager, 11);
        TestNets.initialise(ours, manager, 11);
        NDArray x = TestArrays.randn(manager, 5, new Shape(3, reference.getStem().inChannels(), 8, 8));
        ParameterStore ps = new ParameterStore(manager, false);
        NetworkResult a = reference.run(ps, x, false);
        NetworkResult b = ours.run(ps, x, false);
        assertTrue(a.blocks().stream().anyMatch(d -> d.dc().getFloat() < 1f), "some channels are skipped");
        float diff = a.logits().sub(b.logits()).abs().max().getFloat();
        assertTrue(diff > 1e-3f, "the placements differ on random BatchNorm statistics, max diff " + diff);
    }

    private void check(Net netCase, GateSpec g1, GateSpec g2, String backendName, int size) {
        GatedBackbone net = netCase.build().apply(new GateSpec[] {g1, g2});
        TestNets.initialise(net, manager, 11);
        int batch = 3;
        NDArray x = TestArrays.randn(manager, 5, new Shape(batch, net.getStem().inChannels(), size, size));
        NetworkResult expected = net.run(new ParameterStore(manager, false), x, false);
        InferencePlan plan = InferencePlan.of(net);
        try (PlanRuntime<?> runtime = PlanRuntime.create(plan, backend(backendName));
                NetworkExecutor ex = runtime.newExecutor()) {
            List<PathPolicy> policies = new ArrayList<>(List.of(PathPolicy.AUTO, PathPolicy.SPARSE,
                    PathPolicy.DENSE, PathPolicy.CHANNEL, PathPolicy.CHANNEL_UNION));
            for (SpatialSchedule s : runtime.backend().spatialSchedules()) {
                policies.add(switch (s) {
                    case HALO -> PathPolicy.SPATIAL_HALO;
                    case WINDOWS -> PathPolicy.SPATIAL_WINDOWS;
                    case M1 -> PathPolicy.SPATIAL_M1;
                    case ROWS -> PathPolicy.SPATIAL_ROWS;
                });
            }
            for (PathPolicy policy : policies) {
                NetworkExecution r = ex.run(x, policy);
                String what = netCase + " " + g1 + "/" + g2 + " " + backendName + " " + policy;
                TestArrays.assertClose(expected.logits(), r.logits(), TOL, what);
                GateReport report = r.report();
                assertEquals(net.getBlocks().size(), report.blocks().size(), what);
                for (int i = 0; i < report.blocks().size(); i++) {
                    NetworkResult.BlockDensityResult d = expected.blocks().get(i);
                    ExecutionReport b = report.blocks().get(i);
                    assertEquals(d.d3().getFloat(), b.densities().d3(), 1e-6, what + " block " + i + " d3");
                    assertEquals(d.d2().getFloat(), b.densities().d2(), 1e-6, what + " block " + i + " d2");
                    assertEquals(d.d1().getFloat(), b.densities().d1(), 1e-6, what + " block " + i + " d1");
                    assertEquals(d.dc().getFloat(), b.densities().dc(), 1e-6, what + " block " + i + " dc");
                }
                List<BlockDensities> means = report.blocks().stream().map(ExecutionReport::densities).toList();
                assertEquals(expected.dynamicMacs().getFloat(), plan.dynamicMacs(means), 1e-5 * plan.staticMacs(),
                        what + " MACs at the batch's densities");
                if (policy == PathPolicy.DENSE) {
                    assertTrue(report.paths().stream().allMatch(p -> p == ExecutionPath.DENSE
                            || p == ExecutionPath.SKIP), what + ": " + report.paths());
                }
            }
        }
    }
}
