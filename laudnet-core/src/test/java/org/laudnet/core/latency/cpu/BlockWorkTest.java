package org.laudnet.core.latency.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.latency.BlockLatencyQuery;

class BlockWorkTest {

    @Test
    void spatialWindowsFeaturesOfAKnownQuery() {
        BlockGeometry g = BlockGeometry.bottleneck(256, 64, 56, 1);
        BlockLatencyQuery q = new BlockLatencyQuery(g, GateMode.SPATIAL, 4, 1, 0.25, 1, 2);
        BlockWork w = BlockWork.spatial(q, false);
        assertEquals(2 * 3136.0 * 256 * 64, w.conv1Macs());
        assertEquals(98 * 16 * 64 * 64 * 9.0, w.conv2Macs());
        assertEquals(98 * 16 * 64 * 256.0, w.conv3Macs());
        assertEquals(0, w.downsampleMacs());
        assertEquals(98 * 36 * 64.0, w.gathered());
        assertEquals(98 * 16 * 256.0, w.scattered());
        assertEquals(3_211_264, w.mapElements());
        assertEquals(98, w.patches());
        assertEquals(1, w.patterns());
        assertEquals(256 * 64 + 64 * 64 * 9 + 64 * 256, w.value(BlockWork.WEIGHTS));
        assertArrayEquals(new double[] {2 * 3136.0 * 256 * 64 + 98 * 16 * 64 * 256.0, 98 * 16 * 64 * 64 * 9.0,
            256 * 64 + 64 * 64 * 9 + 64 * 256, 98 * 36 * 64.0 + 98 * 16 * 256.0, 3_211_264, 98, 1},
            w.vector(CpuTerm.SPATIAL_WINDOWS), 1e-6);
    }

    @Test
    void rowScheduleHasTheM1MacsAndGathersNineRowsPerActivePosition() {
        BlockGeometry g = BlockGeometry.bottleneck(256, 64, 56, 1);
        BlockLatencyQuery q = new BlockLatencyQuery(g, GateMode.SPATIAL, 4, 1, 0.25, 1, 2);
        BlockWork m1 = BlockWork.spatial(q, true);
        BlockWork rows = BlockWork.spatialRows(q);
        assertEquals(m1.conv1Macs(), rows.conv1Macs());
        assertEquals(m1.conv2Macs(), rows.conv2Macs());
        assertEquals(m1.conv3Macs(), rows.conv3Macs());
        assertEquals(m1.scattered(), rows.scattered());
        // the windows (98 patches x 36 pixels x 64) are replaced by the im2col (98 x 16 positions x 9 taps x 64)
        assertEquals(m1.gathered() - 98 * 36 * 64.0 + 98 * 16 * 9 * 64.0, rows.gathered(), 1e-6);
        // a grouped conv2 gathers windows as the M1 schedule does
        BlockGeometry grouped = new BlockGeometry(BlockType.BOTTLENECK, 64, 64, 64, 56, 56, 1, 4,
                StridePlacement.CONV2);
        BlockLatencyQuery qg = new BlockLatencyQuery(grouped, GateMode.SPATIAL, 4, 1, 0.25, 1, 2);
        assertEquals(BlockWork.spatial(qg, true), BlockWork.spatialRows(qg));
    }

