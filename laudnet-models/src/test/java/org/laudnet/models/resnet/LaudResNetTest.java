package org.laudnet.models.resnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.core.testing.ManagedTest;
import org.laudnet.core.testing.TestArrays;
import org.laudnet.core.testing.TestNets;

class LaudResNetTest extends ManagedTest {

    @Test
    void staticMacsMatchTheKnownResNetCounts() {
        // ResNet-50 v1.5 at 224x224: 4.09 GMACs conv+fc (4.1 G in the literature); ResNet-18: 1.81 G
        long r50 = LaudResNet.builder().setDepth(ResNetDepth.RESNET50).build().staticMacs();
        assertTrue(r50 > 4.05e9 && r50 < 4.15e9, "ResNet-50 MACs " + r50);
        long r18 = LaudResNet.builder().setDepth(ResNetDepth.RESNET18).build().staticMacs();
        assertTrue(r18 > 1.78e9 && r18 < 1.84e9, "ResNet-18 MACs " + r18);
        long r101 = LaudResNet.builder().setDepth(ResNetDepth.RESNET101).build().staticMacs();
        assertTrue(r101 > 7.7e9 && r101 < 7.9e9, "ResNet-101 MACs " + r101);
        assertEquals(16, LaudResNet.builder().setDepth(ResNetDepth.RESNET50).build().getBlocks().size());
    }

    static Stream<Arguments> gatings() {
        return Stream.of(
                Arguments.of(ResNetDepth.RESNET18, StridePlacement.CONV2,
                        new GateSpec[] {GateSpec.spatial(4), GateSpec.spatial(2), GateSpec.channel(4), GateSpec.layer()}),
                Arguments.of(ResNetDepth.RESNET50, StridePlacement.CONV2,
                        new GateSpec[] {GateSpec.both(4, 4), GateSpec.channel(8), GateSpec.spatial(2),
                            GateSpec.layer()}),
                Arguments.of(ResNetDepth.RESNET50, StridePlacement.CONV1,
                        new GateSpec[] {GateSpec.layer(), GateSpec.layer(), GateSpec.layer(), GateSpec.spatial(1)}));
    }

    @ParameterizedTest
    @MethodSource("gatings")
    void openGatesGiveTheStaticNetworksLogits(ResNetDepth depth, StridePlacement placement, GateSpec[] gates) {
        int size = 64;
        GatedBackbone laud = LaudResNet.builder().setDepth(depth).optStridePlacement(placement).optInputSize(size)
                .optNumClasses(10).optStageGates(gates).build();
        GatedBackbone plain = LaudResNet.builder().setDepth(depth).optStridePlacement(placement).optInputSize(size)
                .optNumClasses(10).build();
        Shape in = new Shape(2, 3, size, size);
        laud.initialize(m, DataType.FLOAT32, in);
        plain.initialize(m, DataType.FLOAT32, in);
        TestNets.copyParameters(laud, plain);
        NDArray x = TestArrays.randn(m, 31, in);
        NetworkResult r = laud.run(ps, x, false);
        NetworkResult s = plain.run(ps, x, false);
        assertArrayEquals(new long[] {2, 10}, r.logits().getShape().getShape());
        float maxDiff = r.logits().sub(s.logits()).abs().max().getFloat();
        assertTrue(maxDiff <= 1e-5f, "max abs logit difference " + maxDiff);
        assertEquals(laud.getBlocks().size(), r.blocks().size());
        // open gates: every block computes everything, so the dynamic MACs exceed the static ones by the maskers
        double maskers = laud.getBlocks().stream().mapToLong(b -> b.getCost().maskerMacs()).sum();
        assertEquals(laud.staticMacs() + maskers, r.dynamicMacs().getFloat(), 1e-5 * laud.staticMacs());
        assertEquals(plain.staticMacs(), s.dynamicMacs().getFloat(), 1e-5 * plain.staticMacs());
        // the named NDList form round-trips
        NetworkResult named = NetworkResult.fromNDList(r.toNDList());
        assertEquals(r.blocks().size(), named.blocks().size());
        assertEquals(r.dynamicMacs().getFloat(), named.dynamicMacs().getFloat(), 0f);
        // the DJL forward returns the logits only
        NDList list = laud.forward(ps, new NDList(x), false);
        assertEquals(1, list.size());
        assertEquals(NetworkResult.LOGITS, list.head().getName());
        TestArrays.assertClose(r.logits(), list.head(), 1e-6);
        assertEquals(new Shape(2, 10), laud.getOutputShapes(new Shape[] {in})[0]);
    }

    @Test
    void trainingModeProducesDensitiesInRange() {
        GatedBackbone laud = LaudResNet.builder().setDepth(ResNetDepth.RESNET18).optInputSize(32).optNumClasses(10)
                .optStageGates(GateSpec.spatial(2), GateSpec.spatial(2), GateSpec.channel(4), GateSpec.layer())
                .build();
        laud.initialize(m, DataType.FLOAT32, new Shape(4, 3, 32, 32));
        NetworkResult r = laud.run(new ParameterStore(m, false), TestArrays.randn(m, 5, new Shape(4, 3, 32, 32)),
                true);
        for (NetworkResult.BlockDensityResult b : r.blocks()) {
            for (NDArray d : new NDArray[] {b.d1(), b.d2(), b.d3(), b.dc()}) {
                float v = d.getFloat();
                assertTrue(v >= 0 && v <= 1, "density " + v);
            }
            assertTrue(b.d1().getFloat() >= b.d3().getFloat() - 1e-6, "M1 covers M3");
        }
    }

    @Test
    void invalidConfigurationNamesStageBlockAndField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LaudResNet.builder().setDepth(ResNetDepth.RESNET50)
                        .optStageGates(GateSpec.spatial(4), GateSpec.spatial(4), GateSpec.spatial(15),
                                GateSpec.spatial(4))
                        .build());
        assertTrue(e.getMessage().contains("stage 3 block 0") && e.getMessage().contains("spatialGranularity (15)")
                && e.getMessage().contains("14"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> LaudResNet.builder().setDepth(ResNetDepth.RESNET50).optStageGates(GateSpec.layer()));
        assertTrue(e.getMessage().contains("4") && e.getMessage().contains("1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ResNetDepth.of(42));
        assertTrue(e.getMessage().contains("42"), e.getMessage());
        GatedBackbone net = LaudResNet.builder().setDepth(ResNetDepth.RESNET18).optInputSize(32).build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
        e = assertThrows(IllegalArgumentException.class,
                () -> net.run(ps, m.zeros(new Shape(1, 3, 28, 28)), false));
        assertTrue(e.getMessage().contains("(1, 3, 28, 28)"), e.getMessage());
    }
}
