package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.BlockResult;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.block.ResidualBlockLayers;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.mask.MaskOps;
import org.laudnet.core.testing.TestArrays;

class BlockExecutorTest {

    private static final double TOL = 1e-4;

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

    private static final BlockGeometry BOTTLENECK_ID = BlockGeometry.bottleneck(64, 16, 8, 1);
    private static final BlockGeometry BOTTLENECK_S2 = BlockGeometry.bottleneck(32, 16, 16, 2);
    private static final BlockGeometry BOTTLENECK_V1_S2 =
            new BlockGeometry(BlockType.BOTTLENECK, 32, 16, 64, 16, 16, 2, 1, StridePlacement.CONV1);
    private static final BlockGeometry BOTTLENECK_14 = BlockGeometry.bottleneck(64, 16, 14, 1);
    private static final BlockGeometry BOTTLENECK_14_S2 = BlockGeometry.bottleneck(32, 16, 14, 2);
    private static final BlockGeometry BASIC_S2 = BlockGeometry.basic(16, 32, 16, 2);
    private static final BlockGeometry BASIC_ID = BlockGeometry.basic(32, 32, 8, 1);
    /** Grouped conv2: 16 channels in 4 groups of 4. */
    private static final BlockGeometry GROUPED_ID =
            new BlockGeometry(BlockType.BOTTLENECK, 32, 16, 32, 8, 8, 1, 4, StridePlacement.CONV2);
    private static final BlockGeometry GROUPED_S2 =
            new BlockGeometry(BlockType.BOTTLENECK, 32, 16, 64, 16, 16, 2, 4, StridePlacement.CONV2);

    static Stream<Arguments> spatialCases() {
        List<Arguments> a = new ArrayList<>();
        for (int s : new int[] {1, 2, 4, 8}) {
            a.add(Arguments.of(BOTTLENECK_ID, GateSpec.spatial(s)));
            a.add(Arguments.of(BOTTLENECK_S2, GateSpec.spatial(s)));
        }
        a.add(Arguments.of(BOTTLENECK_V1_S2, GateSpec.spatial(2)));
        a.add(Arguments.of(BOTTLENECK_V1_S2, GateSpec.spatial(8)));
        a.add(Arguments.of(BOTTLENECK_14, GateSpec.spatial(7)));
        a.add(Arguments.of(BOTTLENECK_14, GateSpec.spatial(2)));
        a.add(Arguments.of(BOTTLENECK_14_S2, GateSpec.spatial(7)));
        a.add(Arguments.of(BOTTLENECK_14_S2, GateSpec.spatial(1)));
        a.add(Arguments.of(BASIC_S2, GateSpec.spatial(1)));
        a.add(Arguments.of(BASIC_S2, GateSpec.spatial(4)));
        a.add(Arguments.of(BASIC_ID, GateSpec.spatial(2)));
        a.add(Arguments.of(BOTTLENECK_ID, GateSpec.both(2, 4)));
        a.add(Arguments.of(BOTTLENECK_S2, GateSpec.both(4, 2)));
        a.add(Arguments.of(BOTTLENECK_V1_S2, GateSpec.both(1, 4)));
        a.add(Arguments.of(BASIC_S2, GateSpec.both(2, 4)));
        a.add(Arguments.of(GROUPED_ID, GateSpec.spatial(2)));
        a.add(Arguments.of(GROUPED_ID, GateSpec.both(2, 2)));
        a.add(Arguments.of(GROUPED_S2, GateSpec.both(4, 4)));
        return a.stream();
    }

    static Stream<Arguments> sampleCases() {
        return Stream.of(
                Arguments.of(BOTTLENECK_ID, GateSpec.layer()),
                Arguments.of(BOTTLENECK_S2, GateSpec.layer()),
                Arguments.of(BASIC_S2, GateSpec.layer()),
                Arguments.of(BOTTLENECK_ID, GateSpec.channel(4)),
                Arguments.of(BOTTLENECK_V1_S2, GateSpec.channel(8)),
                Arguments.of(BOTTLENECK_S2, GateSpec.channel(2)),
                Arguments.of(BASIC_S2, GateSpec.channel(4)),
                Arguments.of(BASIC_ID, GateSpec.channel(8)),
                Arguments.of(GROUPED_ID, GateSpec.channel(2)),
                Arguments.of(GROUPED_S2, GateSpec.channel(4)),
                Arguments.of(GROUPED_ID, GateSpec.channel(8)),
                Arguments.of(GROUPED_ID, GateSpec.layer()));
    }

