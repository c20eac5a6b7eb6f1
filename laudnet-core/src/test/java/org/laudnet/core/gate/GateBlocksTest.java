package org.laudnet.core.gate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.laudnet.core.cost.MaskerMacsConvention;
import org.laudnet.core.plan.ChannelMasker;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.testing.ManagedTest;
import org.laudnet.core.testing.TestArrays;

class GateBlocksTest extends ManagedTest {

    private SpatialGate spatial(long seed) {
        SpatialGate g = SpatialGate.builder().setInputChannels(16).setMaskSize(4).optGroups(2).optSeed(seed).build();
        g.initialize(m, DataType.FLOAT32, new Shape(3, 16, 8, 8));
        return g;
    }

    private ChannelGate channel(ChannelMaskerKind kind, long seed) {
        ChannelGate g = ChannelGate.builder().setInputChannels(16).setGroups(4).optMaskerKind(kind).optSeed(seed)
                .build();
        g.initialize(m, DataType.FLOAT32, new Shape(3, 16, 8, 8));
        return g;
    }

    @Test
    void spatialGateShapesAndOpenInitialisation() {
        SpatialGate g = spatial(1);
        NDArray x = TestArrays.randn(m, 3, new Shape(3, 16, 8, 8));
        GateResult eval = g.gate(ps, x, false);
        assertArrayEquals(new long[] {3, 2, 4, 4}, eval.mask().getShape().getShape());
        assertArrayEquals(new long[] {3, 2, 2, 4, 4}, eval.logits().getShape().getShape());
        assertEquals(1f, eval.density().getFloat(), 0f, "keep bias +5 opens every cell in eval");
        // bias: keep +5, skip 0 -> logits close to (5, 0)
        float[] logits = eval.logits().toFloatArray();
        assertEquals(5f, logits[0], 0.5f);
        assertEquals(0f, logits[2 * 16], 0.5f);
        // training: P(keep) = sigmoid(5) ~ 0.993 per cell
        assertTrue(g.gate(ps, x, true).density().getFloat() > 0.9f);
        assertEquals(16L * 8 * 8 + 16L * 4 * 4 * 4, g.maskerMacs(8, 8));
        assertEquals(g.maskerMacs(8, 8), g.maskerMacs(8, 8, MaskerMacsConvention.PHYSICAL));
        // the reference: Cin m^2 for the pool plus (2 gs Cin + Cin) m^2 for the 1x1 convolution
        assertEquals(16L * 16 + (2L * 2 * 16 + 16) * 16, g.maskerMacs(8, 8, MaskerMacsConvention.REFERENCE));
    }

    @ParameterizedTest
    @EnumSource(ChannelMaskerKind.class)
    void channelGateShapesAndOpenInitialisation(ChannelMaskerKind kind) {
        ChannelGate g = channel(kind, 2);
        NDArray x = TestArrays.randn(m, 4, new Shape(3, 16, 8, 8));
        GateResult eval = g.gate(ps, x, false);
        assertArrayEquals(new long[] {3, 4}, eval.mask().getShape().getShape());
        assertArrayEquals(new long[] {3, 2, 4}, eval.logits().getShape().getShape());
        assertEquals(1f, eval.density().getFloat(), 0f, "keep +2 / skip -2 opens every group in eval");
        GateResult named = GateResult.fromNDList(g.forward(ps, new NDList(x), false));
        assertArrayEquals(eval.mask().toFloatArray(), named.mask().toFloatArray());
        assertEquals(g.maskerMacs(8, 8), named.maskerMacs());
        assertEquals(g.maskerMacs(8, 8), eval.maskerMacs());
    }

    @Test
    void evalIsDeterministicAndIndependentOfTheSeed() {
        SpatialGate a = spatial(1);
        NDArray x = TestArrays.randn(m, 5, new Shape(3, 16, 8, 8));
        // force undecided logits by shifting the input: eval still must not depend on noise
        float[] first = a.gate(ps, x, false).logits().toFloatArray();
        a.reseed(999);
        assertArrayEquals(first, a.gate(ps, x, false).logits().toFloatArray());
        assertArrayEquals(a.gate(ps, x, false).mask().toFloatArray(), a.gate(ps, x, false).mask().toFloatArray());
    }

    @Test
    void fixedSeedReproducesTrainingMasks() {
        // temperature high and keep bias 0 so the masks are genuinely random
        SpatialGate g = SpatialGate.builder().setInputChannels(16).setMaskSize(4).optKeepBias(0f).optSeed(11)
                .optTemperature(GumbelTemperature.constant(5f)).build();
        g.initialize(m, DataType.FLOAT32, new Shape(3, 16, 8, 8));
        NDArray x = TestArrays.randn(m, 6, new Shape(3, 16, 8, 8));
        float[] first = g.gate(ps, x, true).mask().toFloatArray();
        float[] second = g.gate(ps, x, true).mask().toFloatArray();
        assertFalse(java.util.Arrays.equals(first, second), "consecutive draws differ");
        g.reseed(11);
        assertArrayEquals(first, g.gate(ps, x, true).mask().toFloatArray());
        double ones = 0;
        for (float v : first) {
            ones += v;
        }
        assertTrue(ones > 0 && ones < first.length, "mask has both values: " + ones + "/" + first.length);
    }

