package org.laudnet.models.regnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.BlockResult;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.exec.BlockExecutor;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.ExecutionResult;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.SpatialSchedule;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.mask.MaskOps;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.testing.ManagedTest;
import org.laudnet.core.testing.TestArrays;
import org.laudnet.core.util.ScalarOps;

/**
 * Sparse execution of RegNetY blocks (squeeze-excitation inside every executor path) against the training form, on the
 * DJL/PyTorch backend and on the pure-Java reference backend.
 */
class GatedRegNetYExecutorTest extends ManagedTest {

    private static final double TOL = 1e-4;

    /** Block shape: input channels, width (= output channels), input size, stride. Group width 4. */
    private record Shape4(int cin, int width, int size, int stride) {
        int outSize() {
            return (size - 1) / stride + 1;
        }
    }

    private static final Shape4 IDENTITY = new Shape4(16, 16, 8, 1);
    private static final Shape4 STRIDED = new Shape4(8, 16, 8, 2);

    /** The backend an executor runs on. */
    enum Backend {
        /** DJL/PyTorch: spatial schedules WINDOWS and M1. */
        DJL,
        /** The pure-Java reference: spatial schedule HALO. */
        REFERENCE;

        List<SpatialSchedule> schedules() {
            return this == DJL ? List.of(SpatialSchedule.WINDOWS, SpatialSchedule.M1, SpatialSchedule.ROWS)
                    : List.of(SpatialSchedule.HALO);
        }
    }

    static Stream<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (Backend backend : Backend.values()) {
            for (Shape4 s : List.of(IDENTITY, STRIDED)) {
                a.add(Arguments.of(s, GateSpec.spatial(1), backend));
                a.add(Arguments.of(s, GateSpec.spatial(2), backend));
                a.add(Arguments.of(s, GateSpec.spatial(s.outSize()), backend));
                // 16 channels in 4 conv groups of 4: 2 and 4 gate groups cover whole conv groups, 8 do not (dense)
                a.add(Arguments.of(s, GateSpec.channel(4), backend));
                a.add(Arguments.of(s, GateSpec.both(2, 2), backend));
                a.add(Arguments.of(s, GateSpec.layer(), backend));
            }
            a.add(Arguments.of(IDENTITY, GateSpec.channel(8), backend));
        }
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

    private BlockExecutor executor(GatedRegNetYBlock b, Backend backend) {
        // one timed run per calibration point keeps the AUTO cases short; the path choice does not affect the result
        BlockExecutor.Builder builder = BlockExecutor.builder().setBlock(b).setManager(m).optParameterStore(ps)
                .optCalibrationRuns(1);
        if (backend == Backend.REFERENCE) {
            builder.optBackend(new ReferenceBackend());
        }
        return builder.build();
    }

    /** Masked-dense reference with explicit masks, on the block's own layers (training form, eval mode). */
    private NDArray reference(AbstractGatedBlock b, NDArray x, NDArray spatial, NDArray channel) {
        return reference(b, x, spatial, channel, true);
    }

    /** As above; {@code maskedSqueeze = false} pools the squeeze over every position instead. */
    private NDArray reference(AbstractGatedBlock b, NDArray x, NDArray spatial, NDArray channel,
            boolean maskedSqueeze) {
        NDArray identity = b.getDownsample().isPresent() ? fwd(b.getDownsample().get(), x) : x;
        NDArray h = Activation.relu(fwd(b.getConv1(), x));
        if (channel != null) {
            h = MaskOps.applyChannel(h, channel);
        }
        h = Activation.relu(fwd(b.getConv2(), h));
        if (channel != null) {
            h = MaskOps.applyChannel(h, channel);
        }
        NDArray m3 = spatial == null
                ? null
                : MaskOps.upsampleNearest(spatial, b.getGeometry().outHeight(), b.getGeometry().outWidth());
        h = squeezeExcite(b, h, maskedSqueeze ? m3 : null);
        h = fwd(b.getConv3().orElseThrow(), h);
        if (m3 != null) {
            h = MaskOps.applySpatial(h, m3);
        }
        return Activation.relu(h.add(identity));
    }

