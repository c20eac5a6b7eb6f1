package org.laudnet.models.regnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.testing.ManagedTest;
import org.laudnet.core.testing.TestArrays;
import org.laudnet.core.testing.TestNets;

class LaudRegNetTest extends ManagedTest {

    @Test
    void staticMacsMatchThePublishedRegNetYCounts() {
        // torchvision reports 0.40 and 0.83 GMACs ("_ops") for regnet_y_400mf and regnet_y_800mf at 224x224
        long y400 = LaudRegNet.builder().setVariant(RegNetVariant.Y_400MF).build().staticMacs();
        assertTrue(y400 > 0.39e9 && y400 < 0.42e9, "RegNetY-400MF MACs " + y400);
        long y800 = LaudRegNet.builder().setVariant(RegNetVariant.Y_800MF).build().staticMacs();
        assertTrue(y800 > 0.78e9 && y800 < 0.86e9, "RegNetY-800MF MACs " + y800);
        GatedBackbone net = LaudRegNet.builder().setVariant(RegNetVariant.Y_400MF).build();
        assertEquals(16, net.getBlocks().size());
        AbstractGatedBlock first = net.getBlocks().get(0);
        assertEquals(32, first.getGeometry().inChannels());
        assertEquals(48, first.getGeometry().outChannels());
        assertEquals(6, first.getGeometry().convGroups());
        assertEquals(8, first.getSeChannels(), "SE width is 0.25 of the block input (32)");
        assertEquals(112, first.getGeometry().inHeight());
        assertEquals(56, first.getGeometry().outHeight());
        AbstractGatedBlock last = net.getBlocks().get(15);
        assertEquals(440, last.getGeometry().outChannels());
        assertEquals(55, last.getGeometry().convGroups());
        assertEquals(110, last.getSeChannels());
        assertEquals(7, last.getGeometry().outHeight());
    }

    private static GatedBackbone small(GateSpec... gates) {
        LaudRegNet.Builder b = LaudRegNet.builder()
                .setStages(8, List.of(
                        new StageSpec(1, 16, 16, 2, GateSpec.none()),
                        new StageSpec(2, 32, 32, 2, GateSpec.none()),
                        new StageSpec(1, 48, 48, 2, GateSpec.none())))
                .optInputSize(64)
                .optNumClasses(10);
        if (gates.length > 0) {
            b.optStageGates(gates);
        }
        return b.build();
    }

