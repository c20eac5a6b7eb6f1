package org.laudnet.models.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {

    @TempDir
    Path dir;

    @Test
    void roundTripKeepsNamesShapesValuesOrderAndMetadata() throws Exception {
        Random rnd = new Random(42);
        float[] big = new float[300_000]; // more than one write chunk
        for (int i = 0; i < big.length; i++) {
            big[i] = (float) rnd.nextGaussian();
        }
        List<NamedTensor> tensors = List.of(
                NamedTensor.of("conv1.weight", new int[] {4, 3, 3, 3}, randomValues(rnd, 108)),
                NamedTensor.of("big", new int[] {300, 1000}, big),
                new NamedTensor("scalar", new long[0], new float[] {Float.MIN_VALUE}),
                NamedTensor.of("empty", new int[] {0, 5}, new float[0]),
                NamedTensor.of("specials", new int[] {4},
                        new float[] {Float.NaN, Float.NEGATIVE_INFINITY, -0.0f, Float.MAX_VALUE}));
        TensorFile original = TensorFile.of(tensors, Map.of("epoch", "12", "note", "<ä>"));
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.write(file, original);

        TensorFile back = SafetensorsReader.read(file);
        assertEquals(List.copyOf(original.names()), List.copyOf(back.names()));
        for (NamedTensor t : original.tensors()) {
            assertEquals(t, back.get(t.name()), t.name());
        }
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(back.get("specials").data()[2]));
        assertEquals(Map.of("epoch", "12", "note", "<ä>"), back.metadata());

        byte[] bytes = Files.readAllBytes(file);
        long headerLen = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8, "data section is 8-byte aligned");
        String header = new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"dtype\":\"F32\""), header);
        assertTrue(header.contains("<ä>"), "no HTML escaping: " + header);
        assertEquals(8 + headerLen + 4L * back.totalValues(), bytes.length);
        List<SafetensorsEntry> entries = SafetensorsReader.readEntries(file);
        assertEquals(0, entries.get(0).begin());
        assertEquals(108 * 4, entries.get(1).begin());
        assertEquals(108 * 4 + 300_000 * 4, entries.get(1).end());
        // first float of the data section is conv1.weight[0,0,0,0], little-endian
        float first = ByteBuffer.wrap(bytes, (int) (8 + headerLen), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
        assertEquals(tensors.get(0).data()[0], first);
    }

    @Test
    void overwritesAtomicallyAndLeavesNoTemporaryFile() throws Exception {
        Path file = dir.resolve("w.safetensors");
        SafetensorsWriter.write(file, TensorFile.of(List.of(NamedTensor.of("a", new int[] {2}, new float[] {1, 2}))));
        SafetensorsWriter.write(file, TensorFile.of(List.of(NamedTensor.of("b", new int[] {1}, new float[] {3}))));
        TensorFile back = SafetensorsReader.read(file);
        assertEquals(List.of("b"), List.copyOf(back.names()));
        assertArrayEquals(new float[] {3}, back.get("b").data());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(file), s.toList(), "only the target file remains");
        }
    }

    @Test
    void missingDirectoryIsAWeightFileException() {
        Path file = dir.resolve("no/such/dir/w.safetensors");
        TensorFile f = TensorFile.of(List.of(NamedTensor.of("a", new int[] {1}, new float[] {1})));
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafetensorsWriter.write(file, f));
        assertTrue(e.getMessage().contains("w.safetensors") && e.getMessage().contains("cannot write"),
                e.getMessage());
        assertFalse(Files.exists(file));
    }

    @Test
    void reservedNameIsRejected() {
        Path file = dir.resolve("r.safetensors");
        TensorFile f = TensorFile.of(List.of(NamedTensor.of("__metadata__", new int[] {1}, new float[] {1})));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsWriter.write(file, f));
        assertTrue(e.getMessage().contains("'__metadata__'"), e.getMessage());
        assertFalse(Files.exists(file));
    }

    private static float[] randomValues(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return v;
    }
}
