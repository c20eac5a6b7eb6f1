package org.laudnet.core.latency.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.latency.BlockLatencyQuery;

class CpuCalibratorGridTest {

    @Test
    void queriesCarryTheDensitiesThatExactMasksRealise() {
        BlockGeometry g = BlockGeometry.bottleneck(256, 64, 56, 1);
        BlockLatencyQuery s = CpuCalibrator.query(g, GateSpec.spatial(8), 1, 0.3);
        assertEquals(15 / 49.0, s.density(), 1e-12); // 7 x 7 cells, round(14.7) = 15
        assertEquals(15, s.activePatchesPerImage());
        BlockLatencyQuery l = CpuCalibrator.query(g, GateSpec.layer(), 8, 0.3);
        assertEquals(GateMode.LAYER, l.mode());
        assertEquals(0.25, l.density(), 1e-12);
        BlockLatencyQuery c = CpuCalibrator.query(g, GateSpec.channel(16), 8, 0.3);
        assertEquals(5 / 16.0, c.channelDensity(), 1e-12);
        assertEquals(16, c.channelGroups());
    }

    @Test
    void exactMasksHaveTheRequestedCountPerSample() {
        float[] m = CpuCalibrator.exactMask(3, 10, 0.3, false, new Random(1));
        for (int b = 0; b < 3; b++) {
            int on = 0;
            for (int i = 0; i < 10; i++) {
                on += (int) m[b * 10 + i];
            }
            assertEquals(3, on);
        }
        float[] layer = CpuCalibrator.exactMask(8, 1, 0.5, true, new Random(1));
        double sum = 0;
        for (float v : layer) {
            sum += v;
        }
        assertEquals(4, sum, 0);
    }

    @Test
    void fullGridCoversEveryStageAndBothBatchSizes() {
        CpuCalibrator c = new CpuCalibrator(CpuCalibrator.Settings.defaults(false), s -> { });
        assertEquals(14, c.geometries().size());
        assertTrue(c.gridPoints().stream().anyMatch(p -> p.batch() == 8 && p.spec().mode() == GateMode.BOTH));
        assertTrue(c.specs(BlockGeometry.bottleneck(2048, 512, 7, 1)).contains(GateSpec.spatial(1)));
        assertTrue(c.calibrationQueries().contains(CpuCalibrator.query(BlockGeometry.bottleneck(512, 128, 28, 1),
                GateSpec.spatial(2), 8, 0.6)));
    }
}
