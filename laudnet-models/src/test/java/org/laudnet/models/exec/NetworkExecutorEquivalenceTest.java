package org.laudnet.models.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.CalibrationSettings;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.ExecutionReport;
import org.laudnet.core.exec.ExecutorOptions;
import org.laudnet.core.exec.GateReport;
import org.laudnet.core.exec.HostExecution;
import org.laudnet.core.exec.NetworkExecution;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.core.testing.ManagedTest;
import org.laudnet.core.testing.TestArrays;
import org.laudnet.models.io.LaudModelFile;
import org.laudnet.models.regnet.LaudRegNet;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.ResNetDepth;
import org.laudnet.models.weights.WeightFileException;

/**
 * Whole gated networks (ResNet with basic blocks and bottlenecks, RegNetY; every gate mode) folded into an
 * {@link InferencePlan} and run by a {@link NetworkExecutor} on the DJL/PyTorch and the pure-Java reference backend,
 * under every path policy: the logits equal the network's masked-dense eval forward ({@code run(ps, x, false)}) within
 * 1e-4, and the gate report holds the training form's densities and MACs; the same holds for the network read back
 * from a {@code .laud} file.
 */
class NetworkExecutorEquivalenceTest extends ManagedTest {

    @TempDir
    static Path dir;

    private static final double TOL = 1e-4;

    /** The two backends. */
    enum BackendKind {
        /** DJL/PyTorch on the CPU. */
        DJL,
        /** The pure-Java reference. */
        REFERENCE;

        Backend<?> create(NDManager manager) {
            return this == DJL ? DjlBackend.create(manager) : new ReferenceBackend();
        }
    }

    /** The networks under test. */
    enum Net {
        /** Bottleneck ResNet (torchvision v1.5): spatial, channel, both, layer. */
        RESNET_BOTTLENECK,
        /** Keras v1 bottlenecks (stride on conv1: the downsampling spatial blocks run masked dense), and a static stage. */
        RESNET_V1,
        /** Basic-block ResNet: spatial and both gates run masked dense, channel and layer gates sparse. */
        RESNET_BASIC,
        /** RegNetY (group width 8, squeeze-excitation): spatial, both, channel, layer. */
        REGNETY
    }

    private GatedBackbone network(Net kind, long seed) {
        GatedBackbone net = switch (kind) {
            case RESNET_BOTTLENECK -> LaudResNet.builder()
                    .setStages(BlockType.BOTTLENECK, List.of(
                            new StageSpec(2, 8, 32, 1, GateSpec.spatial(2)),
                            new StageSpec(2, 16, 64, 2, GateSpec.channel(4)),
                            new StageSpec(1, 16, 64, 2, GateSpec.both(2, 2)),
                            new StageSpec(1, 32, 128, 2, GateSpec.layer())))
                    .optStem(StemSpec.small(3, 16))
                    .optInputSize(32)
                    .optNumClasses(10)
                    .build();
            case RESNET_V1 -> LaudResNet.builder()
                    .setStages(BlockType.BOTTLENECK, List.of(
                            new StageSpec(1, 8, 32, 1, GateSpec.none()),
                            new StageSpec(2, 16, 64, 2, GateSpec.spatial(2)),
                            new StageSpec(2, 16, 64, 2, GateSpec.both(1, 2))))
                    .optStridePlacement(StridePlacement.CONV1)
                    .optConvBias(true)
                    .optStem(new StemSpec(3, 16, 3, 1, true, 1))
                    .optInputSize(32)
                    .optNumClasses(7)
                    .build();
            case RESNET_BASIC -> LaudResNet.builder()
                    .setStages(BlockType.BASIC, List.of(
                            new StageSpec(2, 16, 16, 1, GateSpec.spatial(2)),
                            new StageSpec(2, 32, 32, 2, GateSpec.channel(4)),
                            new StageSpec(1, 32, 32, 2, GateSpec.both(2, 2)),
                            new StageSpec(1, 64, 64, 2, GateSpec.layer())))
                    .optStem(StemSpec.small(3, 16))
                    .optInputSize(32)
                    .optNumClasses(10)
                    .build();
            case REGNETY -> LaudRegNet.builder()
                    .setStages(8, List.of(
                            new StageSpec(1, 16, 16, 2, GateSpec.spatial(2)),
                            new StageSpec(2, 32, 32, 2, GateSpec.both(2, 4)),
                            new StageSpec(1, 48, 48, 2, GateSpec.channel(3)),
                            new StageSpec(1, 64, 64, 1, GateSpec.layer())))
                    .optStem(StemSpec.small(3, 16))
                    .optInputSize(32)
                    .optNumClasses(10)
                    .build();
        };
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
        randomize(net, seed);
        return net;
    }

