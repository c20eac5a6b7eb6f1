package org.laudnet.bench.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.GZIPOutputStream;

/** Byte-level helpers of the fuzzer: numeric fields of any width and order, splices, checksums. Stateless. */
public final class Bytes {

    private Bytes() {}

    /**
     * Reads an unsigned field (for width 8, the raw 64 bits).
     *
     * @param b the bytes
     * @param offset the field's offset
     * @param width 1, 2, 4 or 8
     * @param order the byte order
     * @return the value
     */
    public static long get(byte[] b, long offset, int width, ByteOrder order) {
        ByteBuffer buf = ByteBuffer.wrap(b).order(order);
        int at = Math.toIntExact(offset);
        return switch (width) {
            case 1 -> b[at] & 0xFFL;
            case 2 -> buf.getShort(at) & 0xFFFFL;
            case 4 -> buf.getInt(at) & 0xFFFFFFFFL;
            case 8 -> buf.getLong(at);
            default -> throw new IllegalArgumentException("width must be 1, 2, 4 or 8, got " + width);
        };
    }

    /**
     * Writes a field, keeping the low {@code width} bytes of the value.
     *
     * @param b the bytes
     * @param offset the field's offset
     * @param width 1, 2, 4 or 8
     * @param order the byte order
     * @param value the value
     */
    public static void put(byte[] b, long offset, int width, ByteOrder order, long value) {
        ByteBuffer buf = ByteBuffer.wrap(b).order(order);
        int at = Math.toIntExact(offset);
        switch (width) {
            case 1 -> b[at] = (byte) value;
            case 2 -> buf.putShort(at, (short) value);
            case 4 -> buf.putInt(at, (int) value);
            case 8 -> buf.putLong(at, value);
            default -> throw new IllegalArgumentException("width must be 1, 2, 4 or 8, got " + width);
        }
    }

    /**
     * Replaces a range with other bytes.
     *
     * @param b the bytes
     * @param from the range's start
     * @param to the range's end (exclusive)
     * @param insert what replaces it
     * @return a new array
     */
    public static byte[] splice(byte[] b, int from, int to, byte[] insert) {
        byte[] out = new byte[b.length - (to - from) + insert.length];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(insert, 0, out, from, insert.length);
        System.arraycopy(b, to, out, from + insert.length, b.length - to);
        return out;
    }

    /**
     * Concatenates arrays.
     *
     * @param parts the arrays
     * @return a new array
     */
    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /**
     * Returns the first {@code n} bytes.
     *
     * @param b the bytes
     * @param n how many, at most {@code b.length}
     * @return a new array
     */
    public static byte[] head(byte[] b, long n) {
        return Arrays.copyOf(b, Math.toIntExact(n));
    }

    /**
     * The CRC-32 of a range.
     *
     * @param b the bytes
     * @param from the start
     * @param to the end (exclusive)
     * @return the checksum
     */
    public static long crc32(byte[] b, int from, int to) {
        CRC32 crc = new CRC32();
        crc.update(b, from, to - from);
        return crc.getValue();
    }

    /**
     * Gzip-compresses bytes.
     *
     * @param content the bytes
     * @return the gzip stream
     */
    public static byte[] gzip(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * The largest value a field of a width holds when read as unsigned (all bits set).
     *
     * @param width 1, 2, 4 or 8
     * @return {@code 2^(8 width) - 1}, or -1 (all bits) for width 8
     */
    public static long allOnes(int width) {
        return width == 8 ? -1L : (1L << (8 * width)) - 1;
    }
}
