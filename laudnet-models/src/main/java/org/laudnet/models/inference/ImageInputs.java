package org.laudnet.models.inference;

import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Turns the inputs a classifier accepts into decoded images, bounding every size before it allocates: an encoded image
 * may hold at most {@value #MAX_ENCODED_BYTES} bytes, and its header must declare at most {@value #MAX_PIXELS} pixels
 * (checked before the pixels are decoded, so a small file that decompresses to a huge image is refused).
 */
public final class ImageInputs {

    /** The most bytes an encoded image may have (64 MiB). */
    public static final int MAX_ENCODED_BYTES = 64 << 20;

    /** The most pixels an image may declare (40 megapixels). */
    public static final long MAX_PIXELS = 40_000_000L;

    private ImageInputs() {}

    /**
     * Decodes one input into an image.
     *
     * @param <I> the input type
     */
    @FunctionalInterface
    public interface Decoder<I> {
        /**
         * Decodes.
         *
         * @param input the input
         * @return the image
         * @throws IOException if it is not a decodable image or exceeds the limits (the message says which)
         */
        BufferedImage decode(I input) throws IOException;
    }

    /**
     * Returns the decoder of an input type.
     *
     * @param type {@link Image}, {@link BufferedImage}, {@code byte[]} (an encoded image), {@link InputStream} or
     *     {@link Path}
     * @param <I> the input type
     * @return the decoder
     * @throws IllegalArgumentException for another type
     */
    @SuppressWarnings("unchecked")
    public static <I> Decoder<I> forType(Class<I> type) {
        if (type == Image.class) {
            return in -> fromImage((Image) in);
        }
        if (type == BufferedImage.class) {
            return in -> checked((BufferedImage) in);
        }
        if (type == byte[].class) {
            return in -> decode((byte[]) in, "image bytes");
        }
        if (type == InputStream.class) {
            return in -> decode(readBounded((InputStream) in), "image stream");
        }
        if (type == Path.class) {
            return in -> read((Path) in);
        }
        throw new IllegalArgumentException("input type must be Image, BufferedImage, byte[], InputStream or Path,"
                + " got " + type.getName());
    }

    /**
     * Reads and decodes an image file.
     *
     * @param file the file
     * @return the image
     * @throws IOException if it is missing, too large, or not a decodable image (the message names the file)
     */
    public static BufferedImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new ImageInputException(String.valueOf(file), "no such image file");
        }
        long size = Files.size(file);
        if (size > MAX_ENCODED_BYTES) {
            throw new ImageInputException(String.valueOf(file), size + " bytes, more than the limit of "
                    + MAX_ENCODED_BYTES);
        }
        return decode(Files.readAllBytes(file), file.toString());
    }

    private static byte[] readBounded(InputStream in) throws IOException {
        if (in == null) {
            throw new ImageInputException("image stream", "must not be null");
        }
        byte[] b = in.readNBytes(MAX_ENCODED_BYTES + 1);
        if (b.length > MAX_ENCODED_BYTES) {
            throw new ImageInputException("image stream", "more than " + MAX_ENCODED_BYTES + " bytes");
        }
        return b;
    }

    /**
     * Decodes an encoded image after checking the pixel count its header declares.
     *
     * @param bytes the encoded image (JPEG, PNG, BMP, GIF)
     * @param source what to call it in messages
     * @return the image
     * @throws IOException if it is not decodable or declares more than {@value #MAX_PIXELS} pixels
     */
    public static BufferedImage decode(byte[] bytes, String source) throws IOException {
        if (bytes == null || bytes.length == 0) {
            throw new ImageInputException(source, "empty");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageInputException(source, "not a decodable image (supported: JPEG, PNG, BMP, GIF)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long w = reader.getWidth(0);
                long h = reader.getHeight(0);
                if (w <= 0 || h <= 0 || w * h > MAX_PIXELS) {
                    throw new ImageInputException(source, "declares " + w + " x " + h + " = " + w * h
                            + " pixels, outside (0, " + MAX_PIXELS + "]");
                }
                BufferedImage image = reader.read(0);
                if (image == null) {
                    throw new ImageInputException(source, "not a decodable image");
                }
                return image;
            } catch (RuntimeException e) {
                throw new ImageInputException(source, "cannot decode the image: " + e.getMessage(), e);
            } finally {
                reader.dispose();
            }
        }
    }

    private static BufferedImage checked(BufferedImage image) throws IOException {
        if (image == null) {
            throw new ImageInputException("image", "must not be null");
        }
        long px = (long) image.getWidth() * image.getHeight();
        if (px <= 0 || px > MAX_PIXELS) {
            throw new ImageInputException("image", "has " + image.getWidth() + " x " + image.getHeight()
                    + " pixels, outside (0, " + MAX_PIXELS + "]");
        }
        return image;
    }

    /**
     * Returns a DJL image as a {@link BufferedImage}: the wrapped one when DJL's AWT factory made it, else its RGB
     * pixels copied.
     *
     * @param image the image
     * @return the decoded image
     * @throws IOException if it exceeds the pixel limit
     */
    public static BufferedImage fromImage(Image image) throws IOException {
        if (image == null) {
            throw new ImageInputException("image", "must not be null");
        }
        if (image.getWrappedImage() instanceof BufferedImage b) {
            return checked(b);
        }
        long px = (long) image.getWidth() * image.getHeight();
        if (px <= 0 || px > MAX_PIXELS) {
            throw new ImageInputException("image", "has " + image.getWidth() + " x " + image.getHeight()
                    + " pixels, outside (0, " + MAX_PIXELS + "]");
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray hwc = image.toNDArray(m, Image.Flag.COLOR).toType(DataType.INT32, false);
            int h = (int) hwc.getShape().get(0);
            int w = (int) hwc.getShape().get(1);
            int[] v = hwc.toIntArray();
            BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = (y * w + x) * 3;
                    out.setRGB(x, y, (v[i] << 16) | (v[i + 1] << 8) | v[i + 2]);
                }
            }
            return out;
        }
    }
}
