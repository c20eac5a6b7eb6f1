package org.laudnet.core.mask;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MaskOpsTest {

    private NDManager m;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    private NDArray grid(int h, int w, float... values) {
        return m.create(values, new Shape(1, 1, h, w));
    }

    @Test
    void expansionStride1DilatesByOneAndClipsAtBorders() {
        // 4x4 output mask with a kept corner (0,0) and a kept interior pixel (2,2)
        NDArray out = grid(4, 4,
                1, 0, 0, 0,
                0, 0, 0, 0,
                0, 0, 1, 0,
                0, 0, 0, 0);
        float[] expected = {
            1, 1, 0, 0,
            1, 1, 1, 1,
            0, 1, 1, 1,
            0, 1, 1, 1};
        assertArrayEquals(expected, MaskOps.expandForConv3x3(out, 1, 4, 4).toFloatArray());
    }

    @Test
    void expansionStride2MapsOutputToInputWindowsAtBorders() {
        // 3x3 outputs of a stride-2 conv over a 6x6 input: output (i,j) reads input rows 2i-1..2i+1
        NDArray out = grid(3, 3,
                1, 0, 0,
                0, 0, 0,
                0, 0, 1);
        float[] expected = {
            1, 1, 0, 0, 0, 0,
            1, 1, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0,
            0, 0, 0, 1, 1, 1,
            0, 0, 0, 1, 1, 1,
            0, 0, 0, 1, 1, 1};
        assertArrayEquals(expected, MaskOps.expandForConv3x3(out, 2, 6, 6).toFloatArray());
        // the input mask keeps its shape (the stride-2 placement must not reshape its argument)
        assertEquals(new Shape(1, 1, 3, 3), out.getShape());
    }

    @Test
    void expansionStride2WithOddInputSize() {
        // 7x7 input, stride 2 -> 4x4 output; output (3,3) reads input rows/cols 5..6 (7 is outside)
        float[] v = new float[16];
        v[15] = 1;
        NDArray out = grid(4, 4, v);
        float[] e = MaskOps.expandForConv3x3(out, 2, 7, 7).toFloatArray();
        for (int y = 0; y < 7; y++) {
            for (int x = 0; x < 7; x++) {
                float want = y >= 5 && x >= 5 ? 1 : 0;
                assertTrue(e[y * 7 + x] == want, "position " + y + "," + x);
            }
        }
    }

    @Test
    void expansionRejectsInconsistentSizesAndStrides() {
        NDArray out = grid(3, 3, new float[9]);
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> MaskOps.expandForConv3x3(out, 1, 6, 6));
        assertTrue(e.getMessage().contains("6x6"), e.getMessage());
        IllegalArgumentException s =
                assertThrows(IllegalArgumentException.class, () -> MaskOps.expandForConv3x3(out, 3, 9, 9));
        assertTrue(s.getMessage().contains("stride") && s.getMessage().contains("3"), s.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> MaskOps.expandForConv3x3(m.zeros(new Shape(3, 3)), 1, 3, 3));
    }

    @Test
    void upsampleRepeatsEachCell() {
        NDArray g = grid(2, 2, 1, 0, 0, 1);
        float[] expected = {
            1, 1, 0, 0,
            1, 1, 0, 0,
            0, 0, 1, 1,
            0, 0, 1, 1};
        assertArrayEquals(expected, MaskOps.upsampleNearest(g, 4, 4).toFloatArray());
        // 2 cells on 5 rows: nearest interpolation gives rows 0-2 to cell 0 and rows 3-4 to cell 1
        float[] uneven = {
            1, 1, 0, 0,
            1, 1, 0, 0,
            1, 1, 0, 0,
            0, 0, 1, 1,
            0, 0, 1, 1};
        assertArrayEquals(uneven, MaskOps.upsampleNearest(g, 5, 4).toFloatArray());
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> MaskOps.upsampleNearest(g, 1, 4));
        assertEquals("mask grid 2x2 exceeds the target 1x4", e.getMessage());
    }

    @Test
    void channelMaskMapsContiguousGroups() {
        // C = 6, G = 3: channels {0,1} -> group 0, {2,3} -> group 1, {4,5} -> group 2
        NDArray x = m.ones(new Shape(2, 6, 1, 1));
        NDArray mask = m.create(new float[] {1, 0, 1, 0, 1, 0}, new Shape(2, 3));
        float[] y = MaskOps.applyChannel(x, mask).toFloatArray();
        assertArrayEquals(new float[] {1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0}, y);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MaskOps.applyChannel(m.ones(new Shape(2, 5, 1, 1)), mask));
        assertTrue(e.getMessage().contains("channel groups = 3") && e.getMessage().contains("5"), e.getMessage());
    }

    @Test
    void spatialGroupsGateContiguousChannelBlocks() {
        // C = 4 channels, gs = 2 groups over a 1x2 map: group 0 keeps pixel 0, group 1 keeps pixel 1
        NDArray x = m.ones(new Shape(1, 4, 1, 2));
        NDArray mask = m.create(new float[] {1, 0, 0, 1}, new Shape(1, 2, 1, 2));
        float[] y = MaskOps.applySpatial(x, mask).toFloatArray();
        assertArrayEquals(new float[] {1, 0, 1, 0, 0, 1, 0, 1}, y);
        // gs = 1 broadcasts over all channels
        NDArray one = m.create(new float[] {0, 1}, new Shape(1, 1, 1, 2));
        assertArrayEquals(new float[] {0, 1, 0, 1, 0, 1, 0, 1}, MaskOps.applySpatial(x, one).toFloatArray());
        assertThrows(IllegalArgumentException.class,
                () -> MaskOps.applySpatial(x, m.ones(new Shape(1, 3, 1, 2))));
        assertThrows(IllegalArgumentException.class, () -> MaskOps.applySpatial(x, m.ones(new Shape(1, 2, 2))));
    }
}
