package org.laudnet.models.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WeightLayoutsTest {

    @Test
    void hwioToOihwMovesAHandComputedElement() {
        // kh=2, kw=3, in=2, out=4, value = flat HWIO index
        float[] hwio = new float[2 * 3 * 2 * 4];
        for (int i = 0; i < hwio.length; i++) {
            hwio[i] = i;
        }
        NamedTensor k = NamedTensor.of("conv/kernel", new int[] {2, 3, 2, 4}, hwio);
        NamedTensor oihw = WeightLayouts.hwioToOihw(k);
        assertArrayEquals(new long[] {4, 2, 2, 3}, oihw.shape());
        assertEquals("conv/kernel", oihw.name());
        // src[y=1][x=0][i=0][o=1] sits at ((1*3+0)*2+0)*4+1 = 25; dst[o=1][i=0][y=1][x=0] at ((1*2+0)*2+1)*3+0 = 15
        assertEquals(25f, oihw.data()[15]);
        assertEquals(25f, oihw.get(1, 0, 1, 0));
        // src[y=0][x=2][i=1][o=3] = ((0*3+2)*2+1)*4+3 = 23 -> dst[3][1][0][2]
        assertEquals(23f, oihw.get(3, 1, 0, 2));
        assertEquals(0f, oihw.get(0, 0, 0, 0));
        assertEquals(47f, oihw.get(3, 1, 1, 2));
        // every element: the transpose is a permutation of the values
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                for (int i = 0; i < 2; i++) {
                    for (int o = 0; o < 4; o++) {
                        assertEquals(k.get(y, x, i, o), oihw.get(o, i, y, x));
                    }
                }
            }
        }
        assertEquals(0f, hwio[15] - 15f, "input not modified");
    }

    @Test
    void denseTranspose() {
        NamedTensor k = NamedTensor.of("fc/kernel", new int[] {3, 2}, new float[] {1, 2, 3, 4, 5, 6});
        NamedTensor t = WeightLayouts.inOutToOutIn(k);
        assertArrayEquals(new long[] {2, 3}, t.shape());
        assertArrayEquals(new float[] {1, 3, 5, 2, 4, 6}, t.data());
    }

    @Test
    void layoutArgumentChecks() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeightLayouts.hwioToOihw(new float[5], 1, 1, 2, 3));
        assertTrue(e.getMessage().contains("hwio.length must be 6, got 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> WeightLayouts.hwioToOihw(NamedTensor.of("k", new int[] {2, 2}, new float[4])));
        assertTrue(e.getMessage().contains("'k'") && e.getMessage().contains("rank 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WeightLayouts.inOutToOutIn(new float[4], 0, 4));
        assertTrue(e.getMessage().contains("in must be positive, got 0"), e.getMessage());
    }

    @Test
    void convBiasFoldsIntoRunningMean() {
        float[] mean = {2f, 3f};
        float[] folded = WeightLayouts.foldConvBiasIntoRunningMean(new float[] {0.5f, -1f}, mean);
        assertArrayEquals(new float[] {1.5f, 4f}, folded);
        assertArrayEquals(new float[] {2f, 3f}, mean, "input not modified");
        // BN(z + b) with mean equals BN(z) with mean - b, for z = 0.75, gamma 2, beta 0.1, var 0.5, eps 1e-3
        double z = 0.75;
        double withBias = 2 * (z + 0.5 - 2.0) / Math.sqrt(0.5 + 1e-3) + 0.1;
        double folded0 = 2 * (z - folded[0]) / Math.sqrt(0.5 + 1e-3) + 0.1;
        assertEquals(withBias, folded0, 1e-6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeightLayouts.foldConvBiasIntoRunningMean(new float[2], new float[3]));
        assertTrue(e.getMessage().contains("runningMean.length must be 2, got 3"), e.getMessage());
    }
}
