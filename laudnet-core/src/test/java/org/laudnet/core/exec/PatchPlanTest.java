package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@link PatchPlan#m1RowMap}: the pixels the active windows read, numbered in raster order, clipped at the image. */
class PatchPlanTest {

    @Test
    void m1RowMapNumbersTheClippedWindowPixelsInRasterOrder() {
        // 8x8 input, stride 1, cells of 4: a 2x2 mask, windows of 6 starting one pixel before their cell
        SpatialGeometry g = SpatialGeometry.of(8, 8, 1, 4);
        int[] mask = {1, 0, 0, 0, /* sample 1: nothing */ 0, 0, 0, 0};
        int[] rows = PatchPlan.fromMask(mask, 2, g).m1RowMap();
        assertEquals(2 * 64, rows.length);
        int k = 0;
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                int want = y <= 4 && x <= 4 ? k++ : -1;
                assertEquals(want, rows[y * 8 + x], "sample 0 pixel (" + y + ", " + x + ")");
            }
        }
        assertEquals(25, k);
        for (int i = 64; i < 128; i++) {
            assertEquals(-1, rows[i], "sample 1 pixel " + (i - 64));
        }
    }

    @Test
    void m1RowMapOfOverlappingWindowsCountsEachPixelOnce() {
        SpatialGeometry g = SpatialGeometry.of(8, 8, 1, 4);
        int[] rows = PatchPlan.fromMask(new int[] {1, 1, 1, 1}, 1, g).m1RowMap();
        for (int i = 0; i < 64; i++) {
            assertEquals(i, rows[i], "every pixel is read once, in raster order");
        }
    }
}
