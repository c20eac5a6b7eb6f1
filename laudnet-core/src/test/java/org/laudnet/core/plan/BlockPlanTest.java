package org.laudnet.core.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.gate.ChannelMaskerKind;

class BlockPlanTest {

    private static FoldedConv conv(int o, int i, int k, int stride, int padding, int groups) {
        return new FoldedConv(o, i, k, stride, padding, groups, new float[o * (i / groups) * k * k], new float[o]);
    }

    private static void rejects(Executable build, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message lacks '" + part + "': " + e.getMessage());
        }
    }

    /** Block 0 of the test plan with one layer replaced. */
    private static BlockPlan block0(FoldedConv conv1, FoldedConv conv2, FoldedConv conv3) {
        BlockPlan b = PlanFileTest.fullPlan().blocks().get(0);
        return new BlockPlan(b.geometry(), b.gate(), conv1, conv2, conv3, b.downsample(), b.squeezeExcitation(),
                b.spatialMasker(), b.channelMasker(), b.cost(), b.stage());
    }

    @Test
    void conv1KernelFollowsTheBlockType() {
        BlockPlan b0 = PlanFileTest.fullPlan().blocks().get(0);
        // a bottleneck's conv1 is 1x1: a 3x3 with padding 1 is rejected
        rejects(() -> block0(conv(4, 8, 3, 1, 1, 1), b0.conv2(), b0.conv3()),
                "conv1 must be a 1x1 convolution with stride 1, padding 0 and 1 group", "3x3/1, pad 1");
        // a basic block's conv1 is 3x3 with padding 1
        BlockPlan basic = PlanFileTest.fullPlan().blocks().get(1);
        rejects(() -> new BlockPlan(basic.geometry(), basic.gate(), conv(16, 16, 1, 1, 0, 1), basic.conv2(), null,
                null, null, basic.spatialMasker(), null, basic.cost(), 0),
                "conv1 must be a 3x3 convolution with stride 1, padding 1", "1x1/1, pad 0");
        // conv2's groups must be the geometry's
        rejects(() -> block0(b0.conv1(), conv(4, 4, 3, 2, 1, 1), b0.conv3()),
                "conv2 must be a 3x3 convolution with stride 2, padding 1 and 2 groups", "groups 1");
        // conv3 is pointwise
        rejects(() -> block0(b0.conv1(), b0.conv2(), conv(16, 4, 1, 1, 0, 2)), "conv3 must be a 1x1", "groups 2");
    }

    @Test
    void presenceMessagesNameWhatWasFound() {
        BlockPlan basic = PlanFileTest.fullPlan().blocks().get(1);
        rejects(() -> new BlockPlan(basic.geometry(), basic.gate(), basic.conv1(), basic.conv2(),
                conv(16, 16, 1, 1, 0, 1), null, null, basic.spatialMasker(), null, basic.cost(), 0),
                "conv3 must be present exactly for a bottleneck", "type is BASIC", "FoldedConv[16 <- 16");
        rejects(() -> new BlockPlan(basic.geometry(), basic.gate(), basic.conv1(), basic.conv2(), null, null, null,
                null, null, basic.cost(), 0), "spatialMasker", "mode is LAYER", "got spatialMasker null");
        rejects(() -> new BlockPlan(basic.geometry(), basic.gate(), basic.conv1(), basic.conv2(), null, null, null,
                new SpatialMasker(conv(4, 16, 1, 1, 0, 1), 2, 2), null, basic.cost(), 0),
                "spatial masker must read 16 channels into a 1^2 mask of 2 groups", "maskSize=2");
    }

    @Test
    void maskerAndSqueezeLayersArePointwise() {
        FoldedConv first = conv(16, 8, 1, 1, 0, 1);
        rejects(() -> new ChannelMasker(ChannelMaskerKind.MLP_2, 2, first, conv(4, 16, 1, 1, 0, 2)),
                "the channel masker's second layer must be a 1x1 convolution with stride 1, padding 0 and 1 group",
                "groups 2");
        rejects(() -> new ChannelMasker(ChannelMaskerKind.CONV_LINEAR, 2, conv(16, 8, 1, 2, 0, 1),
                conv(4, 16, 1, 1, 0, 1)), "first layer", "1x1/2");
        rejects(() -> new SpatialMasker(conv(2, 8, 1, 2, 0, 1), 2, 1), "the spatial masker", "1x1/2");
        rejects(() -> new SqueezeExcitationPlan(conv(2, 4, 1, 1, 1, 1), conv(4, 2, 1, 1, 0, 1)),
                "squeeze-excitation fc1", "pad 1");
        InferencePlan plan = PlanFileTest.fullPlan();
        rejects(() -> new InferencePlan(plan.architecture(), plan.inputChannels(), plan.inputSize(), plan.stem(),
                plan.maxPool(), plan.maxPoolPadding(), plan.blocks(), conv(10, 8, 1, 1, 0, 2)), "head", "groups 2");
    }

    @Test
    void keepRuleOfBothMaskers() {
        // B = 2, G = 2: logits (keep0, keep1, skip0, skip1) per sample; ties keep
        ChannelMasker mlp1 = new ChannelMasker(ChannelMaskerKind.MLP_1, 2,
                FoldedConv.linear(4, 1, new float[] {1, -1, 0, 0}, new float[4]), null);
        assertArrayEquals(new float[] {1, 0, 0, 1}, mlp1.keepFromPooled(new float[] {2, -3}, 2));
        assertArrayEquals(new float[] {1, 1}, mlp1.keepFromPooled(new float[] {0}, 1));
        // m = 2, gs = 1: four cells per sample
        SpatialMasker sm = new SpatialMasker(conv(2, 1, 1, 1, 0, 1), 2, 1);
        assertArrayEquals(new float[] {1, 0, 1, 0}, sm.keep(new float[] {1, 0, 3, -1, 0, 1, 3, 0}, 1));
    }

    @Test
    void spatialMaskerOnPooledCellsIsItsLayerPerCell() {
        // B = 3, Cin = 5, m = 3, gs = 2: the logits of every cell are the 1x1 layer on that cell's channel vector
        Random r = new Random(4);
        float[] w = new float[4 * 5];
        float[] bias = new float[4];
        float[] pooled = new float[3 * 5 * 9];
        for (float[] a : new float[][] {w, bias, pooled}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) r.nextGaussian();
            }
        }
        FoldedConv layer = FoldedConv.linear(4, 5, w, bias);
        SpatialMasker sm = new SpatialMasker(layer, 3, 2);
        float[] rows = new float[3 * 9 * 5];
        for (int b = 0; b < 3; b++) {
            for (int c = 0; c < 5; c++) {
                for (int cell = 0; cell < 9; cell++) {
                    rows[(b * 9 + cell) * 5 + c] = pooled[(b * 5 + c) * 9 + cell];
                }
            }
        }
        float[] perCell = layer.applyToRows(rows, 27, false);
        float[] want = new float[3 * 4 * 9];
        for (int b = 0; b < 3; b++) {
            for (int o = 0; o < 4; o++) {
                for (int cell = 0; cell < 9; cell++) {
                    want[(b * 4 + o) * 9 + cell] = perCell[(b * 9 + cell) * 4 + o];
                }
            }
        }
        float[] logits = sm.logitsFromPooled(pooled, 3);
        assertArrayEquals(want, logits, "the same float operations in the same order");
        assertArrayEquals(sm.keep(logits, 3), sm.keepFromPooled(pooled, 3));
        rejects(() -> sm.logitsFromPooled(new float[44], 3), "pooled must hold B x Cin x m x m = 135 values",
                "got 44");
    }

    @Test
    void spatialPathsExistWhereTheEngineHasThem() {
        BlockGeometry bottleneck = BlockGeometry.bottleneck(16, 8, 8, 2);
        assertTrue(BlockPlan.spatialPathsExist(bottleneck, GateMode.SPATIAL, 1, 1));
        assertFalse(BlockPlan.spatialPathsExist(bottleneck, GateMode.SPATIAL, 2, 1), "several mask groups");
        assertFalse(BlockPlan.spatialPathsExist(BlockGeometry.basic(16, 16, 8, 1), GateMode.SPATIAL, 1, 1));
        BlockGeometry v1 = new BlockGeometry(BlockType.BOTTLENECK, 16, 8, 32, 8, 8, 2, 1, StridePlacement.CONV1);
        assertFalse(BlockPlan.spatialPathsExist(v1, GateMode.SPATIAL, 1, 1), "conv1 strides");
        for (GateMode mode : List.of(GateMode.NONE, GateMode.CHANNEL, GateMode.LAYER)) {
            assertFalse(BlockPlan.spatialPathsExist(bottleneck, mode, 1, 1), mode.toString());
        }
        // width 8 in 2 convolution groups of 4: G = 2 keeps whole groups, G = 4 splits them (BOTH only)
        BlockGeometry grouped = new BlockGeometry(BlockType.BOTTLENECK, 16, 8, 32, 8, 8, 1, 2, StridePlacement.CONV2);
        assertTrue(BlockPlan.spatialPathsExist(grouped, GateMode.BOTH, 1, 2));
        assertFalse(BlockPlan.spatialPathsExist(grouped, GateMode.BOTH, 1, 4));
        assertTrue(BlockPlan.spatialPathsExist(grouped, GateMode.SPATIAL, 1, 4), "G is not read in SPATIAL mode");
        // the instance form reads the plan's own masker groups
        List<Boolean> found = new ArrayList<>();
        for (BlockPlan b : PlanFileTest.fullPlan().blocks()) {
            found.add(b.spatialPathsExist());
        }
        assertTrue(found.get(0), "the grouped BOTH bottleneck with G = 2");
        assertFalse(found.subList(1, found.size()).contains(true), found.toString());
    }
}
