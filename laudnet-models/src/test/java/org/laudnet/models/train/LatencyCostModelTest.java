package org.laudnet.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.latency.BlockLatencyQuery;
import org.laudnet.core.latency.HardwareSpec;
import org.laudnet.core.latency.TiledRooflineModel;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.ResNetDepth;

class LatencyCostModelTest {

    private final TiledRooflineModel v100 = new TiledRooflineModel(HardwareSpec.V100);

    private GatedBackbone net() {
        return LaudResNet.builder().setDepth(ResNetDepth.RESNET50)
                .optStageGates(GateSpec.spatial(4), GateSpec.layer(), GateSpec.channel(4), GateSpec.both(7, 4))
                .build();
    }

    @Test
    void knotsReproduceThePredictorAndInterpolateLinearlyBetween() {
        GatedBackbone net = net();
        LatencyCostModel model = LatencyCostModel.of(net, v100, 8, 4);
        BlockGeometry g0 = net.getBlocks().get(0).getGeometry();
        assertEquals(v100.staticLatencyMs(g0, 8), model.denseCost(0), 1e-12);
        double at50 = v100.dynamicLatencyMs(new BlockLatencyQuery(g0, GateMode.SPATIAL, 4, 1, 0.5, 1, 8));
        double at75 = v100.dynamicLatencyMs(new BlockLatencyQuery(g0, GateMode.SPATIAL, 4, 1, 0.75, 1, 8));
        assertEquals(at50, model.dynamicCost(0, 0.5, 1), 1e-9);
        assertEquals((at50 + at75) / 2, model.dynamicCost(0, 0.625, 1), 1e-9);
        // BOTH (block 13, the first of stage 4): bilinear in (d3, dc)
        BlockGeometry g13 = net.getBlocks().get(13).getGeometry();
        double y = v100.dynamicLatencyMs(new BlockLatencyQuery(g13, GateMode.BOTH, 7, 4, 0.25, 0.5, 8));
        assertEquals(y, model.dynamicCost(13, 0.25, 0.5), 1e-9);
        assertTrue(model.fixedCost() > 0);
        assertEquals(model.fixedCost() + java.util.stream.IntStream.range(0, 16).mapToDouble(model::denseCost).sum(),
                model.staticCost(), 1e-9);
    }

    @Test
    void arrayFormMatchesAndHasTheInterpolationSlope() {
        LatencyCostModel model = LatencyCostModel.of(net(), v100, 8, 4);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray d = m.create(0.6f);
            NDArray c = m.create(1f);
            d.setRequiresGradient(true);
            NDArray cost;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                cost = model.dynamicCost(0, d, d, d, c);
                gc.backward(cost);
            }
            assertEquals(model.dynamicCost(0, 0.6, 1), cost.getFloat(), 1e-4);
            double slope = (model.dynamicCost(0, 0.75, 1) - model.dynamicCost(0, 0.5, 1)) / 0.25;
            assertEquals(slope, d.getGradient().getFloat(), 1e-3 * Math.abs(slope) + 1e-6);
        }
    }

    /**
     * At a knot the gradient is the slope towards the next knot, and at {@code d = 1} (an open gate, where hard masks
     * start) the slope of the last segment: never the zero of the interpolation's kinks. The BOTH block's gradient
     * in each density is the bilinear form's partial derivative.
     */
    @Test
    void gradientAtKnotsAndAtAnOpenGateIsTheSegmentSlope() {
        LatencyCostModel model = LatencyCostModel.of(net(), v100, 8, 4);
        double[][] cases = {{1.0, 0.75, 1.0}, {0.0, 0.0, 0.25}, {0.5, 0.5, 0.75}};
        try (NDManager m = NDManager.newBaseManager()) {
            for (double[] c : cases) {
                NDArray d = m.create((float) c[0]);
                d.setRequiresGradient(true);
                NDArray cost;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    cost = model.dynamicCost(0, d, d, d, m.create(1f));
                    gc.backward(cost);
                }
                double slope = (model.dynamicCost(0, c[2], 1) - model.dynamicCost(0, c[1], 1)) / (c[2] - c[1]);
                assertTrue(Math.abs(slope) > 1e-6, "the table must not be flat at d = " + c[0]);
                assertEquals(model.dynamicCost(0, c[0], 1), cost.getFloat(), 1e-4, "value at d = " + c[0]);
                assertEquals(slope, d.getGradient().getFloat(), 1e-3 * Math.abs(slope) + 1e-6, "slope at d = " + c[0]);
            }
            NDArray d = m.create(0.375f);
            NDArray dc = m.create(1f);
            d.setRequiresGradient(true);
            dc.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(model.dynamicCost(13, d, d, d, dc));
            }
            double dd = (model.dynamicCost(13, 0.5, 1) - model.dynamicCost(13, 0.25, 1)) / 0.25;
            double ddc = (model.dynamicCost(13, 0.375, 1) - model.dynamicCost(13, 0.375, 0.75)) / 0.25;
            assertEquals(dd, d.getGradient().getFloat(), 1e-3 * Math.abs(dd) + 1e-6, "d3 slope of BOTH");
            assertEquals(ddc, dc.getGradient().getFloat(), 1e-3 * Math.abs(ddc) + 1e-6, "dc slope of BOTH");
        }
    }

    @Test
    void badArgumentsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LatencyCostModel.of(net(), v100, 0, 4));
        assertTrue(e.getMessage().contains("batchSize"), e.getMessage());
    }
}
