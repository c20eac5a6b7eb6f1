package org.laudnet.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PatchPlanTest {

    @Test
    void fullMaskStageOneGeometryAndLaunches() {
        SpatialGeometry g = SpatialGeometry.of(56, 56, 1, 4);
        assertEquals(14, g.gridSize());
        assertEquals(6, g.windowSize());
        int[] mask = new int[2 * 14 * 14];
        java.util.Arrays.fill(mask, 1);
        PatchPlan plan = PatchPlan.fromMask(mask, 2, g);
        assertEquals(392, plan.patchCount());
        assertEquals(1.0, plan.density(), 0.0);
        // N = 392 * 36 = 14112 -> ceil(14112 / 64) = 221 tiles, M = 64 -> 1 tile.
        assertEquals(new LaunchConfig(221, 1, 1, 256, 0), plan.gatherConv1x1Launch(64));
        // N = 392 * 16 = 6272 -> 98 tiles.
        assertEquals(new LaunchConfig(98, 1, 1, 256, 0), plan.patchConv3x3Launch(64, 1));
        assertEquals(new LaunchConfig(98, 1, 32, 256, 0), plan.patchConv3x3Launch(64 * 32, 32));
        assertEquals(new LaunchConfig(98, 4, 1, 256, 0), plan.patchConv1x1ScatterLaunch(256));
        // 2 * 256 * 56 * 56 = 1605632 elements -> 6272 blocks of 256.
        assertEquals(new LaunchConfig(6272, 1, 1, 256, 0), plan.fillInactiveLaunch(256));
        assertEquals(392L * 64 * 36, plan.windowElements(64));
        assertEquals(392L * 64 * 16, plan.patchElements(64));
        assertArrayEquals(new int[] {1, 13, 13}, plan.patch(391));
    }

    @Test
    void emptyMaskGivesNoPatchesAndEmptyGemmLaunches() {
        SpatialGeometry g = SpatialGeometry.of(28, 28, 2, 2);
        assertEquals(7, g.gridSize());
        PatchPlan plan = PatchPlan.fromMask(new int[3 * 49], 3, g);
        assertEquals(0, plan.patchCount());
        assertEquals(0, plan.patches().length);
        assertEquals(0.0, plan.density(), 0.0);
        assertTrue(plan.gatherConv1x1Launch(128).isEmpty());
        assertTrue(plan.patchConv3x3Launch(128, 1).isEmpty());
        assertTrue(plan.patchConv1x1ScatterLaunch(512).isEmpty());
        // The fill still covers the whole output: 3 * 512 * 14 * 14 = 301056 -> 1176 blocks.
        assertEquals(new LaunchConfig(1176, 1, 1, 256, 0), plan.fillInactiveLaunch(512));
    }

    @Test
    void sevenBySevenWithWholeImageCell() {
        SpatialGeometry g = SpatialGeometry.of(7, 7, 1, 7);
        assertEquals(1, g.gridSize());
        assertEquals(9, g.windowSize());
        assertEquals(-1, g.windowOrigin(0));
        PatchPlan plan = PatchPlan.fromMask(new int[] {0, 1, 1}, 3, g);
        assertEquals(2, plan.patchCount());
        assertArrayEquals(new int[] {1, 0, 0, 2, 0, 0}, plan.patches());
        // N = 2 * 81 = 162 -> 3 tiles; conv2 N = 2 * 49 = 98 -> 2 tiles.
        assertEquals(new LaunchConfig(3, 8, 1, 256, 0), plan.gatherConv1x1Launch(512));
        assertEquals(new LaunchConfig(2, 8, 1, 256, 0), plan.patchConv3x3Launch(512, 1));
        assertEquals(new LaunchConfig(2, 32, 1, 256, 0), plan.patchConv1x1ScatterLaunch(2048));
    }

    @Test
    void strideTwoWindowsAtTheBorders() {
        // Hin = 15, s = 2 -> Hout = 8; S = 4 -> m = 2; T = 2 * 3 + 3 = 9.
        SpatialGeometry g = SpatialGeometry.of(15, 15, 2, 4);
        assertEquals(8, g.outHeight());
        assertEquals(2, g.gridSize());
        assertEquals(9, g.windowSize());
        assertEquals(-1, g.windowOrigin(0));
        // Second cell: outputs 4..7 read input rows 7..15; row 15 lies outside the 15-row image.
        assertEquals(7, g.windowOrigin(1));
        assertEquals(g.inHeight(), g.windowOrigin(1) + g.windowSize() - 1);
        // Stride 2, S = 7, Hin = 14 -> Hout = 7, window rows -1 .. 13.
        SpatialGeometry h = SpatialGeometry.of(14, 14, 2, 7);
        assertEquals(15, h.windowSize());
        assertEquals(13, h.windowOrigin(0) + h.windowSize() - 1);
    }

    @Test
    void patchesFollowRowMajorMaskOrder() {
        SpatialGeometry g = SpatialGeometry.of(6, 6, 1, 2);
        int[] mask = {
            0, 1, 0,
            0, 0, 0,
            1, 0, 1,

            1, 0, 0,
            0, 0, 0,
            0, 0, 0
        };
        PatchPlan plan = PatchPlan.fromMask(mask, 2, g);
        assertArrayEquals(new int[] {0, 0, 1, 0, 2, 0, 0, 2, 2, 1, 0, 0}, plan.patches());
        assertArrayEquals(mask, plan.mask());
        assertEquals(4 / 18.0, plan.density(), 1e-12);
    }

    @Test
    void partialBorderCellsAreAllowedButTheGridMustFit() {
        SpatialGeometry g = SpatialGeometry.of(7, 7, 1, 2);
        assertEquals(4, g.gridSize());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> new SpatialGeometry(7, 7, 1, 2, 3));
        assertTrue(e.getMessage().contains("gridSize"), e.getMessage());
        IllegalArgumentException rect =
                assertThrows(IllegalArgumentException.class, () -> SpatialGeometry.of(8, 16, 1, 4));
        assertTrue(rect.getMessage().contains("ceil(Wout / S) = 4"), rect.getMessage());
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> SpatialGeometry.of(8, 8, 3, 4));
        assertTrue(s.getMessage().contains("stride"), s.getMessage());
    }

    @Test
    void rejectsMaskOfWrongLength() {
        SpatialGeometry g = SpatialGeometry.of(8, 8, 1, 4);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> PatchPlan.fromMask(new int[7], 2, g));
        assertTrue(e.getMessage().contains("mask") && e.getMessage().contains("8"), e.getMessage());
    }

    @Test
    void samplePlanListsActiveAndInactiveSamples() {
        SamplePlan plan = SamplePlan.fromGate(new int[] {1, 0, 0, 1, 1});
        assertArrayEquals(new int[] {0, 3, 4}, plan.activeIndices());
        assertArrayEquals(new int[] {1, 2}, plan.inactiveIndices());
        assertArrayEquals(new int[] {1, 0, 0, 1, 1}, plan.gate());
        // 3 samples * 256 * 14 * 14 = 150528 -> 588 blocks.
        assertEquals(new LaunchConfig(588, 1, 1, 256, 0), plan.gatherLaunch(256 * 14 * 14));
        assertTrue(SamplePlan.fromGate(new int[] {0, 0}).gatherLaunch(10).isEmpty());
    }

    @Test
    void channelSelectionExpandsGroups() {
        ChannelSelection sel = ChannelSelection.fromGroupMask(new int[] {0, 1, 0, 1}, 8);
        assertArrayEquals(new int[] {2, 3, 6, 7}, sel.channels());
        assertEquals(0.5, sel.density(), 0.0);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> ChannelSelection.fromGroupMask(new int[] {1, 1, 1}, 8));
        assertTrue(e.getMessage().contains("width"), e.getMessage());
    }

    @Test
    void elementwiseAndWarpLaunchesAreCapped() {
        assertEquals(new LaunchConfig(1, 1, 1, 256, 0), LaunchConfig.elementwise(1));
        assertEquals(new LaunchConfig(LaunchConfig.MAX_GRID_STRIDE_BLOCKS, 1, 1, 256, 0),
                LaunchConfig.elementwise(1L << 30));
        assertEquals(new LaunchConfig(2, 1, 1, 256, 0), LaunchConfig.warpPerRow(9));
        assertThrows(IllegalArgumentException.class, () -> LaunchConfig.gemm(64, 1L << 31, 1));
    }
}
