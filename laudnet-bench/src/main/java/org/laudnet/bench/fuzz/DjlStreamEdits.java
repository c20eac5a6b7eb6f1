package org.laudnet.bench.fuzz;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.laudnet.models.io.ParameterStreamCheck;

/**
 * Tensor-level edits of a DJL parameter stream (the payload of model files and checkpoints), at the records that
 * {@link ParameterStreamCheck#layout} locates: a parameter removed or written twice, renamed, marked absent, given
 * another shape, rank, data type, byte order or data length. Positions inside a record follow DJL's encoding: a 2-byte
 * marker ({@code 'P'}), a version byte, the name ({@code writeUTF}), the array header (magic, version, name, sparse
 * format, data type), then the shape (int32 rank, int64 dimensions, int32 layout length, the layout's chars), a byte
 * order character ({@code '<'}), the int32 data length and the data; numbers big-endian. Stateless and thread-safe.
 */
public final class DjlStreamEdits {

    private DjlStreamEdits() {}

    /**
     * An edited stream.
     *
     * @param stream the new stream
     * @param description what was changed
     */
    public record Edit(byte[] stream, String description) {}

    /**
     * Fields of one record that {@link FileLayout}s expose: the data length, the rank and each dimension.
     *
     * @param entry the record
     * @param stream the file holding the stream
     * @param base the stream's offset in the file
     * @param b the layout to add to
     * @throws IllegalStateException if the record does not have the expected encoding
     */
    public static void describe(ParameterStreamCheck.Entry entry, byte[] stream, long base, FileLayout.Builder b) {
        int rank = entry.shape().dimension();
        long lengthAt = entry.dataOffset() - 4;
        long shapeAt = shapeOffset(entry);
        if (Bytes.get(stream, base + shapeAt, 4, ByteOrder.BIG_ENDIAN) != rank
                || Bytes.get(stream, base + lengthAt, 4, ByteOrder.BIG_ENDIAN) != entry.dataBytes()) {
            throw new IllegalStateException("the record of " + entry.parameter() + " does not have DJL's shape "
                    + "encoding (rank " + rank + " at " + shapeAt + ", data length at " + lengthAt + ")");
        }
        b.boundary(base + entry.headerOffset(), "record of " + entry.parameter());
        b.boundary(base + entry.dataOffset(), "data of " + entry.parameter());
        b.field(base + lengthAt, 4, ByteOrder.BIG_ENDIAN, FileLayout.FieldRole.LENGTH,
                "data length of " + entry.parameter());
        b.field(base + shapeAt, 4, ByteOrder.BIG_ENDIAN, FileLayout.FieldRole.COUNT, "rank of " + entry.parameter());
        for (int d = 0; d < rank; d++) {
            b.field(base + shapeAt + 4 + 8L * d, 8, ByteOrder.BIG_ENDIAN, FileLayout.FieldRole.DIMENSION,
                    "dimension " + d + " of " + entry.parameter());
        }
        b.values(base + entry.dataOffset(), entry.dataBytes() / 4, 4, ByteOrder.nativeOrder(), entry.parameter());
    }