    @Test
    void haloScheduleRunsConv1OnEveryWindowPositionAndGathersInputRows() {
        BlockGeometry g = BlockGeometry.bottleneck(256, 64, 56, 1);
        BlockLatencyQuery q = new BlockLatencyQuery(g, GateMode.SPATIAL, 4, 1, 0.25, 1, 2);
        BlockWork windows = BlockWork.spatial(q, false);
        BlockWork halo = BlockWork.spatialHalo(q);
        // 98 patches x 6 x 6 window positions x Cin 256 input rows, conv1 on each to 64 channels
        assertEquals(98 * 36 * 256.0 * 64, halo.conv1Macs());
        assertEquals(98 * 36 * 256.0, halo.gathered());
        assertEquals(windows.conv2Macs(), halo.conv2Macs());
        assertEquals(windows.conv3Macs(), halo.conv3Macs());
        assertEquals(windows.scattered(), halo.scattered());
        assertEquals(windows.value(BlockWork.WEIGHTS), halo.value(BlockWork.WEIGHTS));
        assertEquals(98, halo.patches());
        // BOTH at dc = 0.5: conv1 to half the inner channels, the same input rows
        BlockLatencyQuery both = new BlockLatencyQuery(g, GateMode.BOTH, 4, 4, 0.25, 0.5, 2);
        assertEquals(98 * 36 * 256.0 * 32, BlockWork.spatialHalo(both).conv1Macs());
        assertEquals(98 * 36 * 256.0, BlockWork.spatialHalo(both).gathered());
        // the dispatch by term
        assertEquals(halo, BlockWork.spatialSchedule(CpuTerm.SPATIAL_HALO, q));
        assertEquals(windows, BlockWork.spatialSchedule(CpuTerm.SPATIAL_WINDOWS, q));
        assertEquals(BlockWork.spatial(q, true), BlockWork.spatialSchedule(CpuTerm.SPATIAL_M1, q));
        assertEquals(BlockWork.spatialRows(q), BlockWork.spatialSchedule(CpuTerm.SPATIAL_ROWS, q));
        assertThrows(IllegalArgumentException.class, () -> BlockWork.spatialSchedule(CpuTerm.CHANNEL, q));
        assertThrows(IllegalArgumentException.class, () -> BlockWork.spatialHalo(
                new BlockLatencyQuery(g, GateMode.CHANNEL, 1, 4, 1, 0.5, 2)));
        assertEquals(CpuTerm.SPATIAL_HALO, CpuTerm.spatial(CpuTerm.SPATIAL_HALO.schedule()));
        assertTrue(CpuTerm.SPATIAL_HALO.isSpatialSchedule() && !CpuTerm.CHANNEL_UNION.isSpatialSchedule());
        assertThrows(IllegalStateException.class, CpuTerm.LAYER::schedule);
    }

    @Test
    void downsamplingBlockCountsTheStridedWindowAndTheDownsample() {
        // 256 -> 128 -> 512, 56 -> 28, stride 2 on conv2: K = 2 (S - 1) + 3
        BlockGeometry g = BlockGeometry.bottleneck(256, 128, 56, 2);
        BlockLatencyQuery q = new BlockLatencyQuery(g, GateMode.SPATIAL, 2, 1, 0.5, 1, 1);
        BlockWork w = BlockWork.spatial(q, false);
        // 14 x 14 = 196 cells, 98 active; K = 5
        assertEquals(98 * 25 * 128.0, w.gathered());
        assertEquals(784.0 * 256 * 512, w.downsampleMacs());
        assertEquals(98, w.patches());
    }

    @Test
    void spatialSchedulesExistOnlyWhereTheEngineHasThem() {
        // width 8 in 2 convolution groups of 4: BOTH with G = 4 splits a group, so the engine runs it masked dense
        BlockGeometry g = new BlockGeometry(BlockType.BOTTLENECK, 16, 8, 32, 8, 8, 1, 2, StridePlacement.CONV2);
        BlockWork.spatial(new BlockLatencyQuery(g, GateMode.BOTH, 2, 2, 0.5, 0.5, 1), false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BlockWork.spatial(new BlockLatencyQuery(g, GateMode.BOTH, 2, 4, 0.5, 0.5, 1), false));
        assertTrue(e.getMessage().contains("G = 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BlockWork.spatial(
                new BlockLatencyQuery(BlockGeometry.basic(16, 16, 8, 1), GateMode.SPATIAL, 2, 1, 0.5, 1, 1), true));
    }

