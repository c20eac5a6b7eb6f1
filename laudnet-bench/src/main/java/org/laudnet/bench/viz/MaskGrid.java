package org.laudnet.bench.viz;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * A picture of which outputs each stage of a dynamic network computed: one row per image, the image in the first
 * column, then one column per stage where the image is shown dimmed and each mask cell is tinted red in proportion to
 * its computed fraction (cell value 1: computed by every block of the stage, 0: skipped).
 *
 * <p>Size: width {@code (1 + stages) * (side * scale + GAP) + GAP}, height {@code HEADER + n * (side * scale + GAP)}.
 */
public final class MaskGrid {

    /** Gap between cells, pixels. */
    public static final int GAP = 4;
    /** Height of the title row, pixels. */
    public static final int HEADER = 20;

    /**
     * The data of the picture.
     *
     * @param title caption (e.g. the model name)
     * @param images {@code n} gray images of {@code side x side} values (any range; each is min-max scaled)
     * @param side image side
     * @param masks {@code [n][stages][m_s * m_s]} computed fraction per mask cell, in [0, 1]
     * @param maskSides {@code m_s} per stage
     */
    public record Data(String title, float[][] images, int side, float[][][] masks, int[] maskSides) {

        /** Validates the shapes. */
        public Data {
            if (images == null || masks == null || maskSides == null || images.length == 0) {
                throw new IllegalArgumentException("images, masks and maskSides must be non-empty");
            }
            if (masks.length != images.length) {
                throw new IllegalArgumentException("masks must have one entry per image (" + images.length
                        + "), got " + masks.length);
            }
            for (int i = 0; i < images.length; i++) {
                if (images[i].length != side * side) {
                    throw new IllegalArgumentException("image " + i + " must hold side^2 = " + side * side
                            + " values, got " + images[i].length);
                }
                if (masks[i].length != maskSides.length) {
                    throw new IllegalArgumentException("masks[" + i + "] must have " + maskSides.length
                            + " stages, got " + masks[i].length);
                }
                for (int s = 0; s < maskSides.length; s++) {
                    if (masks[i][s].length != maskSides[s] * maskSides[s]) {
                        throw new IllegalArgumentException("masks[" + i + "][" + s + "] must hold "
                                + maskSides[s] * maskSides[s] + " values, got " + masks[i][s].length);
                    }
                }
            }
        }
    }

    private MaskGrid() {}

    /**
     * Renders the picture.
     *
     * @param data the images and masks
     * @param scale pixels per image pixel, positive
     * @return the image
     */
    public static BufferedImage render(Data data, int scale) {
        if (scale <= 0) {
            throw new IllegalArgumentException("scale must be positive, got " + scale);
        }
        int n = data.images().length;
        int stages = data.maskSides().length;
        int cell = data.side() * scale;
        int w = (1 + stages) * (cell + GAP) + GAP;
        int h = HEADER + n * (cell + GAP);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawString("image", GAP, HEADER - 6);
        for (int s = 0; s < stages; s++) {
            g.drawString("stage " + (s + 1) + " (" + data.maskSides()[s] + "x" + data.maskSides()[s] + ")",
                    GAP + (1 + s) * (cell + GAP), HEADER - 6);
        }
        g.dispose();
        for (int i = 0; i < n; i++) {
            float[] im = data.images()[i];
            float lo = Float.MAX_VALUE;
            float hi = -Float.MAX_VALUE;
            for (float v : im) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            float range = hi > lo ? hi - lo : 1f;
            int y0 = HEADER + i * (cell + GAP);
            for (int col = 0; col <= stages; col++) {
                int x0 = GAP + col * (cell + GAP);
                for (int py = 0; py < cell; py++) {
                    for (int px = 0; px < cell; px++) {
                        int r = py / scale;
                        int c = px / scale;
                        float gray = (im[r * data.side() + c] - lo) / range;
                        int rgb;
                        if (col == 0) {
                            int v = Math.round(255 * gray);
                            rgb = (v << 16) | (v << 8) | v;
                        } else {
                            int m = data.maskSides()[col - 1];
                            float f = data.masks()[i][col - 1][(r * m / data.side()) * m + c * m / data.side()];
                            f = Math.max(0f, Math.min(1f, f));
                            float base = 0.15f + 0.45f * gray;
                            int red = Math.round(255 * Math.min(1f, base + 0.75f * f));
                            int gb = Math.round(255 * base * (1 - 0.6f * f));
                            rgb = (red << 16) | (gb << 8) | gb;
                        }
                        img.setRGB(x0 + px, y0 + py, rgb);
                    }
                }
            }
        }
        return img;
    }

    /**
     * Renders and writes the picture as a PNG.
     *
     * @param file the PNG file (parent directories are created)
     * @param data the images and masks
     * @param scale pixels per image pixel
     * @throws IOException if the file cannot be written
     */
    public static void write(Path file, Data data, int scale) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(render(data, scale), "png", file.toFile())) {
            throw new IOException("no PNG writer available for " + file);
        }
    }
}
