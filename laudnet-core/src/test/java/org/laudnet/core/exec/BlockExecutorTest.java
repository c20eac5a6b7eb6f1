package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.mask.MaskOps;
import org.laudnet.core.testing.ManagedTest;
import org.laudnet.core.testing.TestArrays;

/**
 * One block with imposed masks: every path the block has, on the DJL and the reference backend, equals an independent
 * masked-dense computation of the training form (method section 1) within 1e-4 — for odd sizes, strides, stride
 * placements, grouped convolutions, and empty, full and random masks.
 */
class BlockExecutorTest extends ManagedTest {

    private static final double TOL = 1e-4;

    private static final BlockGeometry BOTTLENECK_ID = BlockGeometry.bottleneck(64, 16, 8, 1);
    private static final BlockGeometry BOTTLENECK_S2 = BlockGeometry.bottleneck(32, 16, 16, 2);
    private static final BlockGeometry BOTTLENECK_V1_S2 =
            new BlockGeometry(BlockType.BOTTLENECK, 32, 16, 64, 16, 16, 2, 1, StridePlacement.CONV1);
    private static final BlockGeometry BOTTLENECK_14 = BlockGeometry.bottleneck(64, 16, 14, 1);
    private static final BlockGeometry BOTTLENECK_14_S2 = BlockGeometry.bottleneck(32, 16, 14, 2);
    private static final BlockGeometry BASIC_S2 = BlockGeometry.basic(16, 32, 16, 2);
    private static final BlockGeometry GROUPED_ID =
            new BlockGeometry(BlockType.BOTTLENECK, 32, 16, 32, 8, 8, 1, 4, StridePlacement.CONV2);
    private static final BlockGeometry GROUPED_S2 =
            new BlockGeometry(BlockType.BOTTLENECK, 32, 16, 64, 16, 16, 2, 4, StridePlacement.CONV2);

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (int s : new int[] {1, 2, 4, 8}) {
            a.add(Arguments.of(BOTTLENECK_ID, GateSpec.spatial(s)));
            a.add(Arguments.of(BOTTLENECK_S2, GateSpec.spatial(s)));
        }
        a.add(Arguments.of(BOTTLENECK_V1_S2, GateSpec.spatial(2)));
        a.add(Arguments.of(BOTTLENECK_14, GateSpec.spatial(7)));
        a.add(Arguments.of(BOTTLENECK_14, GateSpec.spatial(2)));
        a.add(Arguments.of(BOTTLENECK_14_S2, GateSpec.spatial(7)));
        a.add(Arguments.of(BOTTLENECK_14_S2, GateSpec.spatial(1)));
        a.add(Arguments.of(BASIC_S2, GateSpec.spatial(4)));
        a.add(Arguments.of(BOTTLENECK_ID, GateSpec.both(2, 4)));
        a.add(Arguments.of(BOTTLENECK_S2, GateSpec.both(4, 2)));
        a.add(Arguments.of(BOTTLENECK_V1_S2, GateSpec.both(1, 4)));
        a.add(Arguments.of(GROUPED_ID, GateSpec.both(2, 2)));
        a.add(Arguments.of(GROUPED_S2, GateSpec.both(4, 4)));
        a.add(Arguments.of(BOTTLENECK_ID, GateSpec.layer()));
        a.add(Arguments.of(BASIC_S2, GateSpec.layer()));
        a.add(Arguments.of(BOTTLENECK_ID, GateSpec.channel(4)));
        a.add(Arguments.of(BOTTLENECK_V1_S2, GateSpec.channel(8)));
        a.add(Arguments.of(BASIC_S2, GateSpec.channel(4)));
        a.add(Arguments.of(GROUPED_ID, GateSpec.channel(2)));
        a.add(Arguments.of(GROUPED_ID, GateSpec.channel(8)));
        a.add(Arguments.of(BOTTLENECK_ID, GateSpec.spatial(2).withSpatialGroups(4)));
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void everyPathEqualsTheMaskedDenseBlock(BlockGeometry g, GateSpec spec) {
        GatedResidualBlock b = block(g, spec, 17);
        int batch = 3;
        NDArray x = TestArrays.randn(m, 4, new Shape(batch, g.inChannels(), g.inHeight(), g.inWidth()));
        double[] densities = {0, 0.3, 1};
        for (Backend<?> backend : List.of(org.laudnet.core.exec.djl.DjlBackend.create(m), new ReferenceBackend())) {
            try (BlockExecutor ex = BlockExecutor.builder().setBlock(b).setManager(m).optBackend(backend).build()) {
                for (double d : densities) {
                    NDArray sm = ex.spatialMaskShape(batch).map(s -> TestArrays.randomMask(m, 7, s, d)).orElse(null);
                    NDArray cm = ex.channelMaskShape(batch).map(s -> TestArrays.randomMask(m, 8, s, Math.max(d, 0.5)))
                            .orElse(null);
                    NDArray expected = reference(b, x, sm, cm);
                    for (PathPolicy p : policies(backend, spec)) {
                        ExecutionResult r = ex.runWithMasks(x, sm, cm, p);
                        TestArrays.assertClose(expected, r.output(), TOL,
                                g + " " + spec.mode() + " " + backend.id() + " density " + d + " " + p + " -> "
                                        + r.report().path());
                    }
                }
            } finally {
                backend.close();
            }
        }
    }

