package org.laudnet.models.io;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Checks an untrusted DJL parameter stream (the bytes of {@link Block#saveParameters}, as stored in model files and
 * checkpoints) against the block that is to load it, <em>before</em> DJL reads it: DJL's reader allocates what the
 * stream's own count and length fields declare (shape ranks, input-shape counts, a direct buffer per array) before it
 * notices that the stream cannot hold them, and it accepts parameters of any shape, data type or an "absent" marker,
 * which would leave a network partly initialised.
 *
 * <p>The check takes the block's own stream as the template: the block (built and initialised from the same
 * description) writes its parameters into a comparing sink, which never stores them. Every byte of the template outside
 * the arrays' data (block versions, recorded input shapes, parameter names, array headers with data type, shape and
 * byte length) must appear unchanged at the same offset of the stream; the data bytes of each array may differ but must
 * be finite numbers for floating-point arrays; and the stream must end where the template ends. A stream that passes
 * therefore has exactly the structure DJL expects, every length field equals the block's own, and loading it allocates
 * nothing the block does not already hold. Values are read in the platform's byte order, as DJL writes and reads them.
 *
 * <p>{@link #recordedInputShapes} reads the input shapes a stream's top-level block recorded (bounded), so that a loader
 * can initialise a block exactly as the stream's writer had before comparing.
 *
 * <p>Stateless and thread-safe; the block must not be modified while it is checked.
 */
public final class ParameterStreamCheck {

    /** The most input shapes {@link #recordedInputShapes} accepts for the top-level block. */
    public static final int MAX_RECORDED_SHAPES = 16;

    /** The highest rank {@link #recordedInputShapes} accepts for one recorded input shape. */
    public static final int MAX_RECORDED_RANK = 8;

    private ParameterStreamCheck() {}

    /** What kind of problem a stream has. */
    public enum ProblemKind {
        /** The stream's structure differs from the block's: truncated, extended, or another count, shape or name. */
        STRUCTURE,
        /** A floating-point parameter holds NaN or an infinity. */
        NON_FINITE
    }

    /**
     * A problem found in a parameter stream.
     *
     * @param kind what kind of problem it is
     * @param parameter the block's key of the parameter concerned (as in {@link Block#getParameters()}), or null when
     *     the problem is outside any parameter
     * @param offset the byte offset in the checked range where the problem was found
     * @param detail what is wrong, naming the offending value
     */
    public record Problem(ProblemKind kind, String parameter, long offset, String detail) {

        /**
         * Returns a one-line description: the parameter (when known), the offset and the detail.
         *
         * @return the description
         */
        public String describe() {
            return (parameter == null ? "" : "parameter '" + parameter + "': ") + detail + " (byte " + offset
                    + " of the parameter stream)";
        }
    }

    /**
     * Where one parameter's record lies in a stream that passed the check.
     *
     * @param parameter the block's key of the parameter
     * @param headerOffset the offset of the record (its marker, name and array header)
     * @param dataOffset the offset of the array's data bytes
     * @param dataBytes the number of data bytes
     * @param dataType the array's data type
     * @param shape the array's shape
     */
    public record Entry(String parameter, long headerOffset, long dataOffset, long dataBytes, DataType dataType,
            Shape shape) {}

    /**
     * Verifies a parameter stream against the block that is to load it.
     *
     * @param block the initialised block (every parameter initialised)
     * @param bytes the buffer holding the stream
     * @param offset where the stream starts in {@code bytes}
     * @param length the stream's length
     * @return the first problem, or empty if the stream has exactly the block's structure and finite values
     * @throws IllegalArgumentException if the block is not initialised or the range lies outside {@code bytes}
     */
    public static Optional<Problem> verify(Block block, byte[] bytes, int offset, int length) {
        Matcher m = match(block, bytes, offset, length);
        return Optional.ofNullable(m.problem);
    }

    /**
     * Returns the records of a stream that passes {@link #verify}, e.g. to locate one parameter's values.
     *
     * @param block the initialised block
     * @param bytes the buffer holding the stream
     * @param offset where the stream starts
     * @param length the stream's length
     * @return the parameter records in stream order
     * @throws IllegalArgumentException if the stream does not pass the check (the message describes the problem), the
     *     block is not initialised or the range lies outside {@code bytes}
     */
    public static List<Entry> layout(Block block, byte[] bytes, int offset, int length) {
        Matcher m = match(block, bytes, offset, length);
        if (m.problem != null) {
            throw new IllegalArgumentException("the stream does not match the block: " + m.problem.describe());
        }
        return List.copyOf(m.entries);
    }

    /**
     * Reads the input shapes the top-level block of a stream recorded when it was initialised: the stream starts with
     * the block's version byte and, for blocks that keep DJL's default metadata ({@code AbstractBlock}, such as the
     * library's backbones), an int32 count followed by the shapes (int32 rank, the dimensions as int64, int32 layout
     * length, the layout characters). Every count is bounded before anything is allocated.
     *
     * @param bytes the buffer holding the stream
     * @param offset where the stream starts
     * @param length the stream's length
     * @return the recorded shapes
     * @throws IllegalArgumentException naming the field if the stream does not start with such a record: shorter than
     *     it, more than {@value #MAX_RECORDED_SHAPES} shapes, a rank above {@value #MAX_RECORDED_RANK}, a negative
     *     dimension, or a layout longer than the rank
     */
    public static Shape[] recordedInputShapes(byte[] bytes, int offset, int length) {
        checkRange(bytes, offset, length);
        ByteBuffer b = ByteBuffer.wrap(bytes, offset, length).order(ByteOrder.BIG_ENDIAN).slice();
        require(b, 1 + 4, "the block version and input-shape count");
        b.get();
        int count = b.getInt();
        if (count < 0 || count > MAX_RECORDED_SHAPES) {
            throw new IllegalArgumentException("the recorded input-shape count must be in [0, " + MAX_RECORDED_SHAPES
                    + "], got " + count + " at byte 1");
        }
        Shape[] shapes = new Shape[count];
        for (int s = 0; s < count; s++) {
            int at = b.position();
            require(b, 4, "the rank of input shape " + s);
            int rank = b.getInt();
            if (rank < 0 || rank > MAX_RECORDED_RANK) {
                throw new IllegalArgumentException("the rank of recorded input shape " + s + " must be in [0, "
                        + MAX_RECORDED_RANK + "], got " + rank + " at byte " + at);
            }
            require(b, 8L * rank + 4, "the dimensions of input shape " + s);
            long[] dims = new long[rank];
            for (int d = 0; d < rank; d++) {
                dims[d] = b.getLong();
                if (dims[d] < 0) {
                    throw new IllegalArgumentException("dimension " + d + " of recorded input shape " + s
                            + " must be non-negative, got " + dims[d]);
                }
            }
            int layout = b.getInt();
            if (layout < 0 || layout > rank) {
                throw new IllegalArgumentException("the layout length of recorded input shape " + s
                        + " must be in [0, " + rank + "], got " + layout);
            }
            require(b, 2L * layout, "the layout of input shape " + s);
            StringBuilder chars = new StringBuilder(layout);
            for (int c = 0; c < layout; c++) {
                chars.append(b.getChar());
            }
            shapes[s] = layout == 0 ? new Shape(dims) : new Shape(dims, chars.toString());
        }
        return shapes;
    }

    private static void require(ByteBuffer b, long n, String what) {
        if (b.remaining() < n) {
            throw new IllegalArgumentException("the stream ends at byte " + b.limit() + " inside " + what);
        }
    }

    private static void checkRange(byte[] bytes, int offset, int length) {
        if (bytes == null || offset < 0 || length < 0 || (long) offset + length > bytes.length) {
            throw new IllegalArgumentException("range [" + offset + ", " + ((long) offset + length)
                    + ") must lie inside the buffer of " + (bytes == null ? "null" : bytes.length + " bytes"));
        }
    }

    private static Matcher match(Block block, byte[] bytes, int offset, int length) {
        if (block == null) {
            throw new IllegalArgumentException("block must not be null");
        }
        checkRange(bytes, offset, length);
        List<Expected> expected = new ArrayList<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            Parameter parameter = p.getValue();
            if (!parameter.isInitialized()) {
                throw new IllegalArgumentException("block must be initialised, parameter " + p.getKey() + " is not");
            }
            expected.add(Expected.of(p.getKey(), parameter));
        }
        Matcher m = new Matcher(expected, bytes, offset, length);
        try (DataOutputStream out = new DataOutputStream(m)) {
            block.saveParameters(out);
            out.flush();
            m.finish();
        } catch (Mismatch stop) {
            // m.problem holds the first problem
        } catch (IOException e) {
            throw new IllegalStateException("the block could not write its own parameters: " + e.getMessage(), e);
        }
        return m;
    }

    /** One parameter as the block writes it: the record's bytes up to its data, and the data's size and type. */
    private record Expected(String key, byte[] header, long dataBytes, DataType dataType, Shape shape) {

        static Expected of(String key, Parameter parameter) {
            HeaderCapture capture = new HeaderCapture();
            try (DataOutputStream out = new DataOutputStream(capture)) {
                parameter.save(out);
            } catch (IOException e) {
                throw new IllegalStateException("parameter " + key + " could not be written: " + e.getMessage(), e);
            }
            DataType type = parameter.getArray().getDataType();
            Shape shape = parameter.getArray().getShape();
            long data = shape.size() * type.getNumOfBytes();
            long headerLength = capture.total - data;
            if (headerLength <= 0 || headerLength > capture.head.length) {
                throw new IllegalStateException("parameter " + key + " wrote " + capture.total + " bytes, which do not"
                        + " end with its " + data + " data bytes");
            }
            return new Expected(key, Arrays.copyOf(capture.head, (int) headerLength), data, type, shape);
        }

        /** The last (up to) eight header bytes as a big-endian number, the key of the header lookup. */
        long tail() {
            long t = 0;
            for (int i = Math.max(0, header.length - 8); i < header.length; i++) {
                t = t << 8 | (header[i] & 0xFF);
            }
            return t;
        }
    }

    /** Keeps the first bytes written (a parameter record's header) and counts the rest. */
    private static final class HeaderCapture extends OutputStream {
        private static final int KEEP = 1 << 12;
        private final byte[] head = new byte[KEEP];
        private long total;

        @Override
        public void write(int b) {
            if (total < KEEP) {
                head[(int) total] = (byte) b;
            }
            total++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (total < KEEP) {
                System.arraycopy(b, off, head, (int) total, (int) Math.min(len, KEEP - total));
            }
            total += len;
        }
    }

    /** Thrown inside the block's writer to stop it at the first problem. */
    private static final class Mismatch extends IOException {
        private static final long serialVersionUID = 1L;

        Mismatch() {
            super("the parameter stream differs from the block's");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /**
     * The comparing sink: the block's template bytes arrive in order and are compared with the stream at the same
     * offset, except inside the data of a parameter, which is skipped in the template and checked for finiteness in
     * the stream. A parameter's data starts where the template has just written one of the expected record headers.
     */
    private static final class Matcher extends OutputStream {
        private final byte[] bytes;
        private final int base;
        private final int length;
        private final Map<Long, List<Expected>> byTail = new HashMap<>();
        private final List<Expected> unmatched;
        private final List<Entry> entries = new ArrayList<>();
        private Problem problem;
        /** The next offset (relative to base) to compare. */
        private int cursor;
        /** Data bytes of the current parameter still to skip in the template. */
        private long dataLeft;
        /** The last eight template bytes as a big-endian number. */
        private long tail;
        private String lastParameter;

        Matcher(List<Expected> expected, byte[] bytes, int base, int length) {
            this.bytes = bytes;
            this.base = base;
            this.length = length;
            this.unmatched = new ArrayList<>(expected);
            for (Expected e : expected) {
                byTail.computeIfAbsent(e.tail(), k -> new ArrayList<>()).add(e);
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            int i = off;
            int end = off + len;
            while (i < end) {
                if (dataLeft > 0) {
                    int n = (int) Math.min(dataLeft, end - i);
                    dataLeft -= n;
                    i += n;
                    continue;
                }
                if (cursor >= length) {
                    fail(nextParameter(), cursor, "the stream ends " + where() + " (truncated, or written by another"
                            + " network)");
                }
                byte expected = b[i];
                byte found = bytes[base + cursor];
                if (found != expected) {
                    fail(nextParameter(), cursor, String.format(Locale.ROOT, "byte 0x%02x where the network's own "
                            + "stream has 0x%02x, %s (a different structure, count, shape, data type or name)",
                            found & 0xFF, expected & 0xFF, where()));
                }
                cursor++;
                i++;
                tail = tail << 8 | (expected & 0xFF);
                List<Expected> candidates = byTail.get(tail);
                if (candidates != null) {
                    startData(candidates);
                }
            }
        }

        /** The parameter whose record (or the block structure before it) the template is writing now. */
        private String nextParameter() {
            return unmatched.isEmpty() ? lastParameter : unmatched.get(0).key();
        }

        private String where() {
            if (unmatched.isEmpty()) {
                return "after the last parameter's data";
            }
            return "in this parameter's record or the block structure before it"
                    + (lastParameter == null ? "" : " (after the data of " + lastParameter + ")");
        }

        /** Enters the data of the first unmatched candidate whose whole header the template has just written. */
        private void startData(List<Expected> candidates) throws Mismatch {
            for (Expected e : candidates) {
                int start = cursor - e.header().length;
                if (start < 0 || !unmatched.contains(e)
                        || !Arrays.equals(bytes, base + start, base + cursor, e.header(), 0, e.header().length)) {
                    continue;
                }
                unmatched.remove(e);
                lastParameter = e.key();
                if (e.dataBytes() > length - cursor) {
                    fail(e.key(), cursor, "the stream ends after " + (length - cursor) + " of the "
                            + e.dataBytes() + " data bytes of shape " + e.shape() + " (truncated)");
                }
                checkFinite(e, cursor);
                entries.add(new Entry(e.key(), start, cursor, e.dataBytes(), e.dataType(), e.shape()));
                cursor += (int) e.dataBytes();
                dataLeft = e.dataBytes();
                tail = 0;
                return;
            }
        }

        private void checkFinite(Expected e, int at) throws Mismatch {
            int width = e.dataType().getNumOfBytes();
            if (e.dataType() != DataType.FLOAT32 && e.dataType() != DataType.FLOAT64
                    && e.dataType() != DataType.FLOAT16) {
                return;
            }
            ByteBuffer data = ByteBuffer.wrap(bytes, base + at, (int) e.dataBytes()).order(ByteOrder.nativeOrder());
            long count = e.dataBytes() / width;
            for (int k = 0; k < count; k++) {
                double v;
                if (e.dataType() == DataType.FLOAT32) {
                    v = data.getFloat();
                } else if (e.dataType() == DataType.FLOAT64) {
                    v = data.getDouble();
                } else {
                    v = (data.getShort() & 0x7C00) == 0x7C00 ? Double.NaN : 0;
                }
                if (!Double.isFinite(v)) {
                    fail(ProblemKind.NON_FINITE, e.key(), at + (long) k * width, "value " + k + " of shape " + e.shape() + " is " + v
                            + " (weights must be finite)");
                }
            }
        }

        /** Called after the template is complete: every parameter seen and nothing left in the stream. */
        void finish() throws Mismatch {
            if (!unmatched.isEmpty()) {
                fail(unmatched.get(0).key(), cursor, "the network's own stream has no record of this parameter "
                        + "(an unsupported block serialisation)");
            }
            if (cursor != length) {
                fail(null, cursor, (length - cursor) + " bytes follow the end of the network's parameters");
            }
        }

        private void fail(String parameter, long at, String detail) throws Mismatch {
            fail(ProblemKind.STRUCTURE, parameter, at, detail);
        }

        private void fail(ProblemKind kind, String parameter, long at, String detail) throws Mismatch {
            problem = new Problem(kind, parameter, at, detail);
            throw new Mismatch();
        }
    }
}
