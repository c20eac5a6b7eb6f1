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
        GatedBackbone net = netCase.build().apply(new GateSpec[] {g1, g2});
        TestNets.initialise(net, manager, 11);
        int batch = 3;
        NDArray x = TestArrays.randn(manager, 5, new Shape(batch, net.getStem().inChannels(), 8, 8));
        NetworkResult expected = net.run(new ParameterStore(manager, false), x, false);
        InferencePlan plan = InferencePlan.of(net);
        try (PlanRuntime<?> runtime = PlanRuntime.create(plan, backend(backendName));
                NetworkExecutor ex = runtime.newExecutor()) {
            List<PathPolicy> policies = new ArrayList<>(List.of(PathPolicy.AUTO, PathPolicy.SPARSE,
                    PathPolicy.DENSE));
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