    /**
     * Channel gates on a grouped conv2 run sparsely exactly when every gate group covers whole conv groups (conv2 is
     * then sliced to the active conv groups); otherwise they fall back to the masked dense path.
     */
    @Test
    void groupedConvChannelGatesSliceWholeConvGroups() {
        NDArray x = TestArrays.randn(m, 4, new Shape(2, 32, 8, 8));
        float[] pattern = {1, 0, 0, 1, 1, 1, 0, 0};
        for (int groups : new int[] {4, 8}) {
            GatedResidualBlock b = block(GROUPED_ID, GateSpec.channel(groups), 19);
            NDArray cm = m.create(Arrays.copyOf(pattern, 2 * groups), new Shape(2, groups));
            try (BlockExecutor ex = executor(b)) {
                ExecutionResult r = ex.runWithMasks(x, null, cm, PathPolicy.SPARSE);
                assertClose(reference(b, x, null, cm), r.output(), "groups " + groups);
                assertEquals(groups == 4 ? ExecutionPath.CHANNEL : ExecutionPath.DENSE, r.report().path(),
                        "groups " + groups);
            }
        }
        GatedResidualBlock both = block(GROUPED_ID, GateSpec.both(2, 4), 20);
        NDArray sm = spatialMask(both, 2, 0.5, 5);
        NDArray cm = m.create(Arrays.copyOf(pattern, 8), new Shape(2, 4));
        try (BlockExecutor ex = executor(both)) {
            for (PathPolicy p : List.of(PathPolicy.SPATIAL_WINDOWS, PathPolicy.SPATIAL_M1)) {
                ExecutionResult r = ex.runWithMasks(x, sm, cm, p);
                assertClose(reference(both, x, sm, cm), r.output(), "both " + p);
                assertEquals(p == PathPolicy.SPATIAL_M1 ? ExecutionPath.SPATIAL_M1 : ExecutionPath.SPATIAL_WINDOWS,
                        r.report().path());
            }
        }
    }

    /**
     * With a reusable ReLU input, a block without downsample writes its computed samples into the input (LAYER,
     * CHANNEL) or returns the input itself (every sample skipped); the values equal the training-form block's. A block
     * with downsample never touches its input.
     */
    @Test
    void reusableReluInputIsOverwrittenOrPassedThroughWithTheSameValues() {
        Random r = new Random(5);
        // samples of growing magnitude: the layer gate below keeps a sample when its channel sum exceeds a threshold
        float[] scale = {1, 8, 2, 7, 3, 6, 4, 5};
        NDArray scales = m.create(scale, new Shape(8, 1, 1, 1));
        for (GateSpec spec : List.of(GateSpec.layer(), GateSpec.channel(4))) {
            GatedResidualBlock b = block(BASIC_ID, spec, 31);
            if (spec.mode() == GateMode.LAYER) {
                setLayerGate(b, 1f, -0.4f * 32 * 4.5f);
            } else {
                randomizeGates(b, r);
            }
            try (BlockExecutor ex = BlockExecutor.builder().setBlock(b).setManager(m).optParameterStore(ps)
                    .optReusableReluInput(true).optPolicy(PathPolicy.SPARSE).build()) {
                NDArray x = Activation.relu(TestArrays.randn(m, 41, new Shape(8, 32, 8, 8))).mul(scales);
                NDArray expected = b.run(ps, x, false).output();
                NDArray input = x.duplicate();
                ExecutionResult res = ex.run(input);
                assertEquals(spec.mode() == GateMode.LAYER ? ExecutionPath.LAYER : ExecutionPath.CHANNEL,
                        res.report().path(), spec.toString());
                assertTrue(res.report().activeUnits() > 0 && res.report().activeUnits() < res.report().totalUnits(),
                        "some, not all units active: " + res.report());
                assertClose(expected, res.output(), spec + " reused input");
                assertSame(input, res.output(), spec + ": the samples are written into the input");
            }
        }
        GatedResidualBlock closed = block(BASIC_ID, GateSpec.layer(), 32);
        setLayerGate(closed, 0f, -10f);
        try (BlockExecutor ex = BlockExecutor.builder().setBlock(closed).setManager(m).optParameterStore(ps)
                .optReusableReluInput(true).build()) {
            NDArray x = Activation.relu(TestArrays.randn(m, 42, new Shape(3, 32, 8, 8)));
            ExecutionResult res = ex.run(x);
            assertEquals(ExecutionPath.SKIP, res.report().path());
            assertSame(x, res.output(), "a skipped batch passes its input through");
            assertClose(closed.run(ps, x, false).output(), res.output(), "skipped");
        }
        GatedResidualBlock down = block(BASIC_S2, GateSpec.layer(), 33);
        randomizeGates(down, r);
        try (BlockExecutor ex = BlockExecutor.builder().setBlock(down).setManager(m).optParameterStore(ps)
                .optReusableReluInput(true).optPolicy(PathPolicy.SPARSE).build()) {
            NDArray x = Activation.relu(TestArrays.randn(m, 43, new Shape(8, 16, 16, 16)));
            NDArray before = x.duplicate();
            ExecutionResult res = ex.run(x);
            assertClose(down.run(ps, x, false).output(), res.output(), "downsample block");
            assertEquals(0f, x.sub(before).abs().max().getFloat(), 0f, "a downsample block leaves its input alone");
        }
    }