    /**
     * The squeeze-excitation of the method, by its definition: {@code h * sigmoid(fc2(ReLU(fc1(pool_M2(h)))))} with
     * {@code pool_M2(h)[b, c] = sum_p h[b, c, p] M2[b, p] / max(sum_p M2[b, p], 1)} (the plain mean without a mask).
     */
    private NDArray squeezeExcite(AbstractGatedBlock b, NDArray h, NDArray m2) {
        AbstractGatedBlock.SqueezeExcitation se = b.getSqueezeExcitation().orElseThrow();
        NDArray pooled;
        if (m2 == null) {
            Shape hs = h.getShape();
            pooled = h.sum(new int[] {2, 3}, true).div(hs.get(2) * hs.get(3));
        } else {
            NDArray count = ScalarOps.maximum(m2.sum(new int[] {2, 3}, true), 1);
            pooled = h.mul(m2).sum(new int[] {2, 3}, true).div(count);
        }
        NDArray z = Activation.relu(fwd(se.fc1(), pooled));
        return h.mul(Activation.sigmoid(fwd(se.fc2(), z)));
    }

    private NDArray fwd(Block block, NDArray x) {
        return block.forward(ps, new NDList(x), false).head();
    }

    private NDArray fwd(AbstractGatedBlock.ConvBn layers, NDArray x) {
        return fwd(layers.bn(), fwd(layers.conv(), x));
    }

    private static List<PathPolicy> policies(GateMode mode, Backend backend) {
        List<PathPolicy> p = new ArrayList<>(List.of(PathPolicy.DENSE, PathPolicy.SPARSE));
        if (mode == GateMode.CHANNEL) {
            p.add(PathPolicy.CHANNEL);
            p.add(PathPolicy.CHANNEL_UNION);
        }
        if (mode == GateMode.SPATIAL || mode == GateMode.BOTH) {
            for (SpatialSchedule schedule : backend.schedules()) {
                p.add(switch (schedule) {
                    case HALO -> PathPolicy.SPATIAL_HALO;
                    case WINDOWS -> PathPolicy.SPATIAL_WINDOWS;
                    case M1 -> PathPolicy.SPATIAL_M1;
                    case ROWS -> PathPolicy.SPATIAL_ROWS;
                });
            }
        }
        return p;
    }