    @Test
    void expectedM1PixelsMatchesHandCount() {
        // 4x4 output, S = 2: 4 cells, windows of 4x4 conv1 pixels clipped to 3x3 at the border.
        BlockGeometry g = BlockGeometry.bottleneck(16, 4, 4, 1);
        // one active cell covers exactly 9 pixels
        assertEquals(9, BlockWork.expectedM1Pixels(g, 2, 1), 1e-12);
        assertEquals(16, BlockWork.expectedM1Pixels(g, 2, 4), 1e-12);
        assertEquals(0, BlockWork.expectedM1Pixels(g, 2, 0), 1e-12);
        // two of four: corners (1 cell) 1/2, edges (2 cells) 5/6, centre (4 cells) 1 -> 4/2 + 8*5/6 + 4
        assertEquals(2 + 8 * 5.0 / 6 + 4, BlockWork.expectedM1Pixels(g, 2, 2), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> BlockWork.expectedM1Pixels(g, 2, 5));
    }

    @Test
    void channelPatternsAndLayerSamples() {
        // G = 4, two active groups: 6 possible patterns
        assertEquals(6 * (1 - Math.pow(5.0 / 6, 8)), BlockWork.expectedPatterns(4, 0.5, 8), 1e-12);
        assertEquals(1, BlockWork.expectedPatterns(4, 0.5, 1), 1e-12);
        BlockGeometry g = BlockGeometry.basic(64, 64, 56, 1);
        BlockWork c = BlockWork.channel(g, 1, 4, 0.5);
        assertEquals(3136.0 * 64 * 32 * 9, c.conv1Macs());
        assertEquals(3136.0 * 32 * 64 * 9, c.conv2Macs());
        assertEquals(c.conv1Macs() + c.conv2Macs(), c.macs3x3());
        assertEquals(0, c.macs1x1());
        assertEquals(0, c.gathered()); // one pattern: the executor runs the whole batch without a gather
        assertEquals(64 * 32 * 9.0, c.conv1Weights(), 1e-6);
        assertEquals(32 * 64 * 9.0, c.conv2Weights(), 1e-6);
        assertEquals(0, BlockWork.skip(g, 8).value(BlockWork.WEIGHTS));
        // a downsampling basic block skipped still reads the downsample's Cin * Cout weights
        assertEquals(64 * 128.0, BlockWork.skip(BlockGeometry.basic(64, 128, 56, 2), 1).value(BlockWork.WEIGHTS));
        // the union of 8 samples' 2-of-4 patterns: a group stays closed with probability (1/2)^8
        BlockGeometry b = BlockGeometry.bottleneck(256, 64, 56, 1);
        BlockWork u = BlockWork.channelUnion(b, 8, 4, 0.5);
        double dcu = 1 - Math.pow(0.5, 8);
        assertEquals(8 * 3136.0 * 256 * 64 * dcu, u.conv1Macs(), 1e-6 * u.conv1Macs());
        assertEquals(8 * 3136.0 * 64 * dcu * 64 * dcu * 9, u.conv2Macs(), 1e-6 * u.conv2Macs());
        assertEquals(256 * 64 * dcu, u.conv1Weights(), 1e-6);
        // masked: conv1's and conv2's outputs, unless every sample has the same pattern (probability 6^-7)
        double masked = (1 - Math.pow(6, -7)) * 8 * dcu * 64 * (3136 + 3136);
        assertEquals(masked, u.value(BlockWork.MOVED), 1e-6 * masked);
        // batch 1: the sample's own pattern, nothing masked (the per-pattern path's MACs)
        BlockWork one = BlockWork.channelUnion(b, 1, 4, 0.5);
        assertEquals(BlockWork.channel(b, 1, 4, 0.5).macs3x3(), one.macs3x3(), 1e-6);
        assertEquals(BlockWork.channel(b, 1, 4, 0.5).macs1x1(), one.macs1x1(), 1e-6);
        assertEquals(0, one.value(BlockWork.MOVED));
        BlockWork l = BlockWork.layer(g, 8, 3);
        assertEquals(3 * 3136.0 * 64 * 64 * 9, l.conv1Macs());
        assertEquals(3 * (64 * 3136.0 + 64 * 3136.0), l.gathered() + l.scattered());
        assertThrows(IllegalArgumentException.class, () -> BlockWork.layer(g, 8, 9));
    }
}
