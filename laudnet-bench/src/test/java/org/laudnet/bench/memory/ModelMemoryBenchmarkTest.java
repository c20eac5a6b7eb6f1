package org.laudnet.bench.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.io.LaudModelFile;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.weights.WeightFileException;

/** The memory benchmark on a small gated model: every step is measured and reported, bad settings are named. */
class ModelMemoryBenchmarkTest {

    @TempDir
    static Path dir;

    private static Path model() throws WeightFileException {
        Path file = dir.resolve("small.laud");
        try (NDManager m = NDManager.newBaseManager()) {
            GatedBackbone net = LaudResNet.builder()
                    .setStages(BlockType.BASIC, List.of(new StageSpec(1, 8, 8, 1, GateSpec.spatial(4)),
                            new StageSpec(1, 16, 16, 2, GateSpec.layer())))
                    .optStem(StemSpec.small(3, 8)).optInputSize(32).optNumClasses(3).build();
            net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
            ImagePreprocessing prep = ImagePreprocessing.normalized(32, ImagePreprocessing.ChannelOrder.RGB,
                    new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f});
            LaudModelFile.save(file, net, new ModelMetadata(prep, List.of("ant", "bee", "cat")));
        }
        return file;
    }

    private static Path image() throws IOException {
        BufferedImage img = new BufferedImage(40, 36, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                img.setRGB(x, y, (x * 6) << 16 | (y * 7) << 8 | ((x + y) * 3));
            }
        }
        Path file = dir.resolve("pattern.png");
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    @Test
    void everyStepIsMeasuredAndReported() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "resident memory is read from /proc (Linux)");
        ModelMemoryBenchmark.Settings s = new ModelMemoryBenchmark.Settings(model(), image(), 2, 3, 2, 2,
                new int[] {1, 2});
        List<String> progress = new ArrayList<>();
        ModelMemoryBenchmark.Result r = ModelMemoryBenchmark.run(s, progress::add);

        assertTrue(List.of("ant", "bee", "cat").contains(r.topClass()), r.topClass());
        assertEquals(List.of(1, 2), r.calibrations().stream().map(ModelMemoryBenchmark.Calibration::batch).toList());
        assertEquals(2, r.rounds().size());
        assertEquals(2, r.cycleRssMb().size());
        assertTrue(r.rssStartMb() > 0 && r.rssLoadedMb() > 0 && r.rssClosedMb() > 0, r.toString());
        r.rounds().forEach(round -> assertTrue(round.seconds() > 0 && round.rssMb() > 0, round.toString()));
        // loaded, two calibrations, two rounds, closed, two cycles
        assertEquals(8, progress.size(), String.join("\n", progress));

        String md = ModelMemoryBenchmark.markdown(r, s, "test machine", 2, "bench model-memory");
        assertTrue(md.contains("| calibrate(2) |"), md);
        assertTrue(md.contains("| round 2 |"), md);
        assertTrue(md.contains("| cycle 2: load, calibrate(1), 20 calls, close | | " + r.cycleRssMb().get(1) + " |"),
                md);
        assertTrue(md.contains("top class " + r.topClass()), md);
    }

    @Test
    void badSettingsAreNamed() throws Exception {
        Path model = model();
        Path image = image();
        Path missing = dir.resolve("missing.laud");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ModelMemoryBenchmark.Settings(missing, image, 1, 1, 1, 0, new int[] {1}));
        assertTrue(e.getMessage().contains("missing.laud"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ModelMemoryBenchmark.Settings(model, image, 0, 1, 1, 0, new int[] {1}));
        assertTrue(e.getMessage().contains("threads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ModelMemoryBenchmark.Settings(model, image, 1, 1, 1, -1, new int[] {1}));
        assertTrue(e.getMessage().contains("cycles"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new ModelMemoryBenchmark.Settings(model, image, 1, 1, 1, 0, new int[] {0}));
        assertTrue(e.getMessage().contains("calibrate batch size"), e.getMessage());
    }
}
