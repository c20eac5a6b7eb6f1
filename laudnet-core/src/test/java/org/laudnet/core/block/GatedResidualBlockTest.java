package org.laudnet.core.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.testing.ManagedTest;
import org.laudnet.core.testing.TestArrays;

class GatedResidualBlockTest extends ManagedTest {

    static Stream<Arguments> configurations() {
        BlockGeometry bottleneck = BlockGeometry.bottleneck(32, 16, 16, 2);
        BlockGeometry bottleneckId = BlockGeometry.bottleneck(64, 16, 8, 1);
        BlockGeometry basic = BlockGeometry.basic(16, 32, 16, 2);
        return Stream.of(
                Arguments.of(bottleneck, GateSpec.spatial(2)),
                Arguments.of(bottleneck, GateSpec.channel(4)),
                Arguments.of(bottleneck, GateSpec.both(4, 2)),
                Arguments.of(bottleneck, GateSpec.layer()),
                Arguments.of(bottleneckId, GateSpec.spatial(1)),
                Arguments.of(bottleneckId, GateSpec.layer()),
                Arguments.of(basic, GateSpec.spatial(2)),
                Arguments.of(basic, GateSpec.channel(8)),
                Arguments.of(basic, GateSpec.layer()));
    }

    private GatedResidualBlock block(BlockGeometry g, GateSpec spec, long batch) {
        GatedResidualBlock b = GatedResidualBlock.builder().setGeometry(g).optGateSpec(spec).build();
        b.initialize(m, DataType.FLOAT32, new Shape(batch, g.inChannels(), g.inHeight(), g.inWidth()));
        return b;
    }

    @ParameterizedTest
    @MethodSource("configurations")
    void openGatesReproduceTheStaticBlockInEval(BlockGeometry g, GateSpec spec) {
        GatedResidualBlock gated = block(g, spec, 2);
        GatedResidualBlock plain = block(g, GateSpec.none(), 2);
        Map<String, Parameter> source = gated.getParameters().toMap();
        plain.getParameters().forEach(p -> p.getValue().getArray().set(
                source.get(p.getKey()).getArray().toFloatArray()));
        NDArray x = TestArrays.randn(m, 21, new Shape(2, g.inChannels(), g.inHeight(), g.inWidth()));
        BlockResult r = gated.run(ps, x, false);
        BlockResult s = plain.run(ps, x, false);
        assertArrayEquals(new long[] {2, g.outChannels(), g.outHeight(), g.outWidth()},
                r.output().getShape().getShape());
        TestArrays.assertClose(s.output(), r.output(), 1e-6);
        assertEquals(1f, r.d1().getFloat());
        assertEquals(1f, r.d3().getFloat());
        assertEquals(1f, r.dc().getFloat());
        assertEquals(gated.getCost().dynamicMacs(BlockDensities.FULL), r.dynamicMacs().getFloat(),
                1e-6 * gated.getCost().denseMacs());
        assertEquals(spec.mode().hasSpatialGate(), r.spatialMask().isPresent());
        assertEquals(spec.mode().hasChannelGate(), r.channelMask().isPresent());
        // the named NDList form carries the same arrays, output first
        NDList list = gated.forward(ps, new NDList(x), false);
        assertEquals(BlockResult.OUTPUT, list.head().getName());
        assertEquals(r.dynamicMacs().getFloat(), BlockResult.fromNDList(list).dynamicMacs().getFloat());
        Shape[] shapes = gated.getOutputShapes(new Shape[] {x.getShape()});
        assertEquals(list.size(), shapes.length);
        for (int i = 0; i < shapes.length; i++) {
            assertEquals(shapes[i], list.get(i).getShape(), "output " + list.get(i).getName());
        }
    }

