package org.laudnet.models.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.train.LatencyCostModel;

/** Measured latency tables: their layout per gate mode, their validation, and the cost model built on them. */
class MeasuredBlockLatencyTest {

    private static final NDManager PARAMS = NDManager.newBaseManager();

    private static GatedBackbone net(GateSpec first, GateSpec second) {
        GatedBackbone net = LaudResNet.builder()
                .setStages(BlockType.BASIC, List.of(
                        new StageSpec(1, 8, 8, 1, GateSpec.none()), new StageSpec(1, 16, 16, 2, GateSpec.none())))
                .optStageGates(first, second)
                .optStem(StemSpec.small(1, 8))
                .optInputSize(12)
                .optNumClasses(4)
                .optTemperature(GumbelTemperature.constant(1f))
                .optSeed(3)
                .build();
        net.initialize(PARAMS, DataType.FLOAT32, new Shape(1, 1, 12, 12));
        return net;
    }

    @AfterAll
    static void release() {
        PARAMS.close();
    }

    @Test
    void tablesFollowTheGateModesAndNeverDecreaseWithDensity() {
        GatedBackbone net = net(GateSpec.layer(), GateSpec.channel(4));
        MeasuredBlockLatency measured = MeasuredBlockLatency.measure(net, 8, 4, 3, 11);
        assertEquals(8, measured.batch());
        assertEquals(4, measured.intervals());
        assertEquals(2, measured.blocks().size());
        assertTrue(measured.fixedMs() > 0 && Double.isFinite(measured.fixedMs()), "fixed " + measured.fixedMs());

        MeasuredBlockLatency.BlockTable layer = measured.blocks().get(0);
        assertEquals(GateMode.LAYER, layer.mode());
        assertEquals(5, layer.ms().length, "one row per layer density knot");
        assertEquals(1, layer.ms()[0].length, "no channel axis");
        MeasuredBlockLatency.BlockTable channel = measured.blocks().get(1);
        assertEquals(GateMode.CHANNEL, channel.mode());
        assertEquals(1, channel.ms().length, "no spatial axis");
        assertEquals(5, channel.ms()[0].length, "one column per channel density knot");
        for (MeasuredBlockLatency.BlockTable t : measured.blocks()) {
            assertTrue(t.denseMs() > 0 && Double.isFinite(t.denseMs()), "dense " + t.denseMs());
            double[][] ms = t.ms();
            for (int i = 0; i < ms.length; i++) {
                for (int j = 0; j < ms[i].length; j++) {
                    assertTrue(ms[i][j] >= 0 && Double.isFinite(ms[i][j]), t.mode() + " " + i + "," + j);
                    // strictly increasing wherever the measured open end exceeds the closed one (timing-dependent,
                    // see tablesBecomeStrictlyIncreasingFromTheOpenEndDown); never decreasing in any case
                    if (i > 0) {
                        assertTrue(ms[i][j] >= ms[i - 1][j], t.mode() + " rows must not decrease");
                    }
                    if (j > 0) {
                        assertTrue(ms[i][j] >= ms[i][j - 1], t.mode() + " columns must not decrease");
                    }
                }
            }
        }

        LatencyCostModel cost = LatencyCostModel.of(measured);
        assertEquals(2, cost.numBlocks());
        assertEquals(measured.fixedMs(), cost.fixedCost(), 0);
        assertEquals(layer.denseMs(), cost.denseCost(0), 0);
        for (int i = 0; i <= 4; i++) {
            assertEquals(layer.ms()[i][0], cost.dynamicCost(0, i / 4.0, 1), 1e-9, "layer knot " + i);
            assertEquals(channel.ms()[0][i], cost.dynamicCost(1, 1, i / 4.0), 1e-9, "channel knot " + i);
        }
        double mid = (layer.ms()[1][0] + layer.ms()[2][0]) / 2;
        assertEquals(mid, cost.dynamicCost(0, 0.375, 1), 1e-9, "linear between knots");
    }