    @Test
    void saveLoadRoundTripOfEveryGate() throws Exception {
        NDArray x = TestArrays.randn(m, 7, new Shape(3, 16, 8, 8));
        assertRoundTrip(() -> spatial(3), x);
        for (ChannelMaskerKind kind : ChannelMaskerKind.values()) {
            assertRoundTrip(() -> channel(kind, 4), x);
        }
        assertRoundTrip(() -> {
            SpatialGate g = SpatialGate.layerGate(16, GumbelTemperature.constant(1f), 5);
            g.initialize(m, DataType.FLOAT32, new Shape(3, 16, 8, 8));
            return g;
        }, x);
    }

    private void assertRoundTrip(Supplier<AbstractBlock> factory, NDArray x) throws Exception {
        AbstractBlock original = factory.get();
        // perturb every parameter so that a fresh initialisation could not pass by accident
        original.getParameters().values().forEach(p -> p.getArray().addi(0.25f));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        original.saveParameters(new DataOutputStream(bytes));
        AbstractBlock copy = factory.get();
        copy.loadParameters(m, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        float[] want = original.forward(ps, new NDList(x), false).get(GateResult.LOGITS).toFloatArray();
        float[] got = copy.forward(ps, new NDList(x), false).get(GateResult.LOGITS).toFloatArray();
        assertArrayEquals(want, got, 0f, original.getClass().getSimpleName());
    }

    @ParameterizedTest
    @EnumSource(ChannelMaskerKind.class)
    void channelMaskerOfAGateReproducesItsEvalDecisions(ChannelMaskerKind kind) {
        ChannelGate g = ChannelGate.builder().setInputChannels(16).setGroups(4).optMaskerKind(kind).optReduction(4)
                .build();
        g.initialize(m, DataType.FLOAT32, new Shape(4, 16, 8, 8));
        Random r = new Random(11);
        g.getParameters().forEach(p -> {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = p.getKey().endsWith("runningVar") ? 0.5f + r.nextFloat() : (float) r.nextGaussian();
            }
            a.set(v);
        });
        NDArray x = TestArrays.randn(m, 6, new Shape(4, 16, 8, 8));
        float[] want = g.gate(ps, x, false).mask().toFloatArray();
        double kept = 0;
        for (float v : want) {
            kept += v;
        }
        assertTrue(kept > 0 && kept < want.length, "the randomised gate keeps some groups and skips others");

        ChannelMasker masker = g.toMasker(ps);
        assertEquals(kind, masker.kind());
        assertEquals(4, masker.groups());
        assertEquals(16, masker.inChannels());
        float[] xs = x.toFloatArray();
        FoldedConv conv = masker.engineConv();
        int c = conv == null ? 16 : conv.outChannels();
        float[] pooled = new float[4 * c];
        for (int b = 0; b < 4; b++) {
            for (int o = 0; o < c; o++) {
                double sum = 0;
                for (int p = 0; p < 64; p++) {
                    if (conv == null) {
                        sum += xs[(b * 16 + o) * 64 + p];
                    } else {
                        double y = conv.bias()[o];
                        for (int i = 0; i < 16; i++) {
                            y += conv.weight()[o * 16 + i] * xs[(b * 16 + i) * 64 + p];
                        }
                        sum += Math.max(y, 0);
                    }
                }
                pooled[b * c + o] = (float) (sum / 64);
            }
        }
        assertArrayEquals(want, masker.keepFromPooled(pooled, 4), 0f, kind.toString());
    }

    @Test
    void badInputNamesParameterAndValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SpatialGate.builder().setInputChannels(16).setMaskSize(0).build());
        assertTrue(e.getMessage().contains("maskSize") && e.getMessage().contains("0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ChannelGate.builder().setInputChannels(-3).setGroups(4).build());
        assertTrue(e.getMessage().contains("inputChannels") && e.getMessage().contains("-3"), e.getMessage());

        SpatialGate g = spatial(1);
        e = assertThrows(IllegalArgumentException.class, () -> g.gate(ps, m.zeros(new Shape(3, 16, 8)), false));
        assertTrue(e.getMessage().contains("rank 4") && e.getMessage().contains("(3, 16, 8)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> g.gate(ps, m.zeros(new Shape(1, 16, 3, 3)), false));
        assertEquals("maskSize (4) exceeds the input 3x3", e.getMessage());
        // a mask size that does not divide the input pools adaptively, as the reference
        assertArrayEquals(new long[] {1, 2, 4, 4}, g.gate(ps, m.zeros(new Shape(1, 16, 6, 6)), false).mask()
                .getShape().getShape());
        e = assertThrows(IllegalArgumentException.class,
                () -> g.gate(ps, m.zeros(new Shape(1, 15, 8, 8)), false));
        assertTrue(e.getMessage().contains("16") && e.getMessage().contains("15"), e.getMessage());

        NDArray nanInput = m.zeros(new Shape(3, 16, 8, 8)).add(Float.NaN);
        e = assertThrows(IllegalArgumentException.class, () -> g.gate(ps, nanInput, false));
        assertTrue(e.getMessage().contains("logits") && e.getMessage().contains("NaN"), e.getMessage());
    }
}
