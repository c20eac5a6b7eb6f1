package org.laudnet.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.models.train.Checkpoint;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.ImageNetLabels;
import picocli.CommandLine;

/** Real-weight tests of {@code laudnet finetune} (the ImageNet ResNet-50 from the asset cache). */
class FinetuneCommandTest {

    @TempDir
    Path dir;

    @Test
    void directoryNamesMapToImageNetClasses() throws Exception {
        ImageNetLabels labels = ImageNetLabels.load(AssetCache.defaultCache().imageNetLabelsJson());
        assertEquals(Map.of("bald_eagle", 22, "Sorrel", 339, "7", 7),
                FinetuneCommand.imageNetLabels(List.of("bald_eagle", "Sorrel", "7"), labels));
        assertEquals(Map.of("Bald eagle", 22), FinetuneCommand.imageNetLabels(List.of("Bald eagle"), labels));
        assertNull(FinetuneCommand.imageNetLabels(List.of("bald_eagle", "my_cats"), labels));
        assertNull(FinetuneCommand.imageNetLabels(List.of("1000"), labels));
        assertNull(FinetuneCommand.imageNetLabels(List.of(), labels));
    }

    @Test
    void finetunesAndResumesOnASmallImageNetNamedFolder() throws Exception {
        AssetCache cache = AssetCache.defaultCache();
        Path data = dir.resolve("data");
        Files.createDirectories(data.resolve("bald_eagle"));
        Files.createDirectories(data.resolve("sorrel"));
        Files.copy(cache.photo("eagle"), data.resolve("bald_eagle/eagle.jpg"));
        Files.copy(cache.photo("horses"), data.resolve("sorrel/horses.jpg"));
        Path ckpt = dir.resolve("run.ckpt");
        String out = run("--data", data.toString(), "--mode", "layer", "--epochs", "2", "--batch", "2",
                "--out", ckpt.toString());
        assertTrue(out.contains("labels: the ImageNet classes"), out);
        assertTrue(out.contains("per stage density/MACs ratio: s1 "), out);
        Checkpoint.CheckpointContent c = Checkpoint.read(ckpt);
        assertEquals(2, c.state().epoch());
        assertEquals(2, c.state().update());
        assertTrue(c.optimizer().isPresent(), "optimizer state saved");
        assertEquals("SGD", c.optimizer().get().algorithm());

        Path first = dir.resolve("epoch1.ckpt");
        Files.copy(Checkpoint.sibling(ckpt, ".prev"), first);
        Path again = dir.resolve("again.ckpt");
        String resumed = run("--data", data.toString(), "--mode", "layer", "--epochs", "2", "--batch", "2",
                "--out", again.toString(), "--resume", first.toString());
        assertTrue(resumed.contains("resumed from"), resumed);
        // same data order, gate noise and optimizer momentum: the resumed run writes the same checkpoint
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(ckpt), Files.readAllBytes(again)),
                "resumed checkpoint differs from the uninterrupted run's");
    }

    private static String run(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try (PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            code = new CommandLine(new FinetuneCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        } finally {
            System.setOut(old);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        return out;
    }
}
