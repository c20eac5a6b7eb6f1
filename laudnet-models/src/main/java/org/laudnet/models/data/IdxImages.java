package org.laudnet.models.data;

import org.laudnet.core.util.Checks;

/**
 * The images of an IDX3 file: {@code count} gray images of {@code rows x cols} unsigned bytes, row-major, image after
 * image.
 *
 * @param count number of images
 * @param rows image height
 * @param cols image width
 * @param pixels {@code count * rows * cols} bytes (read them with {@code & 0xFF})
 */
public record IdxImages(int count, int rows, int cols, byte[] pixels) {

    /** Validates the sizes against the pixel buffer. */
    public IdxImages {
        Checks.nonNegative("count", count);
        Checks.positive("rows", rows);
        Checks.positive("cols", cols);
        if (pixels == null || pixels.length != (long) count * rows * cols) {
            throw new IllegalArgumentException("pixels must hold count*rows*cols = " + ((long) count * rows * cols)
                    + " bytes, got " + (pixels == null ? "null" : pixels.length));
        }
    }

    /**
     * Returns one pixel as an unsigned value.
     *
     * @param image image index
     * @param row row
     * @param col column
     * @return the value in {@code [0, 255]}
     */
    public int pixel(int image, int row, int col) {
        return pixels[(image * rows + row) * cols + col] & 0xFF;
    }
}