    /**
     * Applies one random record edit.
     *
     * @param stream the valid stream (not modified)
     * @param entries its records
     * @param random the random source
     * @return the edited stream
     */
    public static Edit mutate(byte[] stream, List<ParameterStreamCheck.Entry> entries, SplittableRandom random) {
        ParameterStreamCheck.Entry e = entries.get(random.nextInt(entries.size()));
        int start = (int) e.headerOffset();
        int end = (int) (e.dataOffset() + e.dataBytes());
        String p = "parameter " + e.parameter();
        byte[] b = stream.clone();
        int rank = e.shape().dimension();
        int lengthAt = (int) e.dataOffset() - 4;
        int shapeAt = (int) shapeOffset(e);
        switch (random.nextInt(9)) {
            case 0 -> {
                return new Edit(Bytes.splice(stream, start, end, new byte[0]), p + " removed (missing tensor)");
            }
            case 1 -> {
                byte[] record = java.util.Arrays.copyOfRange(stream, start, end);
                return new Edit(Bytes.splice(stream, end, end, record), p + " written twice (duplicate tensor)");
            }
            case 2 -> {
                ParameterStreamCheck.Entry other = entries.get(random.nextInt(entries.size()));
                byte[] otherName = name(stream, (int) other.headerOffset());
                byte[] record = java.util.Arrays.copyOfRange(stream, start, end);
                int nameLength = (int) Bytes.get(record, 3, 2, ByteOrder.BIG_ENDIAN);
                byte[] renamed = Bytes.splice(record, 3, 5 + nameLength, Bytes.concat(
                        new byte[] {(byte) (otherName.length >> 8), (byte) otherName.length}, otherName));
                if (otherName.length == nameLength) {
                    renamed[5 + random.nextInt(Math.max(1, nameLength))] ^= 0x01;
                }
                return new Edit(Bytes.splice(stream, start, end, renamed), p + " renamed ('"
                        + new String(otherName, StandardCharsets.UTF_8) + "' or a variant)");
            }
            case 3 -> {
                b[start + 1] = 'N';
                return new Edit(b, p + " marked absent ('N')");
            }
            case 4 -> {
                if (rank == 0) {
                    Bytes.put(b, shapeAt, 4, ByteOrder.BIG_ENDIAN, 1);
                    return new Edit(b, p + " rank 0 -> 1");
                }
                int d = random.nextInt(rank);
                long[] values = {0, -1, e.shape().get(d) + 1, e.shape().get(d) * 2, Integer.MAX_VALUE, Long.MAX_VALUE,
                    1L << 40};
                long v = values[random.nextInt(values.length)];
                Bytes.put(b, shapeAt + 4 + 8L * d, 8, ByteOrder.BIG_ENDIAN, v);
                return new Edit(b, p + " dimension " + d + " " + e.shape().get(d) + " -> " + v
                        + " (shape mismatch)");
            }
            case 5 -> {
                long[] values = {0, -1, rank + 1, Integer.MAX_VALUE, 1 << 28};
                long v = values[random.nextInt(values.length)];
                Bytes.put(b, shapeAt, 4, ByteOrder.BIG_ENDIAN, v);
                return new Edit(b, p + " rank " + rank + " -> " + (int) v);
            }
            case 6 -> {
                long[] values = {0, -1, e.dataBytes() + 4, e.dataBytes() - 4, Integer.MAX_VALUE, Integer.MIN_VALUE,
                    Integer.MAX_VALUE - 8};
                long v = values[random.nextInt(values.length)];
                Bytes.put(b, lengthAt, 4, ByteOrder.BIG_ENDIAN, v);
                return new Edit(b, p + " data length " + e.dataBytes() + " -> " + (int) v + " (size mismatch)");
            }
            case 7 -> {
                b[lengthAt - 1] = (byte) (b[lengthAt - 1] == '<' ? '>' : '<');
                return new Edit(b, p + " byte order '" + (char) stream[lengthAt - 1] + "' -> '" + (char) b[lengthAt - 1]
                        + "'");
            }
            default -> {
                String[] types = {"FLOAT64", "FLOAT16", "UINT8\0\0", "BOOLEAN", "FLOAT3\u00ff"};
                String t = types[random.nextInt(types.length)];
                int at = indexOf(b, "FLOAT32".getBytes(StandardCharsets.US_ASCII), start, (int) e.dataOffset());
                if (at < 0) {
                    b[lengthAt] ^= 0x40;
                    return new Edit(b, p + " data length changed");
                }
                System.arraycopy(t.getBytes(StandardCharsets.ISO_8859_1), 0, b, at, 7);
                return new Edit(b, p + " data type FLOAT32 -> " + t.replace("\0", "\\0"));
            }
        }
    }

    /** The offset of a record's shape (its rank field): before the layout, the byte order and the data length. */
    static long shapeOffset(ParameterStreamCheck.Entry e) {
        int rank = e.shape().dimension();
        return e.dataOffset() - 4 - 1 - (4 + 8L * rank + 4 + 2L * rank);
    }

    private static byte[] name(byte[] stream, int recordStart) {
        int n = (int) Bytes.get(stream, recordStart + 3, 2, ByteOrder.BIG_ENDIAN);
        return java.util.Arrays.copyOfRange(stream, recordStart + 5, recordStart + 5 + n);
    }

    private static int indexOf(byte[] b, byte[] what, int from, int to) {
        outer:
        for (int i = from; i + what.length <= to; i++) {
            for (int j = 0; j < what.length; j++) {
                if (b[i + j] != what[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