    private static void assertClose(NDArray expected, NDArray actual, String what) {
        TestArrays.assertClose(expected, actual, TOL, what);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void everyPathEqualsTheMaskedDenseBlock(Shape4 s, GateSpec spec, Backend backend) {
        GatedRegNetYBlock b = block(s, spec, 31);
        GateMode mode = spec.mode();
        boolean sliceable = !mode.hasChannelGate() || (s.width() / spec.channelGroups()) % 4 == 0;
        int caseNo = 0;
        try (BlockExecutor ex = executor(b, backend)) {
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
                    for (PathPolicy p : policies(mode, backend)) {
                        ExecutionResult r = ex.runWithMasks(x, sm, cm, p);
                        ExecutionPath path = r.report().path();
                        String what = backend + " " + s + " " + spec + " batch " + batch + " density " + density + " policy " + p
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
                        } else if (p == PathPolicy.SPATIAL_HALO) {
                            assertEquals(ExecutionPath.SPATIAL_HALO, path, what);
                        } else {
                            ExecutionPath want = switch (mode) {
                                case LAYER -> ExecutionPath.LAYER;
                                case CHANNEL -> p == PathPolicy.CHANNEL_UNION ? ExecutionPath.CHANNEL_UNION
                                        : ExecutionPath.CHANNEL;
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
    void gateProducedMasksMatchTheTrainingFormBlock(Shape4 s, GateSpec spec, Backend backend) {
        GatedRegNetYBlock b = block(s, spec, 32);
        try (BlockExecutor ex = executor(b, backend)) {
            for (int batch : new int[] {1, 3}) {
                List<PathPolicy> policies = new ArrayList<>(policies(spec.mode(), backend));
                if (batch == 3) {
                    // AUTO calibrates once per batch size: once per case is enough
                    policies.add(PathPolicy.AUTO);
                }
                NDArray x = TestArrays.randn(m, 60 + batch, new Shape(batch, s.cin(), s.size(), s.size()));
                BlockResult expected = b.run(ps, x, false);
                for (PathPolicy p : policies) {
                    ExecutionResult r = ex.run(x, p);
                    String what = backend + " " + s + " " + spec + " batch " + batch + " policy " + p + " path "
                            + r.report().path();
                    assertClose(expected.output(), r.output(), what);
                    BlockDensities d = r.report().densities();
                    assertEquals(expected.d1().getFloat(), d.d1(), 1e-6, what);
                    assertEquals(expected.d3().getFloat(), d.d3(), 1e-6, what);
                    assertEquals(expected.dc().getFloat(), d.dc(), 1e-6, what);
                    // the block's cost includes its squeeze-excitation (scaled by dc) and its maskers
                    double blockMacs = b.getCost().conv1Macs() * d.dc() * d.d1()
                            + b.getCost().conv2Macs() * d.dc() * d.dc() * d.d2()
                            + b.getCost().conv3Macs() * d.dc() * d.d3() + b.getCost().seMacs() * d.dc()
                            + b.getCost().downsampleMacs() + b.getCost().maskerMacs();
                    assertEquals(blockMacs / b.getCost().denseMacs(), r.report().macsRatio(), 1e-9, what);
                }
            }
        }
    }

    /** Two spatial mask groups: the squeeze pools the union of the groups' positions; the executor runs dense. */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void multiGroupSpatialMasksSqueezeOverTheirUnion(Backend backend) {
        GatedRegNetYBlock b = block(STRIDED, GateSpec.spatial(1).withSpatialGroups(2), 35);
        NDArray x = TestArrays.randn(m, 6, new Shape(3, 8, 8, 8));
        BlockResult expected = b.run(ps, x, false);
        NDArray mask = expected.spatialMask().orElseThrow();
        assertEquals(new Shape(3, 2, 4, 4), mask.getShape());
        float density = mask.mean().getFloat();
        assertTrue(density > 0 && density < 1, "partial mask expected, density " + density);
        try (BlockExecutor ex = executor(b, backend)) {
            ExecutionResult r = ex.run(x, PathPolicy.SPARSE);
            assertEquals(ExecutionPath.DENSE, r.report().path());
            assertClose(expected.output(), r.output(), "two mask groups");
        }
        // by hand: conv2's output squeezed over the union of the two groups' positions
        NDArray h = Activation.relu(fwd(b.getConv2(), Activation.relu(fwd(b.getConv1(), x))));
        NDArray m3 = MaskOps.upsampleNearest(mask, 4, 4);
        NDArray union = m3.get(":, 0:1").maximum(m3.get(":, 1:2"));
        NDArray branch = MaskOps.applySpatial(fwd(b.getConv3().orElseThrow(), squeezeExcite(b, h, union)), m3);
        NDArray identity = fwd(b.getDownsample().orElseThrow(), x);
        assertClose(Activation.relu(branch.add(identity)), expected.output(), "union by hand");
    }

    /**
     * The squeeze pools only the positions the block computes, checked by hand: a block whose convolutions and
     * BatchNorms are identities (so conv2's output is the input {@code x >= 0}) and whose spatial gate keeps a pixel
     * exactly when {@code x[n, 0, p] <= 1.75} computes {@code y = ReLU(M * x * s(pool_M(x)) + x)}; the training form
     * and every executor path on both backends give it.
     */
    @Test
    void squeezeExcitationPoolsOnlyTheComputedPositions() {
        GatedRegNetYBlock b = GatedRegNetYBlock.builder().setChannels(4, 4, 4).setInput(2, 1).setGroupWidth(2)
                .optGateSpec(GateSpec.spatial(1)).build();
        b.initialize(m, DataType.FLOAT32, new Shape(1, 4, 2, 2));
        assertEquals(1, b.getSeChannels());
        assertTrue(b.getDownsample().isEmpty());
        identity(b.getConv1(), 1);
        identity(b.getConv2(), 2);
        identity(b.getConv3().orElseThrow(), 1);
        float[] w1 = {0.5f, -1f, 1f, 0.2f};
        float[] b1 = {0.1f};
        float[] w2 = {1f, -2f, 0.5f, 3f};
        float[] b2 = {0f, 0.2f, -0.1f, 0.3f};
        AbstractGatedBlock.SqueezeExcitation se = b.getSqueezeExcitation().orElseThrow();
        se.fc1().getParameters().get("weight").getArray().set(w1);
        se.fc1().getParameters().get("bias").getArray().set(b1);
        se.fc2().getParameters().get("weight").getArray().set(w2);
        se.fc2().getParameters().get("bias").getArray().set(b2);
        // keep logit 1.75 - x[n, 0, p], skip logit 0
        b.getSpatialGate().orElseThrow().getParameters().forEach(p -> p.getValue().getArray().set(
                p.getKey().endsWith("weight") ? new float[] {-1, 0, 0, 0, 0, 0, 0, 0} : new float[] {1.75f, 0}));
        // x (3, 4, 2, 2): sample 0 holds c + 1 + 0.5 p, sample 1 c + 1 + 0.5 (3 - p), sample 2 computes nothing
        int batch = 3;
        float[] xv = new float[batch * 16];
        for (int c = 0; c < 4; c++) {
            for (int p = 0; p < 4; p++) {
                xv[c * 4 + p] = c + 1 + 0.5f * p;
                xv[16 + c * 4 + p] = c + 1 + 0.5f * (3 - p);
                xv[32 + c * 4 + p] = c + 3;
            }
        }
        NDArray x = m.create(xv, new Shape(batch, 4, 2, 2));
        float[] expected = new float[xv.length];
        float[] mask = new float[batch * 4];
        for (int n = 0; n < batch; n++) {
            double count = 0;
            double[] pooled = new double[4];
            for (int p = 0; p < 4; p++) {
                mask[n * 4 + p] = xv[n * 16 + p] <= 1.75f ? 1 : 0;
                count += mask[n * 4 + p];
            }
            for (int c = 0; c < 4; c++) {
                for (int p = 0; p < 4; p++) {
                    pooled[c] += xv[(n * 4 + c) * 4 + p] * mask[n * 4 + p];
                }
                pooled[c] /= Math.max(count, 1);
            }
            double[] scale = excite(pooled, w1, b1[0], w2, b2);
            for (int c = 0; c < 4; c++) {
                for (int p = 0; p < 4; p++) {
                    int i = (n * 4 + c) * 4 + p;
                    expected[i] = (float) Math.max(0, mask[n * 4 + p] * xv[i] * scale[c] + xv[i]);
                }
            }
        }
        assertArrayEquals(new float[] {1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0}, mask);
        // sample 0: the masked pool of channel c is c + 1.25 (the plain mean c + 1.75), so z = ReLU(0.5 * 1.25 - 2.25
        // + 3.25 + 0.2 * 4.25 + 0.1) = 2.575 and pixel 0 of channel 0 is 1 * sigmoid(2.575) + 1
        assertEquals(1 / (1 + Math.exp(-2.575)) + 1, expected[0], 1e-6);
        NDArray want = m.create(expected, x.getShape());
        BlockResult trained = b.run(ps, x, false);
        assertArrayEquals(mask, trained.spatialMask().orElseThrow().toFloatArray());
        assertClose(want, trained.output(), "training form");
        NDArray sm = m.create(mask, new Shape(batch, 1, 2, 2));
        for (Backend backend : Backend.values()) {
            try (BlockExecutor ex = executor(b, backend)) {
                for (PathPolicy p : policies(GateMode.SPATIAL, backend)) {
                    assertClose(want, ex.run(x, p).output(), backend + " " + p + " gates");
                    ExecutionResult r = ex.runWithMasks(x, sm, null, p);
                    assertClose(want, r.output(), backend + " " + p + " imposed masks, path " + r.report().path());
                }
            }
        }
        // the plain (global) squeeze would give another output
        float maxDiff = reference(b, x, sm, null, false).sub(want).abs().max().getFloat();
        assertTrue(maxDiff > 1e-3, "a partial mask changes the squeeze, max diff " + maxDiff);
        TestArrays.assertClose(want, reference(b, x, sm, null, true), 1e-5, "reference");
    }

    /** Makes a convolution (1x1, or 3x3 with {@code groups} groups) and its BatchNorm the identity. */
    private static void identity(AbstractGatedBlock.ConvBn layers, int groups) {
        NDArray w = layers.conv().getParameters().get("weight").getArray();
        Shape s = w.getShape();
        int out = (int) s.get(0);
        int in = (int) s.get(1);
        int k = (int) s.get(2);
        float[] v = new float[(int) s.size()];
        for (int o = 0; o < out; o++) {
            int i = groups == 1 ? o : o % in;
            v[((o * in + i) * k + k / 2) * k + k / 2] = 1;
        }
        w.set(v);
        layers.bn().getParameters().forEach(p -> {
            NDArray a = p.getValue().getArray();
            float value = switch (p.getKey()) {
                case "gamma" -> 1f;
                case "runningVar" -> 1f - 1e-5f;
                default -> 0f;
            };
            float[] fill = new float[(int) a.size()];
            java.util.Arrays.fill(fill, value);
            a.set(fill);
        });
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

    /** Under a gate-produced partial mask the block's squeeze is the masked one, not the global one. */
    @Test
    void maskedSqueezeDiffersFromTheGlobalOneUnderAPartialMask() {
        GatedRegNetYBlock b = block(IDENTITY, GateSpec.spatial(2), 33);
        NDArray x = TestArrays.randn(m, 4, new Shape(2, 16, 8, 8));
        BlockResult r = b.run(ps, x, false);
        NDArray mask = r.spatialMask().orElseThrow();
        float density = mask.mean().getFloat();
        assertTrue(density > 0 && density < 1, "partial mask expected, density " + density);
        assertClose(reference(b, x, mask, null, true), r.output(), "masked squeeze");
        float maxDiff = reference(b, x, mask, null, false).sub(r.output()).abs().max().getFloat();
        assertTrue(maxDiff > 1e-3, "a partial mask changes the squeeze, max diff " + maxDiff);
        // with every position computed the masked squeeze is the global one
        NDArray h = Activation.relu(TestArrays.randn(m, 5, new Shape(1, 16, 8, 8)));
        TestArrays.assertClose(squeezeExcite(b, h, null), squeezeExcite(b, h, m.ones(new Shape(1, 1, 8, 8))), 1e-6);
    }

    @Test
    void planDescribesTheBlockAndIsValidated() {
        GatedRegNetYBlock b = block(STRIDED, GateSpec.both(2, 2), 34);
        BlockPlan l = BlockPlan.of(b, 0, ps);
        assertEquals(b.getGeometry(), l.geometry());
        assertEquals(b.getGateSpec(), l.gate());
        assertTrue(l.conv3() != null && l.downsample() != null);
        assertTrue(l.spatialMasker() != null && l.channelMasker() != null);
        assertEquals(16, l.squeezeExcitation().channels());
        assertEquals(b.getSeChannels(), l.squeezeExcitation().squeezeChannels());
        assertEquals(b.getCost(), l.cost());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BlockPlan(
                l.geometry(), l.gate(), l.conv1(), l.conv2(), l.conv3(), null, l.squeezeExcitation(),
                l.spatialMasker(), l.channelMasker(), l.cost(), 0));
        assertTrue(e.getMessage().contains("downsample"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new BlockPlan(
                l.geometry(), GateSpec.channel(2), l.conv1(), l.conv2(), l.conv3(), l.downsample(),
                l.squeezeExcitation(), l.spatialMasker(), l.channelMasker(), l.cost(), 0));
        assertTrue(e.getMessage().contains("spatialMasker"), e.getMessage());
        assertNotEquals(0, b.getCost().seMacs());
    }
}