    /**
     * The executor reports the mask shapes {@code runWithMasks} expects, and with a reusable ReLU input
     * {@code runWithMasks} writes the computed samples into the input as {@code run} does, with the values of an
     * executor that leaves its input alone.
     */
    @Test
    void runWithMasksHandsOverAReusableInputAndReportsMaskShapes() {
        GatedResidualBlock layer = block(BASIC_ID, GateSpec.layer(), 34);
        GatedResidualBlock channel = block(BASIC_ID, GateSpec.channel(4), 35);
        try (BlockExecutor reuse = BlockExecutor.builder().setBlock(layer).setManager(m).optParameterStore(ps)
                        .optReusableReluInput(true).optPolicy(PathPolicy.SPARSE).build();
                BlockExecutor keep = BlockExecutor.builder().setBlock(layer).setManager(m).optParameterStore(ps)
                        .optPolicy(PathPolicy.SPARSE).build();
                BlockExecutor ch = BlockExecutor.builder().setBlock(channel).setManager(m).optParameterStore(ps)
                        .build()) {
            assertEquals(new Shape(4, 1, 1, 1), reuse.spatialMaskShape(4).orElseThrow());
            assertTrue(reuse.channelMaskShape(4).isEmpty(), "a layer gate has no channel mask");
            assertEquals(new Shape(6, 4), ch.channelMaskShape(6).orElseThrow());
            assertTrue(ch.spatialMaskShape(6).isEmpty(), "a channel gate has no spatial mask");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ch.channelMaskShape(0));
            assertTrue(e.getMessage().contains("batch"), e.getMessage());

            NDArray x = Activation.relu(TestArrays.randn(m, 44, new Shape(4, 32, 8, 8)));
            NDArray mask = m.create(new float[] {1, 0, 0, 1}, new Shape(4, 1, 1, 1));
            NDArray expected = keep.runWithMasks(x, mask, null, PathPolicy.SPARSE).output();
            NDArray input = x.duplicate();
            ExecutionResult res = reuse.runWithMasks(input, mask, null, PathPolicy.SPARSE);
            assertEquals(ExecutionPath.LAYER, res.report().path());
            assertSame(input, res.output(), "the computed samples are written into the input");
            assertClose(expected, res.output(), "reused input under given masks");
            assertEquals(0f, x.get(1).sub(res.output().get(1)).abs().max().getFloat(), 0f, "skipped sample kept");
        }
    }

    /** Layer gate: keep logit {@code w * sum_c mean(x_c) + keepBias}, skip logit 0. */
    private static void setLayerGate(GatedResidualBlock b, float w, float keepBias) {
        b.getSpatialGate().orElseThrow().getParameters().forEach(p -> {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            if (p.getKey().endsWith("bias")) {
                v[0] = keepBias;
            } else {
                Arrays.fill(v, 0, v.length / 2, w);
            }
            a.set(v);
        });
    }

    private static void randomizeGates(GatedResidualBlock b, Random r) {
        for (Block gate : new Block[] {b.getSpatialGate().orElse(null), b.getChannelGate().orElse(null)}) {
            if (gate != null) {
                gate.getParameters().forEach(p -> {
                    NDArray a = p.getValue().getArray();
                    float[] v = new float[(int) a.size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) r.nextGaussian();
                    }
                    a.set(v);
                });
            }
        }
    }

    @Test
    void residualBlockLayersAreValidatedAndSetBlockDelegates() {
        GatedResidualBlock b = block(BOTTLENECK_S2, GateSpec.spatial(2), 22);
        ResidualBlockLayers l = b.getLayers();
        assertEquals(b.getGeometry(), l.geometry());
        assertEquals(b.getConv1(), l.conv1().conv());
        assertEquals(b.getBn2(), l.conv2().bn());
        assertTrue(l.squeezeExcitation().isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ResidualBlockLayers(
                l.geometry(), l.gateSpec(), l.conv1(), l.conv2(), Optional.empty(), l.downsample(), l.spatialGate(),
                l.channelGate(), l.squeezeExcitation()));
        assertTrue(e.getMessage().contains("conv3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ResidualBlockLayers(
                l.geometry(), l.gateSpec(), l.conv1(), l.conv2(), l.conv3(), l.downsample(), Optional.empty(),
                l.channelGate(), l.squeezeExcitation()));
        assertTrue(e.getMessage().contains("spatialGate"), e.getMessage());
        GatedResidualBlock basic = block(BASIC_S2, GateSpec.none(), 23);
        ResidualBlockLayers bl = basic.getLayers();
        e = assertThrows(IllegalArgumentException.class, () -> new ResidualBlockLayers(
                bl.geometry(), bl.gateSpec(), bl.conv1(), bl.conv2(), bl.conv3(), bl.downsample(), bl.spatialGate(),
                bl.channelGate(), Optional.of(new ResidualBlockLayers.SqueezeExcitation(basic.getConv1(),
                        basic.getConv2()))));
        assertTrue(e.getMessage().contains("squeezeExcitation"), e.getMessage());
        NDArray x = TestArrays.randn(m, 8, new Shape(2, 32, 16, 16));
        NDArray sm = spatialMask(b, 2, 0.5, 8);
        try (BlockExecutor byBlock = executor(b);
                BlockExecutor byLayers = BlockExecutor.builder().setLayers(l).setManager(m).optParameterStore(ps)
                        .build()) {
            NDArray a = byBlock.runWithMasks(x, sm, null, PathPolicy.SPATIAL_M1).output();
            NDArray c = byLayers.runWithMasks(x, sm, null, PathPolicy.SPATIAL_M1).output();
            assertClose(a, c, "setLayers");
            assertClose(reference(b, x, sm, null), c, "setLayers reference");
        }
    }

    /** A block with random weights and perturbed BatchNorm statistics, so folding is exercised. */
    private GatedResidualBlock block(BlockGeometry g, GateSpec spec, long seed) {
        GatedResidualBlock b = GatedResidualBlock.builder().setGeometry(g).optGateSpec(spec).optConvBias(seed % 2 == 0)
                .optBatchNormEpsilon(1e-3f).build();
        b.initialize(m, DataType.FLOAT32, new Shape(1, g.inChannels(), g.inHeight(), g.inWidth()));
        Random r = new Random(seed);
        List<BatchNorm> bns = new ArrayList<>(List.of(b.getBn1(), b.getBn2()));
        b.getBn3().ifPresent(bns::add);
        b.getDownsampleBn().ifPresent(bns::add);
        for (BatchNorm bn : bns) {
            TestArrays.perturbBatchNorm(bn, r);
        }
        b.getConv1().getParameters().forEach(p -> {
            if (p.getKey().endsWith("bias")) {
                p.getValue().getArray().set(TestArrays.randn(m, seed + 3, p.getValue().getArray().getShape())
                        .mul(0.1f).toFloatArray());
            }
        });
        return b;
    }

    private BlockExecutor executor(GatedResidualBlock b) {
        return BlockExecutor.builder().setBlock(b).setManager(m).optParameterStore(ps).build();
    }

    /** Masked-dense reference with explicit masks (method section 1), on the block's own layers. */
    private NDArray reference(GatedResidualBlock b, NDArray x, NDArray spatial, NDArray channel) {
        BlockGeometry g = b.getGeometry();
        NDArray identity = b.getDownsampleConv().isPresent()
                ? fwd(b.getDownsampleBn().get(), fwd(b.getDownsampleConv().get(), x))
                : x;
        NDArray h = Activation.relu(fwd(b.getBn1(), fwd(b.getConv1(), x)));
        if (channel != null) {
            h = MaskOps.applyChannel(h, channel);
        }
        h = fwd(b.getBn2(), fwd(b.getConv2(), h));
        if (b.getConv3().isPresent()) {
            h = Activation.relu(h);
            if (channel != null) {
                h = MaskOps.applyChannel(h, channel);
            }
            h = fwd(b.getBn3().get(), fwd(b.getConv3().get(), h));
        }
        if (spatial != null) {
            h = MaskOps.applySpatial(h, MaskOps.upsampleNearest(spatial, g.outHeight(), g.outWidth()));
        }
        return Activation.relu(h.add(identity));
    }

    private NDArray fwd(Block block, NDArray x) {
        return block.forward(ps, new NDList(x), false).head();
    }

    private NDArray spatialMask(GatedResidualBlock b, int batch, double density, long seed) {
        int ms = b.getSpatialGate().orElseThrow().getMaskSize();
        return TestArrays.randomMask(m, seed, new Shape(batch, 1, ms, ms), density);
    }

    private NDArray channelMask(GatedResidualBlock b, int batch, double density, long seed) {
        int groups = b.getChannelGate().orElseThrow().getGroups();
        return TestArrays.randomMask(m, seed, new Shape(batch, groups), density);
    }

    private List<PathPolicy> policies(GatedResidualBlock b) {
        GateMode mode = b.getGateSpec().mode();
        List<PathPolicy> p = new ArrayList<>(List.of(PathPolicy.DENSE, PathPolicy.SPARSE));
        if (mode == GateMode.SPATIAL || mode == GateMode.BOTH) {
            p.add(PathPolicy.SPATIAL_WINDOWS);
            if (b.getGeometry().type() == BlockType.BOTTLENECK) {
                p.add(PathPolicy.SPATIAL_M1);
            }
        }
        return p;
    }

    private void checkAll(BlockGeometry g, GateSpec spec, long seed) {
        GatedResidualBlock b = block(g, spec, seed);
        GateMode mode = spec.mode();
        try (BlockExecutor ex = executor(b)) {
            int caseNo = 0;
            for (int batch : new int[] {1, 3, 8}) {
                NDArray x = TestArrays.randn(m, seed + batch, new Shape(batch, g.inChannels(), g.inHeight(),
                        g.inWidth()));
                for (double density : new double[] {0, 0.5, 1}) {
                    caseNo++;
                    NDArray sm = mode.hasSpatialGate() ? spatialMask(b, batch, density, seed + caseNo) : null;
                    NDArray cm = mode.hasChannelGate()
                            ? channelMask(b, batch, mode == GateMode.BOTH ? Math.max(density, 0.5) : density,
                                    seed + 100 + caseNo)
                            : null;
                    NDArray expected = reference(b, x, sm, cm);
                    for (PathPolicy p : policies(b)) {
                        ExecutionResult r = ex.runWithMasks(x, sm, cm, p);
                        String what = g + " " + spec + " batch " + batch + " density " + density + " policy " + p
                                + " path " + r.report().path();
                        assertEquals(batch, r.report().batch(), what);
                        assertClose(expected, r.output(), what);
                        if (density == 0 && mode != GateMode.CHANNEL) {
                            assertEquals(ExecutionPath.SKIP, r.report().path(), what);
                        }
                        if (density == 1 && mode != GateMode.BOTH) {
                            assertEquals(ExecutionPath.DENSE, r.report().path(), what);
                        }
                        int active = r.report().activeUnits();
                        if (p == PathPolicy.SPATIAL_M1 && active > 0 && active < r.report().totalUnits()) {
                            assertEquals(ExecutionPath.SPATIAL_M1, r.report().path(), what);
                        }
                    }
                }
            }
        }
    }

    private static void assertClose(NDArray expected, NDArray actual, String what) {
        TestArrays.assertClose(expected, actual, TOL, what);
    }

    @ParameterizedTest
    @MethodSource("spatialCases")
    void spatialPathsEqualMaskedDense(BlockGeometry g, GateSpec spec) {
        checkAll(g, spec, 11);
    }

    @ParameterizedTest
    @MethodSource("sampleCases")
    void layerAndChannelPathsEqualMaskedDense(BlockGeometry g, GateSpec spec) {
        checkAll(g, spec, 12);
    }

    @Test
    void staticBlockRunsTheFoldedDensePath() {
        GatedResidualBlock b = block(BOTTLENECK_S2, GateSpec.none(), 13);
        try (BlockExecutor ex = executor(b)) {
            NDArray x = TestArrays.randn(m, 5, new Shape(3, 32, 16, 16));
            ExecutionResult r = ex.run(x);
            assertEquals(ExecutionPath.DENSE, r.report().path());
            assertEquals(1.0, r.report().macsRatio(), 1e-12);
            assertClose(b.run(ps, x, false).output(), r.output(), "static");
        }
    }

    /** Gate-produced masks: the executor's own gating matches GatedResidualBlock.run in eval mode. */
    @ParameterizedTest
    @MethodSource("gateCases")
    void gateProducedMasksMatchTheTrainingFormBlock(BlockGeometry g, GateSpec spec) {
        GatedResidualBlock b = block(g, spec, 14);
        randomizeGates(b, new Random(3));
        try (BlockExecutor ex = executor(b)) {
            for (int batch : new int[] {1, 8}) {
                NDArray x = TestArrays.randn(m, 40 + batch, new Shape(batch, g.inChannels(), g.inHeight(),
                        g.inWidth()));
                BlockResult expected = b.run(ps, x, false);
                for (PathPolicy p : List.of(PathPolicy.SPARSE, PathPolicy.AUTO, PathPolicy.DENSE)) {
                    ExecutionResult res = ex.run(x, p);
                    assertClose(expected.output(), res.output(), spec + " batch " + batch + " " + p);
                    assertEquals(expected.d3().getFloat(), res.report().densities().d3(), 1e-6);
                    assertEquals(expected.d1().getFloat(), res.report().densities().d1(), 1e-6);
                    assertEquals(expected.dc().getFloat(), res.report().densities().dc(), 1e-6);
                }
            }
        }
    }

    static Stream<Arguments> gateCases() {
        return Stream.of(
                Arguments.of(BOTTLENECK_S2, GateSpec.spatial(2)),
                Arguments.of(BOTTLENECK_ID, GateSpec.layer()),
                Arguments.of(BOTTLENECK_ID, GateSpec.channel(4)),
                Arguments.of(BOTTLENECK_S2, GateSpec.both(2, 4)),
                Arguments.of(BASIC_S2, GateSpec.spatial(2).withSpatialGroups(2)));
    }

    @Test
    void autoPolicyReportsPredictionsAndMeetsTheContract() {
        GatedResidualBlock b = block(BOTTLENECK_ID, GateSpec.spatial(2), 15);
        try (BlockExecutor ex = executor(b)) {
            NDArray x = TestArrays.randn(m, 6, new Shape(1, 64, 8, 8));
            NDArray sm = spatialMask(b, 1, 0.5, 9);
            ExecutionResult r = ex.runWithMasks(x, sm, null, PathPolicy.AUTO);
            assertTrue(Double.isFinite(r.report().predictedDenseMs()) && r.report().predictedDenseMs() > 0,
                    "dense prediction " + r.report().predictedDenseMs());
            assertTrue(Double.isFinite(r.report().predictedSparseMs()), "sparse prediction");
            ExecutionPath expectedPath = r.report().predictedSparseMs() < r.report().predictedDenseMs()
                    ? r.report().path() : ExecutionPath.DENSE;
            assertEquals(expectedPath, r.report().path());
            assertEquals(16, r.report().totalUnits());
            assertClose(reference(b, x, sm, null), r.output(), "auto");
        }
    }

    @Test
    void longInferenceLoopDoesNotGrowManagedArrays() {
        GatedResidualBlock b = block(BOTTLENECK_ID, GateSpec.both(2, 4), 16);
        try (BlockExecutor ex = executor(b)) {
            NDArray x = TestArrays.randn(m, 7, new Shape(3, 64, 8, 8));
            // the caller's count includes the executor's sub-manager (weights and per-pattern slices, created once)
            int callerAfterWarmup = -1;
            int executorAfterWarmup = -1;
            for (int i = 0; i < 300; i++) {
                // few channel patterns, many spatial masks, all three policies
                NDArray sm = spatialMask(b, 3, 0.5, i);
                NDArray cm = channelMask(b, 3, 0.5, i % 4);
                PathPolicy p = List.of(PathPolicy.SPATIAL_M1, PathPolicy.SPATIAL_WINDOWS, PathPolicy.DENSE).get(i % 3);
                ExecutionResult r = ex.runWithMasks(x, sm, cm, p);
                assertEquals(3, r.output().getShape().get(0));
                r.output().close();
                sm.close();
                cm.close();
                if (i == 50) {
                    executorAfterWarmup = ex.managedArrayCount();
                    callerAfterWarmup = m.getManagedArrays().size();
                }
            }
            assertEquals(executorAfterWarmup, ex.managedArrayCount(), "executor arrays grew");
            assertEquals(callerAfterWarmup, m.getManagedArrays().size(), "caller arrays grew");
        }
    }

    @Test
    void badInputsNameTheParameter() {
        GatedResidualBlock b = block(BOTTLENECK_ID, GateSpec.spatial(2), 17);
        try (BlockExecutor ex = executor(b)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ex.run(m.zeros(new Shape(1, 64, 7, 7))));
            assertTrue(e.getMessage().contains("x must have shape") && e.getMessage().contains("7"), e.getMessage());
            NDArray x = m.zeros(new Shape(2, 64, 8, 8));
            e = assertThrows(IllegalArgumentException.class,
                    () -> ex.runWithMasks(x, m.ones(new Shape(2, 1, 2, 2)), null, PathPolicy.SPARSE));
            assertTrue(e.getMessage().contains("spatialMask") && e.getMessage().contains("(2, 1, 4, 4)"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> ex.runWithMasks(x, m.ones(new Shape(2, 1, 4, 4)), m.ones(new Shape(2, 4)),
                            PathPolicy.SPARSE));
            assertTrue(e.getMessage().contains("channelMask"), e.getMessage());
        }
        GatedResidualBlock layer = block(BOTTLENECK_ID, GateSpec.layer(), 18);
        try (BlockExecutor ex = executor(layer)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ex.run(m.zeros(new Shape(1, 64, 8, 8)), PathPolicy.SPATIAL_M1));
            assertTrue(e.getMessage().contains("SPATIAL_M1") && e.getMessage().contains("LAYER"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BlockExecutor.builder().setManager(m).build());
        assertTrue(e.getMessage().contains("block"), e.getMessage());
    }

    @Test
    void phaseTimerSeesTheGateAndTheConvolutionsOfASpatialCall() {
        GatedResidualBlock b = block(BOTTLENECK_ID, GateSpec.spatial(2), 21);
        try (BlockExecutor ex = executor(b)) {
            NDArray x = TestArrays.randn(m, 3, new Shape(2, 64, 8, 8));
            NDArray sm = spatialMask(b, 2, 0.5, 3);
            PhaseTimer timer = new PhaseTimer();
            ex.setPhaseTimer(timer);
            ExecutionResult r = ex.runWithMasks(x, sm, null, PathPolicy.SPATIAL_WINDOWS, true);
            assertEquals(ExecutionPath.SPATIAL_WINDOWS, r.report().path());
            assertClose(reference(b, x, sm, null), r.output(), "profiled");
            java.util.Map<String, Double> ms = timer.millis();
            for (String phase : List.of("gate", "index", "conv1", "gather", "conv2", "conv3", "scatter")) {
                assertTrue(ms.containsKey(phase) && ms.get(phase) >= 0, phase + " missing in " + ms);
            }
            ex.setPhaseTimer(null);
            timer.reset();
            ex.runWithMasks(x, sm, null, PathPolicy.SPATIAL_WINDOWS, true).output().close();
            assertTrue(timer.millis().isEmpty(), "a removed timer records nothing");
        }
    }

    @Test
    void costModelFitsALine() {
        LinearCostModel model = LinearCostModel.fit(new double[][] {{1, 10}, {2, 5}, {3, 30}, {4, 1}},
                new double[] {0.5 + 2 * 1 + 0.1 * 10, 0.5 + 2 * 2 + 0.1 * 5, 0.5 + 2 * 3 + 0.1 * 30,
                    0.5 + 2 * 4 + 0.1 * 1});
        assertEquals(0.5, model.intercept(), 1e-4);
        assertEquals(0.5 + 2 * 5 + 0.1 * 7, model.predict(5, 7), 1e-4);
        assertThrows(IllegalArgumentException.class, () -> model.predict(1));
    }
}
