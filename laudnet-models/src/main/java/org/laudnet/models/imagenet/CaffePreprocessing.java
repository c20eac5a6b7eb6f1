package org.laudnet.models.imagenet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * The Keras/Caffe ImageNet preprocessing of the original ResNet-50: resize so the shorter side is 256 (bilinear),
 * centre-crop 224 x 224, RGB to BGR, subtract the per-channel means (103.939, 116.779, 123.68), no scaling. Output
 * layout {@code (1, 3, 224, 224)} in BGR channel order.
 */
public final class CaffePreprocessing {

    /** BGR channel means subtracted from 0..255 pixel values. */
    public static final float[] BGR_MEAN = {103.939f, 116.779f, 123.68f};

    private final int resizeShorter;
    private final int crop;

    /** The standard setting: shorter side 256, crop 224. */
    public CaffePreprocessing() {
        this(256, 224);
    }

    /**
     * A custom setting.
     *
     * @param resizeShorter the shorter side after resizing
     * @param crop the centre crop side, at most {@code resizeShorter}
     */
    public CaffePreprocessing(int resizeShorter, int crop) {
        if (crop <= 0 || resizeShorter < crop) {
            throw new IllegalArgumentException(
                    "need 0 < crop <= resizeShorter, got crop " + crop + " and resizeShorter " + resizeShorter);
        }
        this.resizeShorter = resizeShorter;
        this.crop = crop;
    }

    /**
     * Reads and decodes an image file.
     *
     * @param file the image
     * @return the decoded image
     * @throws IOException if the file is missing or cannot be decoded (the message names the file)
     */
    public static BufferedImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such image file");
        }
        BufferedImage image = ImageIO.read(file.toFile());
        if (image == null) {
            throw new IOException(file + ": not a decodable image (supported: JPEG, PNG, BMP, GIF)");
        }
        return image;
    }

    /**
     * Resizes, crops and normalises an image into CHW BGR floats.
     *
     * @param image the image
     * @return {@code 3 * crop * crop} values, channel-major (B, G, R)
     */
    public float[] toBgrChw(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        double scale = resizeShorter / (double) Math.min(w, h);
        int rw = Math.max(crop, (int) Math.round(w * scale));
        int rh = Math.max(crop, (int) Math.round(h * scale));
        BufferedImage resized = new BufferedImage(rw, rh, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = resized.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, rw, rh, null);
        g.dispose();
        int x0 = (rw - crop) / 2;
        int y0 = (rh - crop) / 2;
        float[] out = new float[3 * crop * crop];
        int plane = crop * crop;
        for (int y = 0; y < crop; y++) {
            for (int x = 0; x < crop; x++) {
                int rgb = resized.getRGB(x0 + x, y0 + y);
                int r = (rgb >> 16) & 0xff;
                int gg = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                int i = y * crop + x;
                out[i] = b - BGR_MEAN[0];
                out[plane + i] = gg - BGR_MEAN[1];
                out[2 * plane + i] = r - BGR_MEAN[2];
            }
        }
        return out;
    }

    /**
     * Preprocesses an image file into a batch of one.
     *
     * @param manager owner of the result
     * @param file the image
     * @return {@code (1, 3, crop, crop)}
     * @throws IOException if the image cannot be read
     */
    public NDArray load(NDManager manager, Path file) throws IOException {
        return manager.create(toBgrChw(read(file)), new Shape(1, 3, crop, crop));
    }
}
