package org.laudnet.models.resnet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.net.GatedBackbone;

/**
 * The named NDList form of a network result keeps every density differentiable: d2 and d3 are one array in a
 * spatially or layer-gated block, and both names must carry the gradient to the gate (a cost model may read either).
 */
class NetworkResultTest {

    @Test
    void everyDensityOfTheNamedFormReachesTheGate() {
        try (NDManager m = NDManager.newBaseManager()) {
            GatedBackbone net = LaudResNet.builder()
                    .setStages(BlockType.BASIC, List.of(new StageSpec(1, 8, 8, 1, GateSpec.none())))
                    .optStageGates(GateSpec.layer())
                    .optStem(StemSpec.small(1, 8))
                    .optInputSize(12)
                    .optNumClasses(4)
                    .optTemperature(GumbelTemperature.constant(2f))
                    .optSeed(3)
                    .build();
            net.initialize(m, DataType.FLOAT32, new Shape(1, 1, 12, 12));
            ParameterStore ps = new ParameterStore(m, false);
            NDArray x = m.randomNormal(new Shape(16, 1, 12, 12));
            NDArray bias = net.getBlocks().get(0).getSpatialGate().orElseThrow().getParameters().valueAt(
                    net.getBlocks().get(0).getSpatialGate().orElseThrow().getParameters().size() - 1).getArray();
            float[] viaD3 = gateGradient(net, ps, x, bias, r -> r.blocks().get(0).d3());
            assertTrue(Math.abs(viaD3[0]) > 0, "d3 reaches the gate");
            float[] difference = gateGradient(net, ps, x, bias,
                    r -> r.blocks().get(0).d3().sub(r.blocks().get(0).d2()));
            assertArrayEquals(new float[viaD3.length], difference, 1e-9f, "d3 and d2 carry the same gradient");

            NetworkResult r = net.run(ps, x, false);
            NetworkResult back = NetworkResult.fromNDList(r.toNDList());
            assertNotSame(back.blocks().get(0).d2(), back.blocks().get(0).d3(), "named separately");
            assertEquals(back.blocks().get(0).d2().getFloat(), back.blocks().get(0).d3().getFloat(), 0f);
        }
    }

    /** Gradient of the gate's bias of a function of the densities read from the named form. */
    private static float[] gateGradient(GatedBackbone net, ParameterStore ps, NDArray x, NDArray bias,
            Function<NetworkResult, NDArray> density) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NetworkResult r = NetworkResult.fromNDList(net.run(ps, x, true).toNDList());
            gc.backward(density.apply(r));
        }
        float[] g = bias.getGradient().toFloatArray();
        bias.getGradient().subi(bias.getGradient());
        return g;
    }
}