    @Test
    void openGatesGiveTheStaticNetworksLogits() {
        GatedBackbone laud = small(GateSpec.spatial(2), GateSpec.both(2, 4), GateSpec.layer());
        GatedBackbone plain = small();
        Shape in = new Shape(2, 3, 64, 64);
        laud.initialize(m, DataType.FLOAT32, in);
        plain.initialize(m, DataType.FLOAT32, in);
        TestNets.copyParameters(laud, plain);
        NDArray x = TestArrays.randn(m, 5, in);
        NetworkResult a = laud.run(ps, x, false);
        NetworkResult b = plain.run(ps, x, false);
        assertArrayEquals(new long[] {2, 10}, a.logits().getShape().getShape());
        float[] la = a.logits().toFloatArray();
        float[] lb = b.logits().toFloatArray();
        double maxDiff = 0;
        for (int i = 0; i < la.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(la[i] - lb[i]));
        }
        assertTrue(maxDiff <= 1e-5, "max abs logit difference " + maxDiff);
        assertEquals(4, a.blocks().size());
        for (NetworkResult.BlockDensityResult r : a.blocks()) {
            assertEquals(1f, r.d3().getFloat(), 0f);
            assertEquals(1f, r.dc().getFloat(), 0f);
        }
        // open gates: the gated network pays the static cost plus its maskers
        assertEquals(plain.staticMacs(), b.dynamicMacs().getFloat(), plain.staticMacs() * 1e-6);
        assertTrue(a.dynamicMacs().getFloat() > plain.staticMacs());
    }

    @Test
    void trainingModeGivesShapesAndDifferentiableCost() {
        GatedBackbone laud = small(GateSpec.channel(2), GateSpec.spatial(1), GateSpec.none());
        Shape in = new Shape(3, 3, 64, 64);
        laud.initialize(m, DataType.FLOAT32, in);
        NetworkResult r = laud.run(ps, TestArrays.randn(m, 9, in), true);
        assertArrayEquals(new long[] {3, 10}, r.logits().getShape().getShape());
        assertEquals(0, r.dynamicMacs().getShape().dimension());
        float macs = r.dynamicMacs().getFloat();
        assertTrue(macs > 0 && macs < 1.5 * laud.staticMacs(), "dynamic MACs " + macs);
        Shape[] shapes = laud.getOutputShapes(new Shape[] {in});
        assertEquals(new Shape(3, 10), shapes[0]);
        assertEquals(1, shapes.length, "the DJL forward returns the logits only");
        assertEquals(2 + 5 * 4, r.toNDList().size(), "the named result: logits, MACs and 5 arrays per block");
    }

    @Test
    void squeezeExcitationRescalesChannels() {
        GatedRegNetYBlock block = GatedRegNetYBlock.builder().setChannels(8, 16, 16).setInput(8, 1).setGroupWidth(8)
                .build();
        block.initialize(m, DataType.FLOAT32, new Shape(1, 8, 8, 8));
        assertEquals(2, block.getSeChannels());
        assertEquals(2L * 16 * 2, block.getCost().seMacs());
        AbstractGatedBlock.SqueezeExcitation se = block.getSqueezeExcitation().orElseThrow();
        // zero fc weights and biases: scale = sigmoid(0) = 0.5 everywhere
        for (var p : se.fc1().getParameters()) {
            p.getValue().getArray().set(new float[(int) p.getValue().getArray().size()]);
        }
        for (var p : se.fc2().getParameters()) {
            p.getValue().getArray().set(new float[(int) p.getValue().getArray().size()]);
        }
        NDArray x = TestArrays.randn(m, 2, new Shape(1, 8, 8, 8));
        // the block by its layers: conv1, conv2, SE (x 0.5), conv3, identity projection (8 -> 16 channels)
        NDArray h = Activation.relu(layer(block.getConv1(), x));
        h = Activation.relu(layer(block.getConv2(), h)).mul(0.5f);
        h = layer(block.getConv3().orElseThrow(), h);
        NDArray expected = Activation.relu(h.add(layer(block.getDownsample().orElseThrow(), x)));
        TestArrays.assertClose(expected, block.run(ps, x, false).output(), 1e-5);
    }

    private NDArray layer(AbstractGatedBlock.ConvBn l, NDArray x) {
        NDArray c = l.conv().forward(ps, new NDList(x), false).head();
        return l.bn().forward(ps, new NDList(c), false).head();
    }

    @Test
    void badConfigurationsNameTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GatedRegNetYBlock.builder().setChannels(8, 20, 20).setInput(8, 1).setGroupWidth(8).build());
        assertTrue(e.getMessage().contains("groupWidth"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> small(GateSpec.spatial(1000), GateSpec.none(),
                GateSpec.none()));
        assertTrue(e.getMessage().contains("stage 1") && e.getMessage().contains("spatialGranularity"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> small(GateSpec.channel(5), GateSpec.none(),
                GateSpec.none()));
        assertTrue(e.getMessage().contains("channelGroups"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> small(GateSpec.none()));
        assertTrue(e.getMessage().contains("one entry per stage"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> LaudRegNet.builder().setVariant(RegNetVariant.Y_400MF).optSeRatio(0).build());
        assertTrue(e.getMessage().contains("seRatio"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LaudRegNet.builder().build());
        assertTrue(e.getMessage().contains("variant") && e.getMessage().contains("stage table"), e.getMessage());
        GatedBackbone net = small();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 64, 64));
        e = assertThrows(IllegalArgumentException.class,
                () -> net.run(ps, m.zeros(new Shape(1, 3, 32, 32)), false));
        assertTrue(e.getMessage().contains("x must have shape"), e.getMessage());
    }
}
