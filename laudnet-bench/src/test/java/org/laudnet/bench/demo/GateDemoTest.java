package org.laudnet.bench.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.laudnet.bench.demo.GateDemo.DemoRow;

class GateDemoTest {

    private static final double RESNET50_LAYER1_BOTTLENECK_MACS = 256.0 * 64 * 3136 + 64.0 * 64 * 9 * 3136
            + 64.0 * 256 * 3136;

    @Test
    void openGatesComputeEverythingInEval() {
        List<DemoRow> rows = new GateDemo(2, 1, 1f, 0f).run();
        assertEquals(6, rows.size());
        for (DemoRow r : rows) {
            assertEquals(RESNET50_LAYER1_BOTTLENECK_MACS, r.denseMacs(), 0.5);
            if (r.phase().equals("eval")) {
                assertEquals(1.0, r.d3(), 0.0, r.label());
                assertEquals(1.0, r.dc(), 0.0, r.label());
                assertTrue(r.dynamicMacs() > r.denseMacs(), "maskers are paid on top: " + r.label());
            }
        }
    }

    @Test
    void halfClosedGatesSaveMacs() {
        List<DemoRow> rows = new GateDemo(4, 1, 1f, -5f).run();
        DemoRow spatialTrain = rows.get(0);
        assertEquals("spatial S=2", spatialTrain.label());
        assertTrue(spatialTrain.d3() > 0.2 && spatialTrain.d3() < 0.8, "d3 = " + spatialTrain.d3());
        assertTrue(spatialTrain.d1() >= spatialTrain.d3(), "dilated conv1 mask covers the output mask");
        assertTrue(spatialTrain.dynamicMacs() < spatialTrain.denseMacs());
        assertThrows(IllegalArgumentException.class, () -> new GateDemo(0, 1, 1f, 0f));
    }
}
