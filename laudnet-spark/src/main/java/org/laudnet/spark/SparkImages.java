package org.laudnet.spark;

import java.awt.image.BufferedImage;
import java.io.IOException;
import org.apache.spark.sql.Row;
import org.laudnet.models.inference.ImageInputException;
import org.laudnet.models.inference.ImageInputs;

/**
 * Turns the values of an input column into decoded images under the limits of {@link ImageInputs}: encoded image bytes
 * (a {@code binary} column, e.g. {@code content} of Spark's {@code binaryFile} source) go through
 * {@link ImageInputs#decode}; a row of Spark's image schema ({@code struct<origin, height, width, nChannels, mode,
 * data>}, as the {@code image} source makes it: 8-bit BGR, BGRA or gray pixels, row-major) is checked (sizes positive,
 * {@code height * width * nChannels == data.length}, the pixel and aspect-ratio limits) before its pixels are copied.
 * Every refusal is an {@link ImageInputException} naming the source and the offending value. Stateless and
 * thread-safe.
 */
final class SparkImages {

    private SparkImages() {}

    /**
     * Decodes encoded image bytes.
     *
     * @param bytes the bytes, or null
     * @param source what to call the image in messages (its path, or the column)
     * @return the image
     * @throws IOException if the value is null, empty, not a decodable image or beyond the limits
     */
    static BufferedImage fromBytes(byte[] bytes, String source) throws IOException {
        if (bytes == null) {
            throw new ImageInputException(source, "no image (null)");
        }
        return ImageInputs.decode(bytes, source);
    }

    /**
     * Copies a row of Spark's image schema into an image.
     *
     * @param image the struct, or null
     * @param source what to call the image in messages when its {@code origin} is empty
     * @return the image ({@code TYPE_INT_RGB})
     * @throws ImageInputException if the row is null, its sizes are not positive, its data does not hold
     *     {@code height * width * nChannels} bytes, its channels are not 1, 3 or 4, or it is beyond the limits
     */
    static BufferedImage fromImageRow(Row image, String source) throws ImageInputException {
        if (image == null) {
            throw new ImageInputException(source, "no image (null)");
        }
        String origin = image.isNullAt(image.fieldIndex("origin")) ? "" : image.getAs("origin");
        String name = origin == null || origin.isEmpty() ? source : origin;
        int height = intField(image, "height", name);
        int width = intField(image, "width", name);
        int channels = intField(image, "nChannels", name);
        byte[] data = image.isNullAt(image.fieldIndex("data")) ? null : image.getAs("data");
        if (height <= 0 || width <= 0) {
            throw new ImageInputException(name, "image row of " + width + " x " + height + " pixels: sizes must be"
                    + " positive (an undecodable file in Spark's image source)");
        }
        if (channels != 1 && channels != 3 && channels != 4) {
            throw new ImageInputException(name, "image row with nChannels " + channels + ": must be 1, 3 or 4");
        }
        long expected = (long) height * width * channels;
        if (data == null || data.length != expected) {
            throw new ImageInputException(name, "image row of " + width + " x " + height + " x " + channels
                    + " must hold " + expected + " data bytes, got " + (data == null ? "null" : data.length));
        }
        if ((long) width * height > ImageInputs.MAX_PIXELS) {
            throw new ImageInputException(name, "has " + width + " x " + height + " pixels, more than "
                    + ImageInputs.MAX_PIXELS + " (ImageInputs.MAX_PIXELS)");
        }
        if (Math.max(width, height) > (long) ImageInputs.MAX_ASPECT_RATIO * Math.min(width, height)) {
            throw new ImageInputException(name, "has " + width + " x " + height + " pixels, an aspect ratio beyond"
                    + " the limit of " + ImageInputs.MAX_ASPECT_RATIO + ":1 (ImageInputs.MAX_ASPECT_RATIO)");
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] rgb = new int[width];
        for (int y = 0; y < height; y++) {
            int row = y * width * channels;
            for (int x = 0; x < width; x++) {
                int i = row + x * channels;
                if (channels == 1) {
                    int g = data[i] & 0xff;
                    rgb[x] = (g << 16) | (g << 8) | g;
                } else {
                    // BGR(A): blue first
                    rgb[x] = ((data[i + 2] & 0xff) << 16) | ((data[i + 1] & 0xff) << 8) | (data[i] & 0xff);
                }
            }
            out.setRGB(0, y, width, 1, rgb, 0, width);
        }
        return out;
    }

    private static int intField(Row image, String field, String name) throws ImageInputException {
        int i;
        try {
            i = image.fieldIndex(field);
        } catch (IllegalArgumentException e) {
            throw new ImageInputException(name, "image row without the field '" + field + "'");
        }
        if (image.isNullAt(i)) {
            throw new ImageInputException(name, "image row with a null " + field);
        }
        return image.getInt(i);
    }
}
