package org.laudnet.models.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.latency.BlockLatencyQuery;
import org.laudnet.core.latency.HardwareSpec;
import org.laudnet.core.latency.NetworkSpec;
import org.laudnet.core.latency.TiledRooflineModel;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.models.regnet.LaudRegNet;
import org.laudnet.models.regnet.RegNetVariant;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.ResNetDepth;

class NetworkLatencyEstimatorTest {

    private final TiledRooflineModel v100 = new TiledRooflineModel(HardwareSpec.V100);

    @Test
    void staticResNet50EqualsThePredictorsNetworkPrediction() {
        NetworkLatencyEstimator e = NetworkLatencyEstimator.of(
                LaudResNet.builder().setDepth(ResNetDepth.RESNET50).build(), v100);
        assertEquals(4, e.stages());
        double expected = v100.staticNetworkLatency(NetworkSpec.resnet50V15(), 128).totalMs();
        assertEquals(expected, e.staticLatencyMs(128), 1e-9 * expected);
    }

    @Test
    void perStageDensitiesGoToTheirBlocks() {
        GatedBackbone net = LaudResNet.builder().setDepth(ResNetDepth.RESNET50)
                .optStageGates(GateSpec.spatial(4), GateSpec.layer(), GateSpec.channel(4), GateSpec.both(7, 4))
                .build();
        NetworkLatencyEstimator e = NetworkLatencyEstimator.of(net, v100);
        double[] d = {0.3, 0.5, 0.6, 0.25};
        double sum = e.fixedLatencyMs(8);
        for (int i = 0; i < 16; i++) {
            var g = net.getBlocks().get(i).getGeometry();
            BlockLatencyQuery q = i < 3 ? new BlockLatencyQuery(g, GateMode.SPATIAL, 4, 1, 0.3, 1, 8)
                    : i < 7 ? new BlockLatencyQuery(g, GateMode.LAYER, 1, 1, 0.5, 1, 8)
                    : i < 13 ? new BlockLatencyQuery(g, GateMode.CHANNEL, 1, 4, 1, 0.6, 8)
                    : new BlockLatencyQuery(g, GateMode.BOTH, 7, 4, 0.5, 0.5, 8);
            sum += v100.dynamicLatencyMs(q);
        }
        assertEquals(sum, e.dynamicLatencyMs(d, 8), 1e-9 * sum);
        assertTrue(e.dynamicLatencyMs(d, 8) < e.staticLatencyMs(8));
    }

    @Test
    void regNetIsPredictedAndBadVectorsAreNamed() {
        GatedBackbone reg = LaudRegNet.builder().setVariant(RegNetVariant.Y_400MF).build();
        NetworkLatencyEstimator e = NetworkLatencyEstimator.of(reg, v100);
        NetworkLatencyEstimator r50 = NetworkLatencyEstimator.of(
                LaudResNet.builder().setDepth(ResNetDepth.RESNET50).build(), v100);
        assertTrue(e.staticLatencyMs(128) < r50.staticLatencyMs(128), "RegNetY-400MF is cheaper than ResNet-50");
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> r50.dynamicLatencyMs(new double[] {0.5, 0.5}, 1));
        assertTrue(x.getMessage().contains("4") && x.getMessage().contains("2"), x.getMessage());
        x = assertThrows(IllegalArgumentException.class,
                () -> r50.dynamicLatencyMs(new double[] {0.5, 0.5, 1.5, 0.5}, 1));
        assertTrue(x.getMessage().contains("stageDensities[2]"), x.getMessage());
    }
}
