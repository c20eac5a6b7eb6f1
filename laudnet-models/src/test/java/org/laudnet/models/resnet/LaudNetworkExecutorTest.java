package org.laudnet.models.resnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.ExecutionReport;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.testing.TestArrays;
import org.laudnet.models.regnet.GatedRegNetYBlock;
import org.laudnet.models.regnet.LaudRegNet;

class LaudNetworkExecutorTest {

    private NDManager m;
    private ParameterStore ps;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager();
        ps = new ParameterStore(m, false);
    }

    @AfterEach
    void close() {
        m.close();
    }

    /** A small gated bottleneck ResNet whose gates are random, so that they close part of the work. */
    private LaudResNet gatedNet() {
        LaudResNet net = LaudResNet.builder()
                .setStages(BlockType.BOTTLENECK, List.of(
                        new StageSpec(2, 8, 32, 1, GateSpec.spatial(2)),
                        new StageSpec(2, 16, 64, 2, GateSpec.channel(4)),
                        new StageSpec(1, 16, 64, 2, GateSpec.both(2, 2)),
                        new StageSpec(1, 32, 128, 2, GateSpec.layer())))
                .optStem(StemSpec.small(3, 16))
                .optInputSize(32)
                .optNumClasses(10)
                .build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
        Random r = new Random(12);
        for (var p : net.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            String k = p.getKey();
            for (int i = 0; i < v.length; i++) {
                if (k.contains("gate")) {
                    v[i] = (float) r.nextGaussian();
                } else if (k.endsWith("runningVar") || k.endsWith("gamma")) {
                    v[i] = (float) (0.5 + r.nextDouble());
                } else if (k.endsWith("beta") || k.endsWith("runningMean") || k.endsWith("bias")) {
                    v[i] = (float) (0.1 * r.nextGaussian());
                } else {
                    v[i] = (float) (0.2 * r.nextGaussian());
                }
            }
            a.set(v);
        }
        return net;
    }

    @Test
    void sparseExecutionEqualsTheMaskedDenseNetwork() {
        LaudResNet net = gatedNet();
        NDArray x = TestArrays.randn(m, 3, new Shape(4, 3, 32, 32));
        NetworkResult expected = net.run(ps, x, false);
        for (PathPolicy policy : List.of(PathPolicy.SPARSE, PathPolicy.DENSE)) {
            try (LaudNetworkExecutor ex = LaudNetworkExecutor.builder().setNetwork(net).setManager(m)
                    .optPolicy(policy).build()) {
                assertEquals(6, ex.getExecutors().size());
                LaudNetworkExecutor.NetworkExecution r = ex.run(x);
                TestArrays.assertClose(expected.logits(), r.logits(), 1e-4);
                assertEquals(expected.dynamicMacs().getFloat(), r.dynamicMacs(), expected.dynamicMacs().getFloat()
                        * 1e-5, policy.name());
                assertEquals(net.staticMacs(), r.staticMacs());
                assertEquals(6, r.reports().size());
                double sumD3 = 0;
                for (int b = 0; b < 6; b++) {
                    BlockDensities d = r.densities().get(b);
                    NetworkResult.BlockDensityResult e = expected.blocks().get(b);
                    assertEquals(e.d1().getFloat(), d.d1(), 1e-6, "block " + b + " d1");
                    assertEquals(e.d3().getFloat(), d.d3(), 1e-6, "block " + b + " d3");
                    assertEquals(e.dc().getFloat(), d.dc(), 1e-6, "block " + b + " dc");
                    sumD3 += d.d3() * d.dc();
                }
                assertTrue(sumD3 < 6, "random gates must close some work, densities " + r.densities());
                assertTrue(r.macsRatio() < 1.0, "MACs ratio " + r.macsRatio());
                if (policy == PathPolicy.DENSE) {
                    r.reports().forEach(rep -> assertTrue(rep.path() == ExecutionPath.DENSE
                            || rep.activeUnits() == 0, rep.toString()));
                }
            }
        }
    }

    /**
     * A small gated RegNetY (group width 8) with random weights; the channel gate groups cover whole conv groups, so
     * every stage's gate can run sparsely.
     */
    private LaudRegNet gatedRegNet(long seed) {
        LaudRegNet net = LaudRegNet.builder()
                .setStages(8, List.of(
                        new StageSpec(1, 16, 16, 2, GateSpec.spatial(2)),
                        new StageSpec(2, 32, 32, 2, GateSpec.both(2, 4)),
                        new StageSpec(1, 48, 48, 2, GateSpec.channel(3)),
                        new StageSpec(1, 64, 64, 1, GateSpec.layer())))
                .optStem(StemSpec.small(3, 16))
                .optInputSize(32)
                .optNumClasses(10)
                .build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
        Random r = new Random(seed);
        for (var p : net.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            String k = p.getKey();
            for (int i = 0; i < v.length; i++) {
                if (k.contains("gate")) {
                    v[i] = (float) r.nextGaussian();
                } else if (k.endsWith("runningVar") || k.endsWith("gamma")) {
                    v[i] = (float) (0.5 + r.nextDouble());
                } else if (k.contains("se_fc")) {
                    v[i] = (float) (0.5 * r.nextGaussian());
                } else if (k.endsWith("beta") || k.endsWith("runningMean") || k.endsWith("bias")) {
                    v[i] = (float) (0.1 * r.nextGaussian());
                } else {
                    v[i] = (float) (0.2 * r.nextGaussian());
                }
            }
            a.set(v);
        }
        return net;
    }

    @Test
    void sparseExecutionOfARegNetEqualsTheMaskedDenseNetwork() {
        NDArray x = TestArrays.randn(m, 4, new Shape(3, 3, 32, 32));
        Set<ExecutionPath> sparsePaths = EnumSet.noneOf(ExecutionPath.class);
        // the gates of these two seeds leave partial spatial, channel and layer masks (and skip some blocks)
        for (long seed : new long[] {8, 9}) {
            checkRegNet(gatedRegNet(seed), x, sparsePaths);
        }
        assertEquals(EnumSet.of(ExecutionPath.DENSE, ExecutionPath.SKIP, ExecutionPath.SPATIAL_WINDOWS,
                ExecutionPath.CHANNEL, ExecutionPath.LAYER), sparsePaths);
    }

    private void checkRegNet(LaudRegNet net, NDArray x, Set<ExecutionPath> sparsePaths) {
        NetworkResult expected = net.run(ps, x, false);
        for (PathPolicy policy : List.of(PathPolicy.SPARSE, PathPolicy.DENSE)) {
            try (LaudNetworkExecutor ex = LaudNetworkExecutor.builder().setNetwork(net).setManager(m)
                    .optPolicy(policy).build()) {
                assertEquals(net, ex.getNetwork());
                assertEquals(5, ex.getExecutors().size());
                LaudNetworkExecutor.NetworkExecution r = ex.run(x);
                TestArrays.assertClose(expected.logits(), r.logits(), 1e-4);
                assertEquals(expected.dynamicMacs().getFloat(), r.dynamicMacs(), expected.dynamicMacs().getFloat()
                        * 1e-5, policy.name());
                assertEquals(net.staticMacs(), r.staticMacs());
                assertEquals(net.stemMacs() + net.headMacs() + net.getBlocks().stream()
                        .mapToLong(GatedRegNetYBlock::denseMacs).sum(), net.staticMacs());
                double sumD3 = 0;
                for (int b = 0; b < 5; b++) {
                    BlockDensities d = r.densities().get(b);
                    NetworkResult.BlockDensityResult e = expected.blocks().get(b);
                    assertEquals(e.d1().getFloat(), d.d1(), 1e-6, "block " + b + " d1");
                    assertEquals(e.d3().getFloat(), d.d3(), 1e-6, "block " + b + " d3");
                    assertEquals(e.dc().getFloat(), d.dc(), 1e-6, "block " + b + " dc");
                    sumD3 += d.d3() * d.dc();
                    ExecutionReport rep = r.reports().get(b);
                    if (policy == PathPolicy.SPARSE) {
                        sparsePaths.add(rep.path());
                    }
                    if (policy == PathPolicy.SPARSE && rep.path() == ExecutionPath.DENSE) {
                        assertEquals(rep.totalUnits(), rep.activeUnits(), "block " + b + " ran dense: " + rep);
                        assertEquals(1.0, d.d3() * d.dc(), 1e-9, "block " + b + " ran dense: " + rep);
                    }
                }
                assertTrue(sumD3 < 5, "random gates must close some work, densities " + r.densities());
                assertTrue(r.macsRatio() < 1.0, "MACs ratio " + r.macsRatio());
            }
        }
    }

    @Test
    void badInputsAndClosedExecutorAreRejected() {
        LaudResNet net = gatedNet();
        LaudNetworkExecutor ex = LaudNetworkExecutor.builder().setNetwork(net).setManager(m).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ex.run(m.zeros(new Shape(1, 3, 16, 16))));
        assertTrue(e.getMessage().contains("x must have shape (B, 3, 32, 32)"), e.getMessage());
        ex.close();
        assertThrows(IllegalStateException.class, () -> ex.run(m.zeros(new Shape(1, 3, 32, 32))));
        e = assertThrows(IllegalArgumentException.class,
                () -> LaudNetworkExecutor.builder().setNetwork(net).build());
        assertTrue(e.getMessage().contains("manager"), e.getMessage());
        LaudResNet fresh = LaudResNet.builder().setDepth(ResNetDepth.RESNET18).optInputSize(32).build();
        e = assertThrows(IllegalArgumentException.class,
                () -> LaudNetworkExecutor.builder().setNetwork(fresh).setManager(m).build());
        assertTrue(e.getMessage().contains("initialised"), e.getMessage());
        LaudRegNet freshRegNet = LaudRegNet.builder().setStages(8, List.of(
                new StageSpec(1, 16, 16, 2, GateSpec.spatial(2)))).optInputSize(32).build();
        e = assertThrows(IllegalArgumentException.class,
                () -> LaudNetworkExecutor.builder().setNetwork(freshRegNet).setManager(m).build());
        assertTrue(e.getMessage().contains("initialised"), e.getMessage());
    }
}
