package org.laudnet.models.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed (detected from the gzip magic bytes, not
 * the file name).
 *
 * <p>Layout: a big-endian magic {@code 0x00 0x00 type rank} ({@code type 0x08} = unsigned byte), then {@code rank}
 * big-endian int32 dimensions, then the data. Images are rank 3 ({@code 0x00000803}: count, rows, cols), labels rank 1
 * ({@code 0x00000801}: count).
 *
 * <p>Files are untrusted input: the data size the dimensions declare is checked against what the file can hold before
 * anything is allocated (exactly the bytes after the header for a raw file; at most {@value #MAX_GZIP_RATIO} times the
 * file's size for a gzip file, DEFLATE's largest expansion, and the buffer then grows only with the bytes actually
 * decompressed), and a missing, truncated, corrupt (gzip) or inconsistent file is an {@link IdxFormatException} naming
 * it. Stateless and thread-safe.
 */
public final class IdxReader {

    /** Magic number of an unsigned-byte rank-3 (images) file. */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an unsigned-byte rank-1 (labels) file. */
    public static final int LABELS_MAGIC = 0x00000801;

    /** The most bytes DEFLATE expands one compressed byte into; bounds what a gzip IDX file can declare. */
    public static final int MAX_GZIP_RATIO = 1032;

    /** The largest data section read, in bytes (one Java array). */
    static final long MAX_DATA_BYTES = Integer.MAX_VALUE - 8L;

    private IdxReader() {}

    /**
     * Reads an IDX3 unsigned-byte image file.
     *
     * @param file the file ({@code .gz} or raw)
     * @return the images
     * @throws IdxFormatException if the file is missing or not a regular file, its magic number, dimensions or length
     *     are wrong, or its gzip stream is corrupt (the message names the file)
     * @throws IOException if the file cannot be read
     */
    public static IdxImages readImages(Path file) throws IOException {
        try (Input in = Input.open(file)) {
            in.checkMagic(IMAGES_MAGIC, "images (0x00000803)");
            int count = in.dimension("count");
            int rows = in.dimension("rows");
            int cols = in.dimension("cols");
            if (rows == 0 || cols == 0) {
                throw new IdxFormatException(file, "images must have positive rows and cols, got " + rows + "x"
                        + cols);
            }
            long n = (long) count * rows;
            if (n > MAX_DATA_BYTES || n * cols > MAX_DATA_BYTES) {
                throw new IdxFormatException(file, "too large: " + count + "x" + rows + "x" + cols
                        + " bytes, more than " + MAX_DATA_BYTES);
            }
            byte[] pixels = in.data((int) (n * cols));
            return new IdxImages(count, rows, cols, pixels);
        }
    }

    /**
     * Reads an IDX1 unsigned-byte label file.
     *
     * @param file the file ({@code .gz} or raw)
     * @return one label per item, unsigned values in {@code [0, 255]}
     * @throws IdxFormatException if the file is missing or not a regular file, its magic number or length is wrong,
     *     or its gzip stream is corrupt (the message names the file)
     * @throws IOException if the file cannot be read
     */
    public static int[] readLabels(Path file) throws IOException {
        try (Input in = Input.open(file)) {
            in.checkMagic(LABELS_MAGIC, "labels (0x00000801)");
            int count = in.dimension("count");
            byte[] raw = in.data(count);
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = raw[i] & 0xFF;
            }
            return labels;
        }
    }

    /** An open IDX file: its (possibly decompressed) stream, whether it is gzip, and the bytes read so far. */
    private static final class Input implements AutoCloseable {
        private final Path file;
        private final DataInputStream in;
        private final boolean gzip;
        private final long fileBytes;
        /** Header bytes read so far (of the decompressed stream for gzip). */
        private long headerBytes;

        private Input(Path file, DataInputStream in, boolean gzip, long fileBytes) {
            this.file = file;
            this.in = in;
            this.gzip = gzip;
            this.fileBytes = fileBytes;
        }

        static Input open(Path file) throws IOException {
            if (file == null) {
                throw new IllegalArgumentException("file must not be null");
            }
            if (Files.isDirectory(file)) {
                throw new IdxFormatException(file, "is a directory, not an IDX file");
            }
            if (!Files.isRegularFile(file)) {
                throw new IdxFormatException(file, "does not exist or is not a regular file");
            }
            long size = Files.size(file);
            InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            try {
                raw.mark(2);
                int b0 = raw.read();
                int b1 = raw.read();
                raw.reset();
                boolean gzip = b0 == 0x1f && b1 == 0x8b;
                if (gzip) {
                    try {
                        raw = new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
                    } catch (ZipException | EOFException e) {
                        throw new IdxFormatException(file, "corrupt or truncated gzip header: " + e.getMessage());
                    }
                }
                return new Input(file, new DataInputStream(raw), gzip, size);
            } catch (IOException | RuntimeException e) {
                raw.close();
                throw e;
            }
        }

        void checkMagic(int expected, String what) throws IOException {
            int magic;
            try {
                magic = readInt();
            } catch (EOFException e) {
                throw new IdxFormatException(file, "shorter than its 4-byte magic number");
            }
            if (magic != expected) {
                throw new IdxFormatException(file, String.format(
                        "magic number 0x%08x, expected 0x%08x for %s", magic, expected, what));
            }
        }

        int dimension(String name) throws IOException {
            int v;
            try {
                v = readInt();
            } catch (EOFException e) {
                throw new IdxFormatException(file, "truncated header: missing dimension '" + name + "'");
            }
            if (v < 0) {
                throw new IdxFormatException(file, "negative dimension '" + name + "' = " + v);
            }
            return v;
        }

        private int readInt() throws IOException {
            try {
                int v = in.readInt();
                headerBytes += 4;
                return v;
            } catch (ZipException e) {
                throw corrupt(e);
            }
        }

        /**
         * Reads the {@code n} data bytes the header declares and checks that nothing follows; {@code n} is checked
         * against what the file can hold before the array is allocated.
         */
        byte[] data(int n) throws IOException {
            if (!gzip && n != fileBytes - headerBytes) {
                if (n > fileBytes - headerBytes) {
                    throw new IdxFormatException(file, "truncated: the header announces " + n + " data bytes, the file"
                            + " holds " + (fileBytes - headerBytes) + " after its " + headerBytes + "-byte header");
                }
                throw new IdxFormatException(file, "trailing bytes after the " + n + " data bytes the header announces"
                        + " (" + (fileBytes - headerBytes - n) + " more)");
            }
            if (gzip && n > MAX_GZIP_RATIO * fileBytes) {
                throw new IdxFormatException(file, "the header announces " + n + " data bytes, more than a gzip file "
                        + "of " + fileBytes + " bytes can hold (at most " + MAX_GZIP_RATIO * fileBytes + ")");
            }
            byte[] data;
            try {
                // for gzip the size is only bounded: the array grows with the bytes actually decompressed
                data = gzip ? in.readNBytes(n) : new byte[n];
                if (!gzip) {
                    in.readFully(data);
                }
                if (data.length < n) {
                    throw new IdxFormatException(file, "truncated: the header announces " + n + " data bytes, the "
                            + "stream ends after " + data.length);
                }
                if (in.read() != -1) {
                    throw new IdxFormatException(file, "trailing bytes after the " + n + " data bytes the header "
                            + "announces");
                }
            } catch (EOFException e) {
                throw new IdxFormatException(file, "truncated: the header announces " + n + " data bytes ("
                        + (gzip ? "the gzip stream ends early" : e.getMessage()) + ")");
            } catch (ZipException e) {
                throw corrupt(e);
            }
            return data;
        }

        private IdxFormatException corrupt(ZipException e) {
            return new IdxFormatException(file, "corrupt gzip stream: " + e.getMessage());
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
