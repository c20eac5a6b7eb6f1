package org.laudnet.core.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BlockCostTest {

    @Test
    void resnet50Stage2FirstBottleneckMatchesHandCount() {
        // layer2.0 of ResNet-50 (v1.5): Cin 256, w 128, Cout 512, 56x56 -> 28x28, stride on the 3x3 conv
        BlockGeometry g = BlockGeometry.bottleneck(256, 128, 56, 2);
        BlockCost c = BlockCost.of(g, 1000);
        long conv1 = 256L * 128 * 56 * 56; // 102,760,448
        long conv2 = 128L * 128 * 9 * 28 * 28; // 115,605,504
        long conv3 = 128L * 512 * 28 * 28; // 51,380,224
        long ds = 256L * 512 * 28 * 28; // 102,760,448
        assertEquals(102_760_448L, conv1);
        assertEquals(conv1, c.conv1Macs());
        assertEquals(conv2, c.conv2Macs());
        assertEquals(conv3, c.conv3Macs());
        assertEquals(ds, c.downsampleMacs());
        assertEquals(conv1 + conv2 + conv3 + ds, c.denseMacs());

        // at d1 = 0.6, d2 = d3 = 0.5, dc = 0.75
        BlockDensities d = new BlockDensities(0.6, 0.5, 0.5, 0.75);
        double expected = conv1 * 0.75 * 0.6 + conv2 * 0.75 * 0.75 * 0.5 + conv3 * 0.75 * 0.5 + ds + 1000;
        assertEquals(expected, c.dynamicMacs(d), 1e-3);
        assertEquals(expected / c.denseMacs(), c.ratio(d), 1e-12);
        assertEquals(expected / c.denseMacs(), c.ratio(d, BlockRatioForm.DENSE_DENOMINATOR), 1e-12);
        // the reference's r_b = (sparse + masker) / (dense + masker): an all-open block is exactly 1
        assertEquals(expected / (c.denseMacs() + 1000), c.ratio(d, BlockRatioForm.MASKERS_IN_BOTH), 1e-12);
        assertEquals(1.0, c.ratio(BlockDensities.FULL, BlockRatioForm.MASKERS_IN_BOTH), 1e-15);
        assertEquals(c.denseMacs() + 1000, c.dynamicMacs(BlockDensities.FULL), 1e-6);
    }

    @Test
    void basicBlockCountsTwoThreeByThreeConvolutions() {
        BlockGeometry g = BlockGeometry.basic(64, 128, 56, 2);
        BlockCost c = BlockCost.of(g, 0);
        assertEquals(64L * 128 * 9 * 28 * 28, c.conv1Macs());
        assertEquals(128L * 128 * 9 * 28 * 28, c.conv2Macs());
        assertEquals(0, c.conv3Macs());
        assertEquals(64L * 128 * 28 * 28, c.downsampleMacs());
        // channel density thins conv2's inputs only once
        assertEquals(c.conv1Macs() * 0.5 + c.conv2Macs() * 0.5 + c.downsampleMacs(),
                c.dynamicMacs(BlockDensities.channel(0.5)), 1e-3);
    }

    @Test
    void keras_v1StrideOnConv1RunsConv1AtOutputResolution() {
        BlockGeometry g = new BlockGeometry(org.laudnet.core.block.BlockType.BOTTLENECK, 256, 128, 512, 56, 56, 2, 1,
                org.laudnet.core.block.StridePlacement.CONV1);
        assertEquals(2, g.conv1Stride());
        assertEquals(1, g.conv2Stride());
        assertEquals(256L * 128 * 28 * 28, BlockCost.of(g, 0).conv1Macs());
    }

    @Test
    void invalidGeometryNamesTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BlockGeometry.bottleneck(0, 64, 56, 1));
        assertTrue(e.getMessage().contains("inChannels") && e.getMessage().contains("0"), e.getMessage());
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class,
                () -> BlockGeometry.bottleneck(64, 64, 56, 3));
        assertTrue(s.getMessage().contains("stride") && s.getMessage().contains("3"), s.getMessage());
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
                () -> new BlockDensities(1.5, 1, 1, 1));
        assertTrue(d.getMessage().contains("d1") && d.getMessage().contains("1.5"), d.getMessage());
    }
}
