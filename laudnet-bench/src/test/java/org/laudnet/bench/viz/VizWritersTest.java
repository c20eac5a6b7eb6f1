package org.laudnet.bench.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VizWritersTest {

    @TempDir
    Path dir;

    @Test
    void plotIsAPngOfTheRequestedSize() throws Exception {
        AccuracyLatencyPlot p = new AccuracyLatencyPlot("test");
        p.add("static", "static", 1, 0.90, 1, 0.90);
        p.add("spatial", "t=0.50", 0.7, 0.895, 0.55, 0.895);
        Path f = dir.resolve("sub/plot.png");
        p.write(f, 640, 480);
        byte[] head = Files.readAllBytes(f);
        assertEquals((byte) 0x89, head[0]);
        assertEquals('P', head[1]);
        BufferedImage img = ImageIO.read(f.toFile());
        assertEquals(640, img.getWidth());
        assertEquals(480, img.getHeight());
        assertEquals(2, p.points().size());
        assertThrows(IllegalArgumentException.class, () -> p.add("x", "y", 0, 0.5, 1, 0.5));
        assertThrows(IllegalArgumentException.class, () -> p.add("x", "y", 1, 1.5, 1, 1.5));
    }

    @Test
    void maskGridHasTheDocumentedSizeAndTintsComputedCells() throws Exception {
        int side = 4;
        float[][] images = {new float[side * side], new float[side * side]};
        float[][][] masks = {
            {{1f, 0f, 0f, 0f}, {1f}},
            {{0f, 0f, 0f, 0f}, {0f}}
        };
        MaskGrid.Data data = new MaskGrid.Data("t", images, side, masks, new int[] {2, 1});
        int scale = 3;
        Path f = dir.resolve("masks.png");
        MaskGrid.write(f, data, scale);
        BufferedImage img = ImageIO.read(f.toFile());
        int cell = side * scale;
        assertEquals(3 * (cell + MaskGrid.GAP) + MaskGrid.GAP, img.getWidth());
        assertEquals(MaskGrid.HEADER + 2 * (cell + MaskGrid.GAP), img.getHeight());
        int x0 = MaskGrid.GAP + cell + MaskGrid.GAP;
        int y0 = MaskGrid.HEADER;
        int computed = img.getRGB(x0, y0);
        int skipped = img.getRGB(x0 + cell - 1, y0);
        assertTrue(((computed >> 16) & 0xff) > ((skipped >> 16) & 0xff) + 100,
                "computed cell should be redder: " + Integer.toHexString(computed) + " vs "
                        + Integer.toHexString(skipped));
        assertThrows(IllegalArgumentException.class,
                () -> new MaskGrid.Data("t", images, side, new float[][][] {{{1f}}, {{1f}}}, new int[] {2}));
        assertThrows(IllegalArgumentException.class, () -> MaskGrid.render(data, 0));
    }
}