    /** Random weights and gates (gates far from their open initialisation, so that they close part of the work). */
    static void randomize(Block net, long seed) {
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
    }

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (BackendKind backend : BackendKind.values()) {
            for (Net net : Net.values()) {
                a.add(Arguments.of(net, backend));
            }
        }
        return a.stream();
    }

    /** Whether the engine has a sparse path for a block (otherwise it runs masked dense under every policy). */
    private static boolean sparseCapable(BlockPlan b) {
        return switch (b.mode()) {
            case NONE -> false;
            case SPATIAL -> b.spatialSparse();
            case BOTH -> b.spatialSparse() && b.channelSlicing();
            case CHANNEL -> b.channelSlicing();
            case LAYER -> b.spatialGroups() == 1;
        };
    }

    private static List<PathPolicy> policies(Set<SpatialSchedule> schedules, boolean auto) {
        // AUTO last: SPARSE then sees no calibration and takes the backend's first spatial schedule
        List<PathPolicy> list = new ArrayList<>(List.of(PathPolicy.DENSE, PathPolicy.SPARSE, PathPolicy.CHANNEL,
                PathPolicy.CHANNEL_UNION));
        for (SpatialSchedule s : SpatialSchedule.values()) {
            if (schedules.contains(s)) {
                list.add(switch (s) {
                    case HALO -> PathPolicy.SPATIAL_HALO;
                    case WINDOWS -> PathPolicy.SPATIAL_WINDOWS;
                    case M1 -> PathPolicy.SPATIAL_M1;
                    case ROWS -> PathPolicy.SPATIAL_ROWS;
                });
            }
        }
        if (auto) {
            list.add(PathPolicy.AUTO);
        }
        return list;
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void everyPolicyEqualsTheMaskedDenseNetwork(Net kind, BackendKind backendKind) {
        Set<ExecutionPath> sparsePaths = EnumSet.noneOf(ExecutionPath.class);
        NDArray x = TestArrays.randn(m, 4, new Shape(3, 3, 32, 32));
        // the gates of these seeds leave partial spatial, channel and layer masks (and skip some blocks)
        for (long seed : new long[] {8, 9, 12}) {
            // AUTO calibrates the runtime (the slow part): once per network kind and backend is enough
            check(network(kind, seed), backendKind, x, sparsePaths, seed == 8);
        }
        // after a .laud round trip: the reloaded network computes what the original did, and the engine agrees with it
        GatedBackbone original = network(kind, 12);
        Path file = dir.resolve(kind + "-" + backendKind + ".laud");
        try {
            LaudModelFile.save(file, original);
            GatedBackbone reloaded = LaudModelFile.load(file, m).network();
            TestArrays.assertClose(original.run(ps, x, false).logits(), reloaded.run(ps, x, false).logits(), 1e-6,
                    kind + " reloaded from " + file.getFileName());
            check(reloaded, backendKind, x, sparsePaths, false);
        } catch (WeightFileException e) {
            throw new AssertionError("round trip through " + file + " failed", e);
        }
        ExecutionPath spatial = backendKind == BackendKind.DJL ? ExecutionPath.SPATIAL_WINDOWS
                : ExecutionPath.SPATIAL_HALO;
        Set<ExecutionPath> want = switch (kind) {
            case REGNETY -> EnumSet.of(spatial, ExecutionPath.CHANNEL, ExecutionPath.LAYER);
            case RESNET_BOTTLENECK -> EnumSet.of(spatial, ExecutionPath.CHANNEL);
            case RESNET_V1 -> EnumSet.of(spatial);
            case RESNET_BASIC -> EnumSet.of(ExecutionPath.CHANNEL);
        };
        assertTrue(sparsePaths.containsAll(want), "sparse paths taken: " + sparsePaths + ", expected " + want);
    }

    private void check(GatedBackbone net, BackendKind backendKind, NDArray x, Set<ExecutionPath> sparsePaths,
            boolean auto) {
        NetworkResult expected = net.run(ps, x, false);
        int batch = (int) x.getShape().get(0);
        // the training form's MACs of each image alone (the report's MACs are per image, averaged over the batch)
        double[] imageMacs = new double[batch];
        double meanMacs = 0;
        for (int i = 0; i < batch; i++) {
            imageMacs[i] = net.run(ps, x.get(i + ":" + (i + 1)), false).dynamicMacs().getFloat();
            meanMacs += imageMacs[i] / batch;
        }
        int n = net.getBlocks().size();
        InferencePlan plan = InferencePlan.of(net);
        assertEquals(n, plan.blocks().size());
        assertEquals(net.staticMacs(), plan.staticMacs());
        try (PlanRuntime<?> runtime = PlanRuntime.create(plan, backendKind.create(m), new CalibrationSettings(1, 7L));
                NetworkExecutor ex = runtime.newExecutor(new ExecutorOptions(PathPolicy.AUTO))) {
            for (PathPolicy policy : policies(runtime.backend().spatialSchedules(), auto)) {
                String what = net.getFamily() + " on " + backendKind + " under " + policy;
                NetworkExecution r = ex.run(x, policy);
                GateReport report = r.report();
                TestArrays.assertClose(expected.logits(), r.logits(), TOL, what);
                float[] logits = r.logits().toFloatArray();
                assertEquals(meanMacs, report.dynamicMacs(), meanMacs * 1e-5, what);
                for (int i = 0; i < batch; i++) {
                    assertEquals(imageMacs[i], report.sampleDynamicMacs()[i], imageMacs[i] * 1e-5, what + " image " + i);
                }
                // at the batch's mean densities the plan's cost formula gives the training form's batch MACs
                double atMeans = plan.dynamicMacs(report.blocks().stream().map(ExecutionReport::densities).toList());
                assertEquals(expected.dynamicMacs().getFloat(), atMeans, atMeans * 1e-5, what);
                assertEquals(net.staticMacs(), report.staticMacs(), what);
                assertEquals(n, report.blocks().size(), what);
                assertArrayEquals(net.stageOfBlocks(), report.stageOfBlock(), what);
                double sumD3 = 0;
                int gated = 0;
                for (int b = 0; b < n; b++) {
                    ExecutionReport rep = report.blocks().get(b);
                    BlockDensities d = rep.densities();
                    NetworkResult.BlockDensityResult e = expected.blocks().get(b);
                    String where = what + ", block " + b + " " + rep;
                    assertEquals(e.d1().getFloat(), d.d1(), 1e-6, where + " d1");
                    assertEquals(e.d3().getFloat(), d.d3(), 1e-6, where + " d3");
                    assertEquals(e.dc().getFloat(), d.dc(), 1e-6, where + " dc");
                    BlockPlan bp = plan.blocks().get(b);
                    if (bp.mode() != GateMode.NONE) {
                        sumD3 += d.d3() * d.dc();
                        gated++;
                    }
                    checkPath(bp, rep, policy, where);
                    if (policy == PathPolicy.SPARSE) {
                        sparsePaths.add(rep.path());
                    }
                }
                assertTrue(sumD3 < gated, "random gates must close some work, " + what + ": " + report);
                assertTrue(report.macsRatio() < 1.0, "MACs ratio " + report.macsRatio() + ", " + what);
                assertEquals(report.dynamicMacs() / net.staticMacs(), report.macsRatio(), 1e-12, what);
                if (policy == PathPolicy.DENSE || policy == PathPolicy.SPARSE) {
                    // the host form of the call gives the same logits and report
                    HostExecution host = ex.run(x.toFloatArray(), 3, policy);
                    assertArrayEquals(logits, host.logits(), 1e-5f, what + " host");
                    assertEquals(report.dynamicMacs(), host.report().dynamicMacs(), 1e-6, what + " host");
                }
            }
            assertEquals(auto, runtime.calibratedBatchSizes().contains(3), "AUTO calibrates batch size 3");
        }
    }

    /** The path a policy may take for a block, given its decisions. */
    private static void checkPath(BlockPlan bp, ExecutionReport rep, PathPolicy policy, String where) {
        ExecutionPath path = rep.path();
        boolean allOpen = rep.densities().d3() == 1 && rep.densities().dc() == 1;
        boolean cellsClosed = bp.mode().hasSpatialGate() && rep.activeUnits() == 0;
        if (bp.mode() == GateMode.NONE || allOpen) {
            assertEquals(ExecutionPath.DENSE, path, where);
        } else if (cellsClosed) {
            assertEquals(ExecutionPath.SKIP, path, where);
        } else if (policy == PathPolicy.DENSE || !sparseCapable(bp)) {
            assertEquals(ExecutionPath.DENSE, path, where);
        } else if (policy == PathPolicy.SPARSE || policy.name().startsWith("SPATIAL_")
                || policy.name().startsWith("CHANNEL")) {
            ExecutionPath want = switch (bp.mode()) {
                case LAYER -> ExecutionPath.LAYER;
                case CHANNEL -> policy == PathPolicy.CHANNEL_UNION ? ExecutionPath.CHANNEL_UNION
                        : ExecutionPath.CHANNEL;
                default -> policy == PathPolicy.SPATIAL_HALO ? ExecutionPath.SPATIAL_HALO
                        : policy == PathPolicy.SPATIAL_WINDOWS ? ExecutionPath.SPATIAL_WINDOWS
                        : policy == PathPolicy.SPATIAL_M1 ? ExecutionPath.SPATIAL_M1 : path;
            };
            assertEquals(want, path, where);
            assertTrue(path != ExecutionPath.DENSE && path != ExecutionPath.SKIP, where);
        }
    }

    @ParameterizedTest
    @EnumSource(BackendKind.class)
    void executorsShareTheRuntimeAndBatchSizesVary(BackendKind backendKind) {
        GatedBackbone net = network(Net.REGNETY, 8);
        try (PlanRuntime<?> runtime = PlanRuntime.create(InferencePlan.of(net), backendKind.create(m),
                new CalibrationSettings(1, 7L));
                NetworkExecutor a = runtime.newExecutor(new ExecutorOptions(PathPolicy.SPARSE));
                NetworkExecutor b = runtime.newExecutor(new ExecutorOptions(PathPolicy.DENSE))) {
            for (int batch : new int[] {1, 2, 5}) {
                NDArray x = TestArrays.randn(m, 20 + batch, new Shape(batch, 3, 32, 32));
                NDArray want = net.run(ps, x, false).logits();
                TestArrays.assertClose(want, a.run(x).logits(), TOL, backendKind + " SPARSE batch " + batch);
                TestArrays.assertClose(want, b.run(x).logits(), TOL, backendKind + " DENSE batch " + batch);
                GateReport one = a.run(x).report().sample(batch - 1);
                NDArray last = x.get((batch - 1) + ":" + batch);
                GateReport alone = a.run(last).report();
                assertEquals(alone.dynamicMacs(), one.dynamicMacs(), alone.dynamicMacs() * 1e-9,
                        "a sample's MACs do not depend on its batch");
            }
        }
    }

    @Test
    void badInputsAndClosedExecutorsAreRejected() {
        GatedBackbone net = network(Net.RESNET_BOTTLENECK, 8);
        PlanRuntime<?> runtime = PlanRuntime.create(InferencePlan.of(net), DjlBackend.create(m));
        NetworkExecutor ex = runtime.newExecutor();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ex.run(m.zeros(new Shape(1, 3, 16, 16))));
        assertTrue(e.getMessage().contains("images must have shape (B, 3, 32, 32)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ex.run(new float[5], 1));
        assertTrue(e.getMessage().contains("3072"), e.getMessage());
        ex.close();
        assertThrows(IllegalStateException.class, () -> ex.run(m.zeros(new Shape(1, 3, 32, 32))));
        runtime.close();
        assertThrows(IllegalStateException.class, runtime::newExecutor);
        GatedBackbone fresh = LaudResNet.builder().setDepth(ResNetDepth.RESNET18).optInputSize(32).build();
        e = assertThrows(IllegalArgumentException.class, () -> InferencePlan.of(fresh));
        assertTrue(e.getMessage().contains("initialised"), e.getMessage());
        GatedBackbone freshRegNet = LaudRegNet.builder().setStages(8, List.of(
                new StageSpec(1, 16, 16, 2, GateSpec.spatial(2)))).optInputSize(32).build();
        e = assertThrows(IllegalArgumentException.class, () -> InferencePlan.of(freshRegNet));
        assertTrue(e.getMessage().contains("initialised"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PlanRuntime.create(null, new ReferenceBackend()));
        assertTrue(e.getMessage().contains("plan"), e.getMessage());
    }
}
