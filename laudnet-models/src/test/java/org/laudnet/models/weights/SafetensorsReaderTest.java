package org.laudnet.models.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsReaderTest {

    @TempDir
    Path dir;

    /** A file built byte by byte: every dtype, metadata, header entries out of data order. */
    @Test
    void readsHandBuiltFileOfEveryDtype() throws Exception {
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[16,22]},"
                + "\"__metadata__\":{\"format\":\"pt\"},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[22,26]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[26,34]}}";
        byte[] data = new LittleEndianBytes()
                .bytes(0x00, 0x00, 0xC0, 0x3F) // F32 1.5
                .bytes(0x00, 0x00, 0x00, 0xC0) // F32 -2.0
                .bytes(0x00, 0x00, 0x80, 0x3E) // F32 0.25
                .bytes(0x00, 0x00, 0x40, 0x40) // F32 3.0
                .bytes(0x00, 0x3C) // F16 1.0
                .bytes(0x00, 0xC1) // F16 -2.5
                .bytes(0x01, 0x00) // F16 smallest subnormal 2^-24
                .bytes(0x80, 0x3F) // BF16 1.0
                .bytes(0x40, 0xC0) // BF16 -3.0
                .bytes(0x9A, 0x99, 0x99, 0x99, 0x99, 0x99, 0xB9, 0x3F) // F64 0.1
                .toArray();
        byte[] headerBytes = header.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] fileBytes = new LittleEndianBytes().bytes(headerBytes.length & 0xff, headerBytes.length >>> 8,
                0, 0, 0, 0, 0, 0).utf8(header).bytes(toInts(data)).toArray();
        Path file = dir.resolve("hand.safetensors");
        Files.write(file, fileBytes);

        TensorFile f = SafetensorsReader.read(file);
        assertEquals(List.of("w", "h", "b", "d"), List.copyOf(f.names()), "tensors come in data order");
        assertArrayEquals(new long[] {2, 2}, f.get("w").shape());
        assertArrayEquals(new float[] {1.5f, -2.0f, 0.25f, 3.0f}, f.get("w").data());
        assertEquals(3.0f, f.get("w").get(1, 1));
        assertArrayEquals(new float[] {1.0f, -2.5f, 0x1p-24f}, f.get("h").data());
        assertArrayEquals(new float[] {1.0f, -3.0f}, f.get("b").data());
        assertEquals(0, f.get("d").rank());
        assertEquals(0.1f, f.get("d").data()[0]);
        assertEquals("pt", f.metadata().get("format"));

        List<SafetensorsEntry> entries = SafetensorsReader.readEntries(file);
        assertEquals(new SafetensorsEntry("h", SafetensorsDType.F16, new long[] {3}, 16, 22), entries.get(1));
        assertEquals(8, entries.get(3).byteLength());
    }

    @Test
    void halfFloatSpecialValues() {
        assertEquals(Float.POSITIVE_INFINITY, SafetensorsDType.halfToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, SafetensorsDType.halfToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(SafetensorsDType.halfToFloat((short) 0x7E00)));
        assertEquals(65504f, SafetensorsDType.halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-14f, SafetensorsDType.halfToFloat((short) 0x0400));
        assertEquals(0x3FFp-24f, SafetensorsDType.halfToFloat((short) 0x03FF));
        assertEquals(Float.floatToRawIntBits(-0.0f),
                Float.floatToRawIntBits(SafetensorsDType.halfToFloat((short) 0x8000)));
        assertEquals(-0.333251953125f, SafetensorsDType.halfToFloat((short) 0xB555));
        assertEquals(Optional.of(SafetensorsDType.BF16), SafetensorsDType.fromName("BF16"));
        assertTrue(SafetensorsDType.fromName("U8").isEmpty());
    }

    /** PyTorch exports carry int64 counters (BatchNorm's num_batches_tracked); they must not stop the reader. */
    @Test
    void readsIntegerTensorsOfPyTorchExports() throws Exception {
        String header = "{\"bn1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
                + "\"idx\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
        byte[] data = new LittleEndianBytes().u64(12345L).bytes(0xFF, 0xFF, 0xFF, 0xFF).bytes(7, 0, 0, 0).toArray();
        Path file = dir.resolve("ints.safetensors");
        Files.write(file, LittleEndianBytes.safetensors(header, data));
        TensorFile f = SafetensorsReader.read(file);
        assertEquals(12345f, f.get("bn1.num_batches_tracked").data()[0]);
        assertArrayEquals(new float[] {-1f, 7f}, f.get("idx").data());
    }

    @Test
    void missingFile() {
        Path file = dir.resolve("absent.safetensors");
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file));
        assertTrue(e.getMessage().contains("absent.safetensors") && e.getMessage().contains("not found"),
                e.getMessage());
        assertEquals(file, e.file());
    }

    @Test
    void directoryIsRejected() {
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(dir));
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
    }

    @Test
    void fileShorterThanLengthField() throws IOException {
        Path file = write("short.safetensors", new byte[] {1, 2, 3, 4, 5});
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file));
        assertMessage(e, "short.safetensors", "truncated: 5 bytes");
    }

    @Test
    void headerLengthBeyondFileSize() throws IOException {
        byte[] bytes = new LittleEndianBytes().u64(1000).utf8("{}").toArray();
        Path file = write("long-header.safetensors", bytes);
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file));
        assertMessage(e, "long-header.safetensors", "header length 1000 exceeds the file size 10");
        byte[] huge = new LittleEndianBytes().u64(-1L).utf8("{}").toArray();
        Path file2 = write("huge-header.safetensors", huge);
        e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file2));
        assertMessage(e, "huge-header.safetensors", "18446744073709551615");
    }

    @Test
    void truncatedDataIsOutOfRange() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        Path file = write("trunc.safetensors", LittleEndianBytes.safetensors(header,
                new LittleEndianBytes().f32(1, 2, 3).toArray()));
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file));
        assertMessage(e, "trunc.safetensors", "tensor 'w'", "out of range", "holds 12 bytes");
        assertEquals(Optional.of("w"), e.tensor());
    }

    @Test
    void overlappingOffsets() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        Path file = write("overlap.safetensors", LittleEndianBytes.safetensors(header,
                new LittleEndianBytes().f32(1, 2, 3).toArray()));
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file));
        assertMessage(e, "overlap.safetensors", "tensor 'b'", "overlap tensor 'a'");
    }

    @Test
    void holeAndTrailingBytes() throws IOException {
        String hole = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        Path file = write("hole.safetensors", LittleEndianBytes.safetensors(hole,
                new LittleEndianBytes().f32(1, 2, 3).toArray()));
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file));
        assertMessage(e, "hole.safetensors", "tensor 'b'", "[4, 8)", "hole");
        String trailing = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        Path file2 = write("trailing.safetensors", LittleEndianBytes.safetensors(trailing,
                new LittleEndianBytes().f32(1, 2).toArray()));
        e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file2));
        assertMessage(e, "trailing.safetensors", "8 bytes", "cover only 4");
    }

    @Test
    void shapeOffsetMismatch() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        Path file = write("mismatch.safetensors", LittleEndianBytes.safetensors(header,
                new LittleEndianBytes().f32(1, 2).toArray()));
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file));
        assertMessage(e, "mismatch.safetensors", "tensor 'w'", "needs 12 bytes", "span 8 bytes");
    }

    @Test
    void unknownDtype() throws IOException {
        String header = "{\"ids\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}";
        Path file = write("bytes.safetensors", LittleEndianBytes.safetensors(header, new byte[8]));
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file));
        assertMessage(e, "bytes.safetensors", "tensor 'ids'", "dtype 'U8'");
    }

    @Test
    void reversedOffsetsAndBadNumbers() throws IOException {
        String reversed = "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}";
        Path file = write("reversed.safetensors", LittleEndianBytes.safetensors(reversed, new byte[4]));
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file));
        assertMessage(e, "reversed.safetensors", "tensor 'w'", "reversed");
        String negative = "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}";
        Path file2 = write("negative.safetensors", LittleEndianBytes.safetensors(negative, new byte[4]));
        e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file2));
        assertMessage(e, "negative.safetensors", "tensor 'w'", "shape[0] must be non-negative, got -1");
        String fractional = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}";
        Path file3 = write("fractional.safetensors", LittleEndianBytes.safetensors(fractional, new byte[4]));
        e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file3));
        assertMessage(e, "fractional.safetensors", "tensor 'w'", "shape[0] must be an integer, got 1.5");
        String shortOffsets = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}";
        Path file4 = write("offsets.safetensors", LittleEndianBytes.safetensors(shortOffsets, new byte[4]));
        e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file4));
        assertMessage(e, "offsets.safetensors", "tensor 'w'", "data_offsets must have 2 elements");
    }

    @Test
    void malformedHeaders() throws IOException {
        Path notJson = write("notjson.safetensors", LittleEndianBytes.safetensors("{\"w\": [", new byte[0]));
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(notJson));
        assertMessage(e, "notjson.safetensors", "not valid JSON");
        Path array = write("array.safetensors", LittleEndianBytes.safetensors("[1,2]", new byte[0]));
        e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(array));
        assertMessage(e, "array.safetensors", "must be a JSON object");
        Path noDtype = write("nodtype.safetensors", LittleEndianBytes.safetensors(
                "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]));
        e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(noDtype));
        assertMessage(e, "nodtype.safetensors", "tensor 'w'", "dtype must be a string");
        Path badMeta = write("meta.safetensors", LittleEndianBytes.safetensors(
                "{\"__metadata__\":{\"epoch\":3}}", new byte[0]));
        e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(badMeta));
        assertMessage(e, "meta.safetensors", "'epoch' must be a string");
        byte[] badUtf8 = new LittleEndianBytes().u64(2).bytes(0xC3, 0x28).toArray();
        Path utf = write("utf.safetensors", badUtf8);
        e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(utf));
        assertMessage(e, "utf.safetensors", "UTF-8");
    }

    @Test
    void emptyFileWithEmptyHeaderHasNoTensors() throws Exception {
        Path file = write("empty.safetensors", LittleEndianBytes.safetensors("{}      ", new byte[0]));
        TensorFile f = SafetensorsReader.read(file);
        assertEquals(0, f.size());
        assertEquals(0, f.totalValues());
    }

    @Test
    void repeatedAndBlankTensorNamesAreRefused() throws IOException {
        String twice = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        Path file = write("twice.safetensors", LittleEndianBytes.safetensors(twice, new byte[8]));
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file));
        assertMessage(e, "twice.safetensors", "tensor 'w'", "names this tensor twice");
        assertEquals(Optional.of("w"), e.tensor());
        String blank = "{\" \":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        Path file2 = write("blank.safetensors", LittleEndianBytes.safetensors(blank, new byte[4]));
        e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file2));
        assertMessage(e, "blank.safetensors", "blank name");
        String trailing = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} {}";
        Path file3 = write("text.safetensors", LittleEndianBytes.safetensors(trailing, new byte[4]));
        e = assertThrows(WeightFileException.class, () -> SafetensorsReader.read(file3));
        assertMessage(e, "text.safetensors", "not valid JSON");
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    private static void assertMessage(WeightFileException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
        }
    }

    private static int[] toInts(byte[] b) {
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] & 0xff;
        }
        return out;
    }
}