    @Test
    void staticBlocksHoldTheirDenseLatency() {
        GatedBackbone net = net(GateSpec.none(), GateSpec.none());
        MeasuredBlockLatency measured = MeasuredBlockLatency.measure(net, 2, 8, 2, 5);
        for (MeasuredBlockLatency.BlockTable t : measured.blocks()) {
            assertEquals(GateMode.NONE, t.mode());
            assertEquals(1, t.ms().length);
            assertEquals(1, t.ms()[0].length);
            assertEquals(t.denseMs(), t.ms()[0][0], 0);
        }
    }

    @Test
    void tablesBecomeStrictlyIncreasingFromTheOpenEndDown() {
        // a plateau next to the open end and a dip: capped below the next knot by a quarter of the mean step
        double[] raw = {0.2, 1.0, 0.9, 1.4, 1.4};
        double[][] t = new double[raw.length][1];
        for (int i = 0; i < raw.length; i++) {
            t[i][0] = raw[i];
        }
        MeasuredBlockLatency.increasing(t);
        double step = (1.4 - 0.2) / 4 * MeasuredBlockLatency.MIN_SLOPE_FRACTION;
        assertEquals(1.4, t[4][0], 1e-12, "the open end stays as measured");
        assertEquals(1.4 - step, t[3][0], 1e-12);
        assertEquals(0.9, t[2][0], 1e-12);
        assertEquals(0.9 - step, t[1][0], 1e-12);
        assertEquals(0.2, t[0][0], 1e-12);
        double[][] row = {{1, 0.5, 2}};
        MeasuredBlockLatency.increasing(row);
        assertEquals(List.of(0.5 - 0.125, 0.5, 2.0), List.of(row[0][0], row[0][1], row[0][2]));
    }

    @Test
    void masksOpenTheRoundedNumberOfCells() {
        try (NDManager m = NDManager.newBaseManager()) {
            Random r = new Random(1);
            for (double d : new double[] {0, 0.125, 0.3, 0.5, 1}) {
                float sum = MeasuredBlockLatency.mask(m, r, new Shape(8, 1, 1, 1), d).sum().getFloat();
                assertEquals(Math.round(d * 8), sum, 0, "layer density " + d);
                NDArray spatial = MeasuredBlockLatency.mask(m, r, new Shape(4, 1, 3, 3), d);
                float[] perSample = spatial.reshape(4, 9).sum(new int[] {1}).toFloatArray();
                for (float cells : perSample) {
                    assertEquals(Math.round(d * 9), cells, 0, "cells of every sample at spatial density " + d);
                }
            }
        }
    }

    @Test
    void badArgumentsAreRejectedWithTheirNames() {
        GatedBackbone net = net(GateSpec.layer(), GateSpec.none());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MeasuredBlockLatency.measure(net, 0, 4, 3, 1));
        assertTrue(e.getMessage().contains("batch"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MeasuredBlockLatency.measure(net, 2, 4, 0, 1));
        assertTrue(e.getMessage().contains("runs"), e.getMessage());
        MeasuredBlockLatency.BlockTable wrong = new MeasuredBlockLatency.BlockTable(GateMode.LAYER, 1, new double[][] {
            {1}, {2}});
        e = assertThrows(IllegalArgumentException.class,
                () -> MeasuredBlockLatency.of(List.of(wrong), 0.1, 8, 4));
        assertTrue(e.getMessage().contains("block 0") && e.getMessage().contains("5 x 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new MeasuredBlockLatency.BlockTable(GateMode.LAYER, 0, new double[][] {{1}}));
        assertTrue(e.getMessage().contains("denseMs"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> MeasuredBlockLatency.of(List.of(new MeasuredBlockLatency.BlockTable(GateMode.NONE, 1,
                        new double[][] {{1}})), -1, 8, 4));
        assertTrue(e.getMessage().contains("fixedMs"), e.getMessage());
    }
}
