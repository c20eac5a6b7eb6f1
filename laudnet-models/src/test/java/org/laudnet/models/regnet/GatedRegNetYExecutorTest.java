package org.laudnet.models.regnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
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
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.ResidualBlockLayers;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.exec.BlockExecutor;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.ExecutionResult;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.mask.MaskOps;
import org.laudnet.core.testing.TestArrays;

/** Sparse execution of RegNetY blocks (squeeze-excitation inside every executor path) against the training form. */
class GatedRegNetYExecutorTest {

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

    /** Block shape: input channels, width (= output channels), input size, stride. Group width 4. */
    private record Shape4(int cin, int width, int size, int stride) {
        int outSize() {
            return (size - 1) / stride + 1;
        }
    }

    private static final Shape4 IDENTITY = new Shape4(16, 16, 8, 1);
    private static final Shape4 STRIDED = new Shape4(8, 16, 8, 2);

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (Shape4 s : List.of(IDENTITY, STRIDED)) {
            a.add(Arguments.of(s, GateSpec.spatial(1)));
            a.add(Arguments.of(s, GateSpec.spatial(2)));
            a.add(Arguments.of(s, GateSpec.spatial(s.outSize())));
            // 16 channels in 4 conv groups of 4: 2 and 4 gate groups cover whole conv groups, 8 do not (dense)
            a.add(Arguments.of(s, GateSpec.channel(4)));
            a.add(Arguments.of(s, GateSpec.both(2, 2)));
            a.add(Arguments.of(s, GateSpec.layer()));
        }
        a.add(Arguments.of(IDENTITY, GateSpec.channel(8)));
        return a.stream();
    }

    /** A block with random weights, perturbed BatchNorm statistics and a squeeze-excitation far from 0.5. */
    private GatedRegNetYBlock block(Shape4 s, GateSpec spec, long seed) {
        GatedRegNetYBlock b = GatedRegNetYBlock.builder()
                .setChannels(s.cin(), s.width(), s.width())
                .setInput(s.size(), s.stride())
                .setGroupWidth(4)
                .optGateSpec(spec)
                .optBatchNormEpsilon(1e-3f)
                .build();
        b.initialize(m, DataType.FLOAT32, new Shape(1, s.cin(), s.size(), s.size()));
        randomize(b, seed);
        return b;
    }

    private static void randomize(Block b, long seed) {
        Random r = new Random(seed);
        for (var p : b.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            String k = p.getKey();
            for (int i = 0; i < v.length; i++) {
                if (k.contains("gate")) {
                    v[i] = (float) r.nextGaussian();
                } else if (k.endsWith("runningVar") || k.endsWith("gamma")) {
                    v[i] = (float) (0.5 + r.nextDouble());
                } else if (k.endsWith("beta") || k.endsWith("runningMean")) {
                    v[i] = (float) (0.2 * r.nextGaussian());
                } else if (k.contains("se_fc")) {
                    v[i] = (float) (0.8 * r.nextGaussian());
                } else if (k.endsWith("bias")) {
                    v[i] = (float) (0.1 * r.nextGaussian());
                } else {
                    v[i] = (float) (0.3 * r.nextGaussian());
                }
            }
            a.set(v);
        }
    }

    private BlockExecutor executor(GatedRegNetYBlock b) {
        // one timed run per calibration point keeps the AUTO cases short; the path choice does not affect the result
        return BlockExecutor.builder().setLayers(b.getLayers()).setManager(m).optParameterStore(ps)
                .optCalibrationRuns(1).build();
    }

    /** Masked-dense reference with explicit masks, on the block's own layers (training form, eval mode). */
    private NDArray reference(GatedRegNetYBlock b, NDArray x, NDArray spatial, NDArray channel) {
        NDArray identity = b.getDownsampleConv().isPresent()
                ? fwd(b.getDownsampleBn().orElseThrow(), fwd(b.getDownsampleConv().orElseThrow(), x))
                : x;
        NDArray h = Activation.relu(fwd(b.getBn1(), fwd(b.getConv1(), x)));
        if (channel != null) {
            h = MaskOps.applyChannel(h, channel);
        }
        h = Activation.relu(fwd(b.getBn2(), fwd(b.getConv2(), h)));
        if (channel != null) {
            h = MaskOps.applyChannel(h, channel);
        }
        NDArray m3 = spatial == null
                ? null
                : MaskOps.upsampleNearest(spatial, b.getGeometry().outHeight(), b.getGeometry().outWidth());
        h = b.squeezeExcite(ps, h, m3, false);
        h = fwd(b.getBn3(), fwd(b.getConv3(), h));
        if (m3 != null) {
            h = MaskOps.applySpatial(h, m3);
        }
        return Activation.relu(h.add(identity));
    }

    private NDArray fwd(Block block, NDArray x) {
        return block.forward(ps, new NDList(x), false).head();
    }

    private static List<PathPolicy> policies(GateMode mode) {
        List<PathPolicy> p = new ArrayList<>(List.of(PathPolicy.DENSE, PathPolicy.SPARSE));
        if (mode == GateMode.SPATIAL || mode == GateMode.BOTH) {
            p.add(PathPolicy.SPATIAL_WINDOWS);
            p.add(PathPolicy.SPATIAL_M1);
        }
        return p;
    }

    private static void assertClose(NDArray expected, NDArray actual, String what) {
        TestArrays.assertClose(expected, actual, TOL, what);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void everyPathEqualsTheMaskedDenseBlock(Shape4 s, GateSpec spec) {
        GatedRegNetYBlock b = block(s, spec, 31);
        GateMode mode = spec.mode();
        boolean sliceable = !mode.hasChannelGate() || (s.width() / spec.channelGroups()) % 4 == 0;
        int caseNo = 0;
        try (BlockExecutor ex = executor(b)) {
            for (int batch : new int[] {1, 3}) {
                NDArray x = TestArrays.randn(m, 50 + batch, new Shape(batch, s.cin(), s.size(), s.size()));
                for (double density : new double[] {0, 0.5, 1}) {
                    caseNo++;
                    NDArray sm = null;
                    if (mode.hasSpatialGate()) {
                        int ms = b.getSpatialGate().orElseThrow().getMaskSize();
                        sm = TestArrays.randomMask(m, 70 + caseNo, new Shape(batch, 1, ms, ms), density);
                    }
                    NDArray cm = null;
                    if (mode.hasChannelGate()) {
                        double dc = mode == GateMode.BOTH ? Math.max(density, 0.5) : density;
                        cm = TestArrays.randomMask(m, 90 + caseNo, new Shape(batch, spec.channelGroups()), dc);
                    }
                    NDArray expected = reference(b, x, sm, cm);
                    for (PathPolicy p : policies(mode)) {
                        ExecutionResult r = ex.runWithMasks(x, sm, cm, p);
                        ExecutionPath path = r.report().path();
                        String what = s + " " + spec + " batch " + batch + " density " + density + " policy " + p
                                + " path " + path;
                        assertClose(expected, r.output(), what);
                        boolean allOpen = r.report().activeUnits() == r.report().totalUnits()
                                && (cm == null || cm.sum().getFloat() == cm.size());
                        boolean noneOpen = sm != null && r.report().activeUnits() == 0;
                        if (noneOpen) {
                            assertEquals(ExecutionPath.SKIP, path, what);
                        } else if (allOpen || p == PathPolicy.DENSE || !sliceable) {
                            assertEquals(ExecutionPath.DENSE, path, what);
                        } else if (p == PathPolicy.SPATIAL_M1) {
                            assertEquals(ExecutionPath.SPATIAL_M1, path, what);
                        } else if (p == PathPolicy.SPATIAL_WINDOWS) {
                            assertEquals(ExecutionPath.SPATIAL_WINDOWS, path, what);
                        } else {
                            ExecutionPath want = switch (mode) {
                                case LAYER -> ExecutionPath.LAYER;
                                case CHANNEL -> ExecutionPath.CHANNEL;
                                default -> path;
                            };
                            assertEquals(want, path, what);
                            assertTrue(path != ExecutionPath.DENSE, what);
                        }
                    }
                }
            }
        }
    }

    /** The executor's own gating agrees with {@link GatedRegNetYBlock#run} in eval mode, on every policy. */
    @ParameterizedTest
    @MethodSource("cases")
    void gateProducedMasksMatchTheTrainingFormBlock(Shape4 s, GateSpec spec) {
        GatedRegNetYBlock b = block(s, spec, 32);
        try (BlockExecutor ex = executor(b)) {
            for (int batch : new int[] {1, 3}) {
                List<PathPolicy> policies = new ArrayList<>(policies(spec.mode()));
                if (batch == 3) {
                    // AUTO calibrates once per batch size: once per case is enough
                    policies.add(PathPolicy.AUTO);
                }
                NDArray x = TestArrays.randn(m, 60 + batch, new Shape(batch, s.cin(), s.size(), s.size()));
                BlockResult expected = b.run(ps, x, false);
                for (PathPolicy p : policies) {
                    ExecutionResult r = ex.run(x, p);
                    String what = s + " " + spec + " batch " + batch + " policy " + p + " path " + r.report().path();
                    assertClose(expected.output(), r.output(), what);
                    BlockDensities d = r.report().densities();
                    assertEquals(expected.d1().getFloat(), d.d1(), 1e-6, what);
                    assertEquals(expected.d3().getFloat(), d.d3(), 1e-6, what);
                    assertEquals(expected.dc().getFloat(), d.dc(), 1e-6, what);
                    double blockMacs = b.getCost().dynamicMacs(d) + d.dc() * b.seMacs() - b.getCost().maskerMacs();
                    assertEquals(blockMacs / (b.getCost().denseMacs() + b.seMacs()), r.report().macsRatio(), 1e-9,
                            what);
                }
            }
        }
    }

    /** Two spatial mask groups: the squeeze pools the union of the groups' positions; the executor runs dense. */
    @Test
    void multiGroupSpatialMasksSqueezeOverTheirUnion() {
        GatedRegNetYBlock b = block(STRIDED, GateSpec.spatial(1).withSpatialGroups(2), 35);
        NDArray x = TestArrays.randn(m, 6, new Shape(3, 8, 8, 8));
        BlockResult expected = b.run(ps, x, false);
        NDArray mask = expected.spatialMask().orElseThrow();
        assertEquals(new Shape(3, 2, 4, 4), mask.getShape());
        float density = mask.mean().getFloat();
        assertTrue(density > 0 && density < 1, "partial mask expected, density " + density);
        try (BlockExecutor ex = executor(b)) {
            ExecutionResult r = ex.run(x, PathPolicy.SPARSE);
            assertEquals(ExecutionPath.DENSE, r.report().path());
            assertClose(expected.output(), r.output(), "two mask groups");
        }
        // by hand: conv2's output squeezed over the union of the two groups' positions
        NDArray h = Activation.relu(fwd(b.getBn2(), fwd(b.getConv2(),
                Activation.relu(fwd(b.getBn1(), fwd(b.getConv1(), x))))));
        NDArray m3 = MaskOps.upsampleNearest(mask, 4, 4);
        NDArray union = m3.get(":, 0:1").maximum(m3.get(":, 1:2"));
        NDArray branch = MaskOps.applySpatial(fwd(b.getBn3(), fwd(b.getConv3(), b.squeezeExcite(ps, h, union,
                false))), m3);
        NDArray identity = fwd(b.getDownsampleBn().orElseThrow(), fwd(b.getDownsampleConv().orElseThrow(), x));
        assertClose(Activation.relu(branch.add(identity)), expected.output(), "union by hand");
    }

    @Test
    void squeezeExcitationPoolsOnlyTheComputedPositions() {
        GatedRegNetYBlock b = GatedRegNetYBlock.builder().setChannels(4, 4, 4).setInput(4, 1).setGroupWidth(2)
                .optGateSpec(GateSpec.spatial(1)).build();
        b.initialize(m, DataType.FLOAT32, new Shape(1, 4, 4, 4));
        assertEquals(1, b.getSeChannels());
        float[] w1 = {0.5f, -1f, 1f, 0.2f};
        float[] b1 = {0.1f};
        float[] w2 = {1f, -2f, 0.5f, 3f};
        float[] b2 = {0f, 0.2f, -0.1f, 0.3f};
        b.getSeFc1().getParameters().get("weight").getArray().set(w1);
        b.getSeFc1().getParameters().get("bias").getArray().set(b1);
        b.getSeFc2().getParameters().get("weight").getArray().set(w2);
        b.getSeFc2().getParameters().get("bias").getArray().set(b2);
        // h (1, 4, 2, 2): channel c, pixel p holds c + 1 + 0.5 p (and sample 2 holds its negation)
        float[] hv = new float[2 * 16];
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 4; c++) {
                for (int p = 0; p < 4; p++) {
                    hv[(n * 4 + c) * 4 + p] = (n == 0 ? 1 : -1) * (c + 1 + 0.5f * p);
                }
            }
        }
        NDArray h = m.create(hv, new Shape(2, 4, 2, 2));
        // sample 0 computes pixels 0 and 1, sample 1 none
        float[] mv = {1, 1, 0, 0, 0, 0, 0, 0};
        NDArray m2 = m.create(mv, new Shape(2, 1, 2, 2));
        float[] out = b.squeezeExcite(ps, h, m2, false).toFloatArray();
        float[] plain = b.squeezeExcite(ps, h, null, false).toFloatArray();
        for (int n = 0; n < 2; n++) {
            double count = 0;
            double[] masked = new double[4];
            double[] mean = new double[4];
            for (int p = 0; p < 4; p++) {
                count += mv[n * 4 + p];
            }
            for (int c = 0; c < 4; c++) {
                for (int p = 0; p < 4; p++) {
                    masked[c] += hv[(n * 4 + c) * 4 + p] * mv[n * 4 + p];
                    mean[c] += hv[(n * 4 + c) * 4 + p] / 4.0;
                }
                masked[c] /= Math.max(count, 1);
            }
            double[] sMasked = excite(masked, w1, b1[0], w2, b2);
            double[] sPlain = excite(mean, w1, b1[0], w2, b2);
            for (int c = 0; c < 4; c++) {
                for (int p = 0; p < 4; p++) {
                    int i = (n * 4 + c) * 4 + p;
                    assertEquals(hv[i] * sMasked[c], out[i], 1e-5, "masked n " + n + " c " + c + " p " + p);
                    assertEquals(hv[i] * sPlain[c], plain[i], 1e-5, "plain n " + n + " c " + c + " p " + p);
                }
            }
        }
        // sample 0: the masked pool of channel c is c + 1.25 (the plain mean c + 1.75), so
        // z = ReLU(0.5 * 1.25 - 2.25 + 3.25 + 0.2 * 4.25 + 0.1) = 2.575 and channel 0 at pixel 0 is 1 * sigmoid(z)
        assertEquals(1 / (1 + Math.exp(-2.575)), out[0], 1e-5);
        assertEquals(1 / (1 + Math.exp(-2.925)), plain[0], 1e-5);
        // sample 1 computes nothing: its pool is 0, scale = sigmoid(fc2(ReLU(b1)))
        double z1 = Math.max(0, b1[0]);
        assertEquals(-1 * (1 / (1 + Math.exp(-(z1 * w2[1] + b2[1])))) * 2, out[(4 + 1) * 4], 1e-5);
    }

    private static double[] excite(double[] pooled, float[] w1, float b1, float[] w2, float[] b2) {
        double z = b1;
        for (int c = 0; c < 4; c++) {
            z += w1[c] * pooled[c];
        }
        z = Math.max(0, z);
        double[] s = new double[4];
        for (int c = 0; c < 4; c++) {
            s[c] = 1 / (1 + Math.exp(-(w2[c] * z + b2[c])));
        }
        return s;
    }

    @Test
    void maskedSqueezeDiffersFromTheGlobalOneUnderAPartialMask() {
        GatedRegNetYBlock b = block(IDENTITY, GateSpec.spatial(2), 33);
        NDArray h = Activation.relu(TestArrays.randn(m, 4, new Shape(1, 16, 8, 8)));
        NDArray m2 = MaskOps.upsampleNearest(m.create(new float[] {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                new Shape(1, 1, 4, 4)), 8, 8);
        NDArray masked = b.squeezeExcite(ps, h, m2, false);
        NDArray global = b.squeezeExcite(ps, h, null, false);
        NDArray ones = b.squeezeExcite(ps, h, m.ones(new Shape(1, 1, 8, 8)), false);
        TestArrays.assertClose(global, ones, 1e-6);
        float maxDiff = masked.sub(global).abs().max().getFloat();
        assertTrue(maxDiff > 1e-3, "a partial mask changes the squeeze, max diff " + maxDiff);
    }

    @Test
    void layersDescribeTheBlockAndAreValidated() {
        GatedRegNetYBlock b = block(STRIDED, GateSpec.both(2, 2), 34);
        ResidualBlockLayers l = b.getLayers();
        assertEquals(b.getGeometry(), l.geometry());
        assertTrue(l.conv3().isPresent() && l.downsample().isPresent());
        assertTrue(l.spatialGate().isPresent() && l.channelGate().isPresent());
        assertEquals(b.getSeFc1(), l.squeezeExcitation().orElseThrow().fc1());
        assertEquals(b.getSeFc2(), l.squeezeExcitation().orElseThrow().fc2());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ResidualBlockLayers(
                l.geometry(), l.gateSpec(), l.conv1(), l.conv2(), l.conv3(), Optional.empty(), l.spatialGate(),
                l.channelGate(), l.squeezeExcitation()));
        assertTrue(e.getMessage().contains("downsample"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ResidualBlockLayers(
                l.geometry(), GateSpec.channel(2), l.conv1(), l.conv2(), l.conv3(), l.downsample(), l.spatialGate(),
                l.channelGate(), l.squeezeExcitation()));
        assertTrue(e.getMessage().contains("spatialGate"), e.getMessage());
        assertNotEquals(0, b.seMacs());
    }
}