    @Test
    void closedLayerGateOutputsReluOfIdentity() {
        BlockGeometry g = BlockGeometry.bottleneck(64, 16, 8, 1);
        GatedResidualBlock b = block(g, GateSpec.layer(), 3);
        // close the gate: keep bias far below skip bias
        b.getSpatialGate().orElseThrow().getParameters().forEach(p -> {
            if (p.getKey().endsWith("bias")) {
                p.getValue().getArray().set(new float[] {-100f, 100f});
            }
        });
        NDArray x = TestArrays.randn(m, 22, new Shape(3, 64, 8, 8));
        BlockResult r = b.run(ps, x, false);
        TestArrays.assertClose(Activation.relu(x), r.output(), 0);
        assertEquals(0f, r.d1().getFloat());
        assertEquals(0f, r.d3().getFloat());
        double expected = b.getCost().dynamicMacs(BlockDensities.layer(0));
        assertEquals(expected, r.dynamicMacs().getFloat(), 1e-6 * expected);
    }

    @Test
    void gradientReachesTheGatesThroughTheMaskedBranch() {
        BlockGeometry g = BlockGeometry.bottleneck(32, 16, 16, 2);
        GatedResidualBlock b = block(g, GateSpec.both(2, 4), 2);
        ParameterStore train = new ParameterStore(m, false);
        NDArray x = TestArrays.randn(m, 23, new Shape(2, 32, 16, 16));
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            BlockResult r = b.run(train, x, true);
            gc.backward(r.output().sum().add(r.dynamicMacs().mul(1e-6f)));
        }
        // the masker's last layer starts at zero weights; its gradient is the first to be non-zero
        for (var gate : new ai.djl.nn.Block[] {b.getSpatialGate().orElseThrow(), b.getChannelGate().orElseThrow()}) {
            var weights = gate.getParameters().stream().filter(p -> p.getKey().endsWith("weight")).toList();
            var last = weights.get(weights.size() - 1);
            double norm = last.getValue().getArray().getGradient().abs().sum().getFloat();
            assertTrue(norm > 0, "gradient of " + last.getKey() + " is zero");
        }
    }

    @Test
    void saveLoadRoundTrip() throws Exception {
        BlockGeometry g = BlockGeometry.bottleneck(32, 16, 16, 2);
        GatedResidualBlock a = block(g, GateSpec.both(2, 4), 2);
        a.getParameters().forEach(p -> p.getValue().getArray().addi(0.1f));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        a.saveParameters(new DataOutputStream(bytes));
        GatedResidualBlock b = block(g, GateSpec.both(2, 4), 2);
        b.loadParameters(m, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        NDArray x = TestArrays.randn(m, 24, new Shape(2, 32, 16, 16));
        TestArrays.assertClose(a.run(ps, x, false).output(), b.run(ps, x, false).output(), 0);
    }

    @Test
    void invalidConfigurationsNameTheField() {
        BlockGeometry g = BlockGeometry.bottleneck(32, 16, 16, 2); // output 8x8
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GatedResidualBlock.builder().setGeometry(g).optGateSpec(GateSpec.spatial(9)).build());
        assertEquals("spatialGranularity (9) must not exceed the block output size (8)", e.getMessage());
        // a granularity that does not divide the output gives floor(8 / 3) = 2 uneven cells, as the reference
        assertEquals(2, GatedResidualBlock.builder().setGeometry(g).optGateSpec(GateSpec.spatial(3)).build()
                .getSpatialGate().orElseThrow().getMaskSize());
        e = assertThrows(IllegalArgumentException.class,
                () -> GatedResidualBlock.builder().setGeometry(g).optGateSpec(GateSpec.channel(5)).build());
        assertTrue(e.getMessage().contains("channelGroups = 5") && e.getMessage().contains("16"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GateSpec.spatial(0));
        assertTrue(e.getMessage().contains("spatialGranularity") && e.getMessage().contains("0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> GatedResidualBlock.builder().build());
        assertTrue(e.getMessage().contains("geometry"), e.getMessage());

        GatedResidualBlock b = block(g, GateSpec.spatial(2), 1);
        e = assertThrows(IllegalArgumentException.class, () -> b.run(ps, m.zeros(new Shape(1, 32, 15, 15)), false));
        assertTrue(e.getMessage().contains("(1, 32, 15, 15)"), e.getMessage());
    }
}
