package org.laudnet.models.weights;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads safetensors files.
 *
 * <p>Layout: bytes {@code [0, 8)} hold {@code N}, the header length, as an unsigned little-endian 64-bit integer;
 * bytes {@code [8, 8 + N)} hold a UTF-8 JSON object mapping each tensor name to
 * {@code {"dtype": "F32", "shape": [d0, ...], "data_offsets": [begin, end]}} (plus an optional
 * {@code "__metadata__"} object of strings); the rest of the file is the data section, and tensor {@code t} occupies
 * its bytes {@code [begin_t, end_t)}, little-endian, row-major.
 *
 * <p>The reader validates the whole header before reading data: the header length fits the file, every dtype is one of
 * {@link SafetensorsDType}, {@code end_t - begin_t == prod(shape_t) * size(dtype_t)}, every range lies inside the data
 * section, ranges do not overlap, together they cover the data section without holes, and no tensor name appears
 * twice. The header length is checked against the file size before the header is read, and each tensor's size against
 * its range before its array is allocated, so no file can make the reader allocate more than it holds. Every violation
 * is a {@link WeightFileException} naming the file and the tensor. Values of every dtype are returned as {@code float}; they
 * are not checked for finiteness here (a tensor file may hold any values), but every importer that loads them into a
 * network refuses NaN and infinite weights ({@link TorchvisionImporter}). Stateless and thread-safe.
 */
public final class SafetensorsReader {

    /** The header key of the optional string metadata object. */
    public static final String METADATA_KEY = "__metadata__";

    /** The largest header accepted, in bytes (a guard against reading garbage as a length). */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(SafetensorsReader.class);
    private static final int CHUNK_BYTES = 1 << 20;

    private SafetensorsReader() {}

    /** A parsed and validated header. */
    private record Header(List<SafetensorsEntry> entries, Map<String, String> metadata, long dataStart) {}

    /**
     * Reads and validates the header only.
     *
     * @param file the safetensors file
     * @return the entries in data-section order (increasing {@code begin})
     * @throws WeightFileException if the file is missing, unreadable, or its header is invalid
     */
    public static List<SafetensorsEntry> readEntries(Path file) throws WeightFileException {
        try (FileChannel ch = open(file)) {
            return readHeader(file, ch).entries();
        } catch (WeightFileException e) {
            throw e;
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot read: " + e, e);
        }
    }

    /**
     * Reads every tensor, converting F16, BF16 and F64 values to float.
     *
     * @param file the safetensors file
     * @return the tensors in data-section order, with the header metadata
     * @throws WeightFileException if the file is missing, unreadable, truncated, or its header is invalid
     */
    public static TensorFile read(Path file) throws WeightFileException {
        try (FileChannel ch = open(file)) {
            Header header = readHeader(file, ch);
            List<NamedTensor> tensors = new ArrayList<>(header.entries().size());
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (SafetensorsEntry e : header.entries()) {
                float[] data = readData(file, ch, header.dataStart(), e, buf);
                tensors.add(new NamedTensor(e.name(), e.shape(), data));
            }
            TensorFile result = TensorFile.of(tensors, header.metadata());
            LOG.debug("read {} tensors ({} values) from {}", result.size(), result.totalValues(), file);
            return result;
        } catch (WeightFileException e) {
            throw e;
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot read: " + e, e);
        }
    }

