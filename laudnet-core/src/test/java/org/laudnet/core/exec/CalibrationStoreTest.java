package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The calibration store on its own: which files it accepts, and saving while other threads evict. */
class CalibrationStoreTest {

    private static final List<BlockCalibration> ONE_BLOCK = List.of(BlockCalibration.none());

    @Test
    void aFileIsOnlyLoadedForTheSameStructure(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("c.json");
        CalibrationStore store = new CalibrationStore("java", "machine", "structure A", 1, 4);
        store.put(2, ONE_BLOCK);
        store.put(8, ONE_BLOCK);
        store.save(file);
        assertEquals(-1, new CalibrationStore("java", "machine", "structure B", 1, 4).load(file),
                "a calibration of another structure was accepted");
        CalibrationStore same = new CalibrationStore("java", "machine", "structure A", 1, 4);
        assertEquals(2, same.load(file));
        assertEquals(List.of(2, 8), same.batchSizes());
    }

    @Test
    void aFileOfTheFormerFormatIsRefusedWithItsVersion(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("c.json");
        CalibrationStore store = new CalibrationStore("java", "machine", "structure", 1, 4);
        store.put(2, ONE_BLOCK);
        store.save(file);
        String json = Files.readString(file);
        assertTrue(json.contains("\"format\": " + CalibrationStore.FORMAT_VERSION), json);
        // format 1 predates the union channel path: its channel models have other features
        Files.writeString(file, json.replace("\"format\": " + CalibrationStore.FORMAT_VERSION, "\"format\": 1"));
        IOException e = assertThrows(IOException.class,
                () -> new CalibrationStore("java", "machine", "structure", 1, 4).load(file));
        assertTrue(e.getMessage().contains("c.json") && e.getMessage().contains("calibration format 1 is not"
                + " supported") && e.getMessage().contains("calibrate again"), e.getMessage());
    }

    @Test
    void savingWhileAnotherThreadEvictsNeverFails(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("c.json");
        CalibrationStore store = new CalibrationStore("java", "machine", "structure", 1, 2);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (int b = 0; !stop.get(); b++) {
                    store.put(1 + b % 64, ONE_BLOCK);
                }
            } catch (RuntimeException e) {
                failure.set(e);
            }
        });
        writer.start();
        try {
            for (int i = 0; i < 300; i++) {
                store.save(file);
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        assertEquals(null, failure.get());
        CalibrationStore read = new CalibrationStore("java", "machine", "structure", 1, 4);
        int n = read.load(file);
        assertTrue(n >= 0 && n <= 2, "loaded " + n);
    }
}
