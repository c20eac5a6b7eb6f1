package org.laudnet.models.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed (detected from the gzip magic bytes, not
 * the file name).
 *
 * <p>Layout: a big-endian magic {@code 0x00 0x00 type rank} ({@code type 0x08} = unsigned byte), then {@code rank}
 * big-endian int32 dimensions, then the data. Images are rank 3 ({@code 0x00000803}: count, rows, cols), labels rank 1
 * ({@code 0x00000801}: count).
 */
public final class IdxReader {

    /** Magic number of an unsigned-byte rank-3 (images) file. */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an unsigned-byte rank-1 (labels) file. */
    public static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() {}

    /**
     * Reads an IDX3 unsigned-byte image file.
     *
     * @param file the file ({@code .gz} or raw)
     * @return the images
     * @throws IdxFormatException if the magic number, dimensions or length are wrong (the message names the file)
     * @throws IOException if the file cannot be read
     */
    public static IdxImages readImages(Path file) throws IOException {
        try (DataInputStream in = open(file)) {
            checkMagic(file, in, IMAGES_MAGIC, "images (0x00000803)");
            int count = dimension(file, in, "count");
            int rows = dimension(file, in, "rows");
            int cols = dimension(file, in, "cols");
            long n = (long) count * rows * cols;
            if (n > Integer.MAX_VALUE - 8) {
                throw new IdxFormatException(file, "too large: " + count + "x" + rows + "x" + cols);
            }
            byte[] pixels = readFully(file, in, (int) n);
            return new IdxImages(count, rows, cols, pixels);
        }
    }

    /**
     * Reads an IDX1 unsigned-byte label file.
     *
     * @param file the file ({@code .gz} or raw)
     * @return one label per item, unsigned values in {@code [0, 255]}
     * @throws IdxFormatException if the magic number or length is wrong (the message names the file)
     * @throws IOException if the file cannot be read
     */
    public static int[] readLabels(Path file) throws IOException {
        try (DataInputStream in = open(file)) {
            checkMagic(file, in, LABELS_MAGIC, "labels (0x00000801)");
            int count = dimension(file, in, "count");
            byte[] raw = readFully(file, in, count);
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = raw[i] & 0xFF;
            }
            return labels;
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new java.io.FileNotFoundException("IDX file " + file + " does not exist or is not a regular file");
        }
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        raw.mark(2);
        int b0 = raw.read();
        int b1 = raw.read();
        raw.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            raw = new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
        }
        return new DataInputStream(raw);
    }

    private static void checkMagic(Path file, DataInputStream in, int expected, String what) throws IOException {
        int magic;
        try {
            magic = in.readInt();
        } catch (EOFException e) {
            throw new IdxFormatException(file, "shorter than its 4-byte magic number");
        }
        if (magic != expected) {
            throw new IdxFormatException(file, String.format(
                    "magic number 0x%08x, expected 0x%08x for %s", magic, expected, what));
        }
    }

    private static int dimension(Path file, DataInputStream in, String name) throws IOException {
        int v;
        try {
            v = in.readInt();
        } catch (EOFException e) {
            throw new IdxFormatException(file, "truncated header: missing dimension '" + name + "'");
        }
        if (v < 0) {
            throw new IdxFormatException(file, "negative dimension '" + name + "' = " + v);
        }
        return v;
    }

    private static byte[] readFully(Path file, DataInputStream in, int n) throws IOException {
        byte[] data = new byte[n];
        try {
            in.readFully(data);
        } catch (EOFException e) {
            throw new IdxFormatException(file, "truncated: the header announces " + n + " data bytes");
        }
        if (in.read() != -1) {
            throw new IdxFormatException(file, "trailing bytes after the " + n + " data bytes the header announces");
        }
        return data;
    }
}