    private static FileChannel open(Path file) throws WeightFileException {
        if (file == null) {
            throw new IllegalArgumentException("file must not be null");
        }
        if (Files.isDirectory(file)) {
            throw new WeightFileException(file, "is a directory, not a safetensors file");
        }
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new WeightFileException(file, "file not found", e);
        } catch (WeightFileException e) {
            throw e;
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot open: " + e, e);
        }
    }

    private static Header readHeader(Path file, FileChannel ch) throws IOException, WeightFileException {
        long size = ch.size();
        if (size < 8) {
            throw new WeightFileException(file, "truncated: " + size
                    + " bytes, shorter than the 8-byte header length field");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(file, ch, lenBuf, 0, null);
        long headerLen = lenBuf.flip().getLong();
        if (headerLen < 0 || headerLen > size - 8) {
            throw new WeightFileException(file, "header length " + Long.toUnsignedString(headerLen)
                    + " exceeds the file size " + size + " (at most " + (size - 8) + " header bytes available)");
        }
        if (headerLen > MAX_HEADER_BYTES) {
            throw new WeightFileException(file, "header length " + headerLen + " exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes");
        }
        ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
        readFully(file, ch, headerBuf, 8, null);
        headerBuf.flip();
        String json;
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(headerBuf);
            json = chars.toString();
        } catch (CharacterCodingException e) {
            throw new WeightFileException(file, "header is not valid UTF-8", e);
        }
        Map<String, JsonElement> root = parseObject(file, json);
        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<SafetensorsEntry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonElement> m : root.entrySet()) {
            if (METADATA_KEY.equals(m.getKey())) {
                parseMetadata(file, m.getValue(), metadata);
            } else {
                entries.add(parseEntry(file, m.getKey(), m.getValue(), dataSize));
            }
        }
        entries.sort(Comparator.comparingLong(SafetensorsEntry::begin).thenComparingLong(SafetensorsEntry::end));
        checkCoverage(file, entries, dataSize);
        return new Header(List.copyOf(entries), metadata, dataStart);
    }

    /**
     * Parses the header's top-level object, refusing a name that appears twice (a generic JSON parser would keep only
     * the last one, silently dropping a tensor).
     */
    private static Map<String, JsonElement> parseObject(Path file, String json) throws WeightFileException {
        Map<String, JsonElement> out = new LinkedHashMap<>();
        try (JsonReader r = new JsonReader(new StringReader(json))) {
            if (r.peek() != JsonToken.BEGIN_OBJECT) {
                throw new WeightFileException(file, "header must be a JSON object, got "
                        + abbreviate(JsonParser.parseString(json)));
            }
            r.beginObject();
            while (r.hasNext()) {
                String name = r.nextName();
                JsonElement value = JsonParser.parseReader(r);
                if (out.put(name, value) != null) {
                    throw new WeightFileException(file, name, "the header names this tensor twice", null);
                }
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new WeightFileException(file, "header is not valid JSON: text follows its object");
            }
        } catch (WeightFileException e) {
            throw e;
        } catch (IOException | JsonParseException | IllegalStateException e) {
            throw new WeightFileException(file, "header is not valid JSON: " + e.getMessage(), e);
        }
        return out;
    }

    private static void parseMetadata(Path file, JsonElement value, Map<String, String> out)
            throws WeightFileException {
        if (!value.isJsonObject()) {
            throw new WeightFileException(file, METADATA_KEY + " must be a JSON object, got " + abbreviate(value));
        }
        for (Map.Entry<String, JsonElement> m : value.getAsJsonObject().entrySet()) {
            JsonElement v = m.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw new WeightFileException(file, METADATA_KEY + " value of key '" + m.getKey()
                        + "' must be a string, got " + abbreviate(v));
            }
            out.put(m.getKey(), v.getAsString());
        }
    }

    private static SafetensorsEntry parseEntry(Path file, String name, JsonElement value, long dataSize)
            throws WeightFileException {
        if (name.isBlank()) {
            throw new WeightFileException(file, "the header has a tensor with a blank name '" + name + "'");
        }
        if (!value.isJsonObject()) {
            throw new WeightFileException(file, name, "header entry must be a JSON object, got "
                    + abbreviate(value), null);
        }
        JsonObject o = value.getAsJsonObject();
        JsonElement dtypeEl = o.get("dtype");
        if (dtypeEl == null || !dtypeEl.isJsonPrimitive() || !dtypeEl.getAsJsonPrimitive().isString()) {
            throw new WeightFileException(file, name, "dtype must be a string, got " + abbreviate(dtypeEl), null);
        }
        String dtypeName = dtypeEl.getAsString();
        SafetensorsDType dtype = SafetensorsDType.fromName(dtypeName).orElseThrow(() -> new WeightFileException(
                file, name, "unknown or unsupported dtype '" + dtypeName + "' (readable: F32, F16, BF16, F64)", null));
        long[] shape = longArray(file, name, "shape", o.get("shape"), -1);
        long[] offsets = longArray(file, name, "data_offsets", o.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new WeightFileException(file, name, "data_offsets [" + begin + ", " + end
                    + "] are reversed (begin > end)", null);
        }
        if (end > dataSize) {
            throw new WeightFileException(file, name, "data_offsets [" + begin + ", " + end
                    + "] out of range: the data section holds " + dataSize + " bytes (file truncated?)", null);
        }
        long count = elementCount(shape);
        if (count < 0 || count > Integer.MAX_VALUE) {
            throw new WeightFileException(file, name, "shape " + Arrays.toString(shape)
                    + " has more elements than a float array can hold", null);
        }
        long need = count * dtype.byteSize();
        if (need != end - begin) {
            throw new WeightFileException(file, name, "shape " + Arrays.toString(shape) + " of dtype "
                    + dtype + " needs " + need + " bytes but data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin) + " bytes", null);
        }
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    private static long[] longArray(Path file, String tensor, String field, JsonElement el, int requiredLength)
            throws WeightFileException {
        if (el == null || !el.isJsonArray()) {
            throw new WeightFileException(file, tensor, field + " must be a JSON array of integers, got "
                    + abbreviate(el), null);
        }
        JsonArray arr = el.getAsJsonArray();
        if (requiredLength >= 0 && arr.size() != requiredLength) {
            throw new WeightFileException(file, tensor, field + " must have " + requiredLength
                    + " elements, got " + arr, null);
        }
        long[] out = new long[arr.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement v = arr.get(i);
            long x;
            try {
                if (!v.isJsonPrimitive() || !((JsonPrimitive) v).isNumber()) {
                    throw new NumberFormatException("not a number");
                }
                x = v.getAsBigDecimal().longValueExact();
            } catch (NumberFormatException | ArithmeticException e) {
                throw new WeightFileException(file, tensor, field + "[" + i
                        + "] must be an integer, got " + abbreviate(v), e);
            }
            if (x < 0) {
                throw new WeightFileException(file, tensor, field + "[" + i + "] must be non-negative, got " + x,
                        null);
            }
            out[i] = x;
        }
        return out;
    }

    /** {@code prod(shape)}, or -1 on overflow. */
    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                return -1;
            }
        }
        return n;
    }

    private static void checkCoverage(Path file, List<SafetensorsEntry> sorted, long dataSize)
            throws WeightFileException {
        long covered = 0;
        SafetensorsEntry previous = null;
        for (SafetensorsEntry e : sorted) {
            if (e.begin() < covered) {
                throw new WeightFileException(file, e.name(), "data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlap tensor '" + previous.name() + "' at [" + previous.begin() + ", "
                        + previous.end() + "]", null);
            }
            if (e.begin() > covered) {
                throw new WeightFileException(file, e.name(), "data section bytes [" + covered + ", " + e.begin()
                        + ") before this tensor belong to no tensor (hole in the data section)", null);
            }
            covered = e.end();
            previous = e;
        }
        if (covered != dataSize) {
            throw new WeightFileException(file, "data section has " + dataSize + " bytes but the tensors cover only "
                    + covered + " (trailing bytes)");
        }
    }

    private static float[] readData(Path file, FileChannel ch, long dataStart, SafetensorsEntry e, ByteBuffer buf)
            throws IOException, WeightFileException {
        int count = (int) (e.byteLength() / e.dtype().byteSize());
        float[] out = new float[count];
        int elementsPerChunk = buf.capacity() / e.dtype().byteSize();
        long pos = dataStart + e.begin();
        int done = 0;
        while (done < count) {
            int n = Math.min(elementsPerChunk, count - done);
            buf.clear().limit(n * e.dtype().byteSize());
            readFully(file, ch, buf, pos, e.name());
            buf.flip();
            pos += buf.remaining();
            if (e.dtype() == SafetensorsDType.F32) {
                buf.asFloatBuffer().get(out, done, n);
            } else {
                for (int i = 0; i < n; i++) {
                    out[done + i] = e.dtype().read(buf);
                }
            }
            done += n;
        }
        return out;
    }

    private static void readFully(Path file, FileChannel ch, ByteBuffer buf, long position, String tensor)
            throws IOException, WeightFileException {
        long pos = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) {
                throw new WeightFileException(file, tensor, "unexpected end of file at byte " + pos, null);
            }
            pos += r;
        }
    }

    private static String abbreviate(JsonElement el) {
        if (el == null) {
            return "nothing";
        }
        String s = el.toString();
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
