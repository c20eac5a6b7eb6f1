package org.laudnet.cuda.check;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Writes and reads little-endian float32 arrays in NumPy's {@code .npy} format version 1.0: the magic
 * {@code \x93NUMPY}, bytes {@code 1, 0}, a little-endian uint16 header length, an ASCII header dictionary padded with
 * spaces to a multiple of 64 bytes and ending in a newline, then the C-order data. Stateless and thread-safe.
 */
public final class Npy {

    private Npy() {}

    /**
     * Writes an array.
     *
     * @param file destination
     * @param data values in C order
     * @param shape the shape; its product must equal {@code data.length}
     * @throws IOException if writing fails
     */
    public static void write(Path file, float[] data, int... shape) throws IOException {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has " + n + " elements, data has "
                    + data.length);
        }
        String dims = Arrays.stream(shape).mapToObj(Integer::toString).collect(Collectors.joining(", "));
        if (shape.length == 1) {
            dims += ",";
        }
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
        int unpadded = 10 + dict.length() + 1;
        int total = (unpadded + 63) / 64 * 64;
        String header = dict + " ".repeat(total - unpadded) + "\n";
        try (OutputStream out = Files.newOutputStream(file)) {
            ByteBuffer h = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
            h.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
            h.putShort((short) header.length());
            out.write(h.array());
            out.write(header.getBytes(StandardCharsets.US_ASCII));
            ByteBuffer b = ByteBuffer.allocate(4 * Math.min(data.length, 1 << 18)).order(ByteOrder.LITTLE_ENDIAN);
            for (int off = 0; off < data.length; off += 1 << 18) {
                int len = Math.min(1 << 18, data.length - off);
                b.clear();
                b.asFloatBuffer().put(data, off, len);
                out.write(b.array(), 0, 4 * len);
            }
        }
    }

    /**
     * Reads a float32 array written by {@link #write} or NumPy ({@code '<f4'}, C order).
     *
     * @param file the file
     * @return the values in C order
     * @throws IOException if the file is not a little-endian float32 {@code .npy} file
     */
    public static float[] read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        if (all.length < 10 || (all[0] & 0xff) != 0x93 || !new String(all, 1, 5, StandardCharsets.US_ASCII)
                .equals("NUMPY")) {
            throw new IOException(file + ": not an .npy file");
        }
        int major = all[6];
        int headerLen;
        int start;
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            headerLen = bb.getShort(8) & 0xffff;
            start = 10;
        } else {
            headerLen = bb.getInt(8);
            start = 12;
        }
        String header = new String(all, start, headerLen, StandardCharsets.US_ASCII);
        if (!header.contains("'<f4'") || header.contains("'fortran_order': True")) {
            throw new IOException(file + ": expected little-endian float32 in C order, header " + header.strip());
        }
        int data = start + headerLen;
        float[] out = new float[(all.length - data) / 4];
        ByteBuffer.wrap(all, data, all.length - data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