    private static List<PathPolicy> policies(Backend<?> backend, GateSpec spec) {
        List<PathPolicy> p = new ArrayList<>(List.of(PathPolicy.DENSE, PathPolicy.SPARSE, PathPolicy.AUTO));
        if (spec.mode() == GateMode.CHANNEL) {
            p.add(PathPolicy.CHANNEL);
            p.add(PathPolicy.CHANNEL_UNION);
        }
        if (spec.mode() == GateMode.SPATIAL || spec.mode() == GateMode.BOTH) {
            for (SpatialSchedule s : backend.spatialSchedules()) {
                p.add(switch (s) {
                    case HALO -> PathPolicy.SPATIAL_HALO;
                    case WINDOWS -> PathPolicy.SPATIAL_WINDOWS;
                    case M1 -> PathPolicy.SPATIAL_M1;
                    case ROWS -> PathPolicy.SPATIAL_ROWS;
                });
            }
        }
        return p;
    }

    @Test
    void sparsePathsAreTakenWhereTheBlockHasThem() {
        NDArray x = TestArrays.randn(m, 4, new Shape(2, 32, 8, 8));
        for (int groups : new int[] {2, 8}) {
            GatedResidualBlock b = block(GROUPED_ID, GateSpec.channel(groups), 19);
            try (BlockExecutor ex = BlockExecutor.builder().setBlock(b).setManager(m).build()) {
                NDArray cm = TestArrays.randomMask(m, 3, ex.channelMaskShape(2).orElseThrow(), 0.5);
                ExecutionResult r = ex.runWithMasks(x, null, cm, PathPolicy.SPARSE);
                assertEquals(groups == 2 ? ExecutionPath.CHANNEL : ExecutionPath.DENSE, r.report().path(),
                        "channel groups made of whole conv groups slice; others run dense (groups " + groups + ")");
            }
        }
        GatedResidualBlock v1 = block(BOTTLENECK_V1_S2, GateSpec.spatial(2), 20);
        try (BlockExecutor ex = BlockExecutor.builder().setBlock(v1).setManager(m).build()) {
            NDArray xs = TestArrays.randn(m, 4, new Shape(2, 32, 16, 16));
            NDArray sm = TestArrays.randomMask(m, 3, ex.spatialMaskShape(2).orElseThrow(), 0.5);
            assertEquals(ExecutionPath.DENSE, ex.runWithMasks(xs, sm, null, PathPolicy.SPARSE).report().path(),
                    "a bottleneck striding its 1x1 runs spatial gates masked dense");
        }
        GatedResidualBlock s = block(BOTTLENECK_ID, GateSpec.spatial(2), 21);
        try (BlockExecutor ex = BlockExecutor.builder().setBlock(s).setManager(m).build()) {
            NDArray xs = TestArrays.randn(m, 4, new Shape(2, 64, 8, 8));
            NDArray sm = TestArrays.randomMask(m, 3, ex.spatialMaskShape(2).orElseThrow(), 0.5);
            ExecutionResult r = ex.runWithMasks(xs, sm, null, PathPolicy.SPATIAL_M1);
            assertEquals(ExecutionPath.SPATIAL_M1, r.report().path());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ex.runWithMasks(xs, sm, null, PathPolicy.SPATIAL_HALO));
            assertTrue(e.getMessage().contains("SPATIAL_HALO"), e.getMessage());
            NDArray empty = m.zeros(ex.spatialMaskShape(2).orElseThrow());
            assertEquals(ExecutionPath.SKIP, ex.runWithMasks(xs, empty, null, PathPolicy.AUTO).report().path());
            NDArray full = m.ones(ex.spatialMaskShape(2).orElseThrow());
            assertEquals(ExecutionPath.DENSE, ex.runWithMasks(xs, full, null, PathPolicy.SPARSE).report().path());
        }
    }

    @Test
    void aHandedOverInputIsWrittenOrPassedThroughWithTheSameValues() {
        GatedResidualBlock b = block(BlockGeometry.basic(32, 32, 8, 1), GateSpec.layer(), 31);
        try (BlockExecutor ex = BlockExecutor.builder().setBlock(b).setManager(m).optReusableReluInput(true)
                .optPolicy(PathPolicy.SPARSE).build()) {
            NDArray x = Activation.relu(TestArrays.randn(m, 41, new Shape(4, 32, 8, 8)));
            NDArray mask = m.create(new float[] {1, 0, 1, 0}, new Shape(4, 1, 1, 1));
            NDArray expected = reference(b, x, mask, null);
            NDArray input = x.duplicate();
            ExecutionResult r = ex.runWithMasks(input, mask, null, PathPolicy.SPARSE);
            assertEquals(ExecutionPath.LAYER, r.report().path());
            assertSame(input, r.output(), "the computed samples are written into the handed-over input");
            TestArrays.assertClose(expected, r.output(), TOL, "layer, reused input");
            NDArray closed = m.zeros(new Shape(4, 1, 1, 1));
            NDArray again = x.duplicate();
            ExecutionResult s = ex.runWithMasks(again, closed, null, PathPolicy.SPARSE);
            assertEquals(ExecutionPath.SKIP, s.report().path());
            assertSame(again, s.output(), "a skipped batch passes its input through");
        }
    }

    @Test
    void masksAreValidated() {
        GatedResidualBlock b = block(BOTTLENECK_ID, GateSpec.both(2, 4), 3);
        try (BlockExecutor ex = BlockExecutor.builder().setBlock(b).setManager(m).build()) {
            NDArray x = TestArrays.randn(m, 1, new Shape(2, 64, 8, 8));
            NDArray sm = m.ones(new Shape(2, 1, 4, 4));
            NDArray cm = m.ones(new Shape(2, 4));
            assertThrows(IllegalArgumentException.class, () -> ex.runWithMasks(x, null, cm, PathPolicy.AUTO));
            assertThrows(IllegalArgumentException.class,
                    () -> ex.runWithMasks(x, m.ones(new Shape(2, 1, 2, 2)), cm, PathPolicy.AUTO));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ex.runWithMasks(x, sm.mul(0.5f), cm, PathPolicy.AUTO));
            assertTrue(e.getMessage().contains("0.5"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> ex.run(TestArrays.randn(m, 1, new Shape(2, 63, 8, 8))));
            assertTrue(e.getMessage().contains("(2, 63, 8, 8)"), e.getMessage());
        }
        GatedResidualBlock plain = block(BOTTLENECK_ID, GateSpec.none(), 3);
        try (BlockExecutor ex = BlockExecutor.builder().setBlock(plain).setManager(m).build()) {
            NDArray x = TestArrays.randn(m, 1, new Shape(2, 64, 8, 8));
            assertThrows(IllegalArgumentException.class,
                    () -> ex.runWithMasks(x, m.ones(new Shape(2, 1, 4, 4)), null, PathPolicy.AUTO));
            TestArrays.assertClose(plain.run(ps, x, false).output(), ex.run(x).output(), TOL, "static block");
        }
    }

    @Test
    void masksOfAnotherDataTypeAreNotLeaked() {
        GatedResidualBlock b = block(BOTTLENECK_ID, GateSpec.both(2, 4), 3);
        try (BlockExecutor ex = BlockExecutor.builder().setBlock(b).setManager(m).build()) {
            NDArray x = TestArrays.randn(m, 1, new Shape(2, 64, 8, 8));
            NDArray sm = TestArrays.randomMask(m, 7, ex.spatialMaskShape(2).orElseThrow(), 0.5)
                    .toType(DataType.FLOAT64, false);
            NDArray cm = m.ones(ex.channelMaskShape(2).orElseThrow(), DataType.INT32);
            ex.runWithMasks(x, sm, cm, PathPolicy.SPARSE).output().close();
            int before = m.getManagedArrays().size();
            for (int i = 0; i < 10; i++) {
                ex.runWithMasks(x, sm, cm, PathPolicy.SPARSE).output().close();
            }
            assertEquals(before, m.getManagedArrays().size(), "converted masks leaked into their manager");
        }
    }

    @Test
    void anOwnBackendIsReleasedWhenTheExecutorCannotBeBuilt() {
        GatedResidualBlock b = block(BOTTLENECK_ID, GateSpec.both(2, 4), 3);
        List<NDManager> backendManagers = new ArrayList<>();
        // the executor's DJL backend lives in a sub-manager of this one, where every weight upload fails
        NDManager parent = forwarding(m, false, sub -> {
            backendManagers.add(sub);
            return forwarding(sub, true, s -> s);
        });
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> BlockExecutor.builder().setBlock(b).setManager(parent).build());
        assertEquals("no memory for the weights", e.getMessage());
        assertEquals(1, backendManagers.size());
        assertFalse(backendManagers.get(0).isOpen(), "the executor's own backend was left open");
    }

    /**
     * A manager that forwards every call to {@code target}, except that its {@code create} methods fail when
     * {@code failCreate}, and the sub-managers it creates are passed through {@code onSubManager}.
     */
    private static NDManager forwarding(NDManager target, boolean failCreate, UnaryOperator<NDManager> onSubManager) {
        return (NDManager) Proxy.newProxyInstance(NDManager.class.getClassLoader(), new Class<?>[] {NDManager.class},
                (proxy, method, args) -> {
                    if (failCreate && method.getName().equals("create")) {
                        throw new IllegalStateException("no memory for the weights");
                    }
                    Object r;
                    try {
                        r = method.invoke(target, args);
                    } catch (InvocationTargetException ex) {
                        throw ex.getCause();
                    }
                    return method.getName().equals("newSubManager") ? onSubManager.apply((NDManager) r) : r;
                });
    }

    /** The training form with imposed masks (method section 1), from the block's own layers in eval mode. */
    private NDArray reference(AbstractGatedBlock b, NDArray x, NDArray spatial, NDArray channel) {
        BlockGeometry g = b.getGeometry();
        NDArray identity = b.getDownsample().map(d -> fwd(d.bn(), fwd(d.conv(), x))).orElse(x);
        NDArray h = Activation.relu(fwd(b.getConv1().bn(), fwd(b.getConv1().conv(), x)));
        if (channel != null) {
            h = MaskOps.applyChannel(h, channel);
        }
        h = fwd(b.getConv2().bn(), fwd(b.getConv2().conv(), h));
        if (b.getConv3().isPresent()) {
            h = Activation.relu(h);
            if (channel != null) {
                h = MaskOps.applyChannel(h, channel);
            }
            h = fwd(b.getConv3().get().bn(), fwd(b.getConv3().get().conv(), h));
        }
        if (spatial != null) {
            h = MaskOps.applySpatial(h, MaskOps.upsampleNearest(spatial, g.outHeight(), g.outWidth()));
        }
        return Activation.relu(h.add(identity));
    }

    private NDArray fwd(Block block, NDArray x) {
        return block.forward(ps, new NDList(x), false).head();
    }

    private GatedResidualBlock block(BlockGeometry g, GateSpec spec, long seed) {
        GatedResidualBlock b = GatedResidualBlock.builder().setGeometry(g).optGateSpec(spec)
                .optConvBias(seed % 2 == 0).optBatchNormEpsilon(1e-3f).build();
        b.initialize(m, DataType.FLOAT32, new Shape(1, g.inChannels(), g.inHeight(), g.inWidth()));
        Random r = new Random(seed);
        TestArrays.perturbBatchNorm(b.getConv1().bn(), r);
        TestArrays.perturbBatchNorm(b.getConv2().bn(), r);
        b.getConv3().ifPresent(c -> TestArrays.perturbBatchNorm(c.bn(), r));
        b.getDownsample().ifPresent(c -> TestArrays.perturbBatchNorm(c.bn(), r));
        return b;
    }
}
