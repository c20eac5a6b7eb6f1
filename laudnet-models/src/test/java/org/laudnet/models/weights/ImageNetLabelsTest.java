package org.laudnet.models.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageNetLabelsTest {

    @TempDir
    Path dir;

    @Test
    void loadsIndicesInAnyOrder() throws Exception {
        Path f = write("labels.json", "{\"2\": \"bald_eagle\", \"0\": \"tench\", \"1\": \"great white shark\"}");
        ImageNetLabels labels = ImageNetLabels.load(f);
        assertEquals(3, labels.size());
        assertEquals("tench", labels.name(0));
        assertEquals("bald_eagle", labels.name(2));
        assertEquals("bald eagle", labels.displayName(2));
        assertEquals(OptionalInt.of(2), labels.indexOf("bald eagle"));
        assertEquals(OptionalInt.of(2), labels.indexOf("bald_eagle"));
        assertEquals(OptionalInt.of(1), labels.indexOf("great white shark"));
        assertEquals(OptionalInt.empty(), labels.indexOf("goldfish"));
        assertEquals(List.of("tench", "great white shark", "bald_eagle"), labels.names());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> labels.name(3));
        assertTrue(e.getMessage().contains("index must be in [0, 3), got 3"), e.getMessage());
    }

    @Test
    void namesMapToClassIndices() throws Exception {
        Path f = write("labels.json", "{\"0\": \"tench\", \"1\": \"bald_eagle\", \"2\": \"Sorrel\","
                + " \"3\": \"crane\", \"4\": \"crane\"}");
        ImageNetLabels labels = ImageNetLabels.load(f);
        assertEquals(java.util.Map.of("bald_eagle", 1, "sorrel", 2, "4", 4),
                labels.classIndices(List.of("bald_eagle", "sorrel", "4")).orElseThrow());
        assertEquals(List.of("Bald eagle", "crane"),
                List.copyOf(labels.classIndices(List.of("Bald eagle", "crane")).orElseThrow().keySet()));
        assertEquals(3, labels.classIndices(List.of("crane")).orElseThrow().get("crane"), "the first of duplicates");
        assertTrue(labels.classIndices(List.of("bald_eagle", "my_cats")).isEmpty());
        assertTrue(labels.classIndices(List.of("5")).isEmpty(), "index out of range");
        assertTrue(labels.classIndices(List.of()).isEmpty());
    }

    @Test
    void rejectsBadFiles() throws IOException {
        assertFails(dir.resolve("none.json"), "not found");
        assertFails(write("gap.json", "{\"0\": \"a\", \"2\": \"c\"}"), "key '2' is not an index in [0, 2)");
        assertFails(write("word.json", "{\"zero\": \"a\"}"), "key 'zero' is not a class index");
        assertFails(write("padded.json", "{\"00\": \"a\", \"1\": \"b\"}"), "key '00'");
        assertFails(write("number.json", "{\"0\": 5}"), "label 0 must be a non-blank string");
        assertFails(write("array.json", "[\"a\"]"), "must be a JSON object");
        assertFails(write("empty.json", "{}"), "holds no labels");
        assertFails(write("broken.json", "{\"0\": "), "not valid JSON");
    }

    private void assertFails(Path file, String part) {
        WeightFileException e = assertThrows(WeightFileException.class, () -> ImageNetLabels.load(file));
        assertTrue(e.getMessage().contains(file.getFileName().toString()) && e.getMessage().contains(part),
                e.getMessage());
    }

    private Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }
}
