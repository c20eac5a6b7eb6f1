package org.laudnet.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.testing.RealAssets;
import org.laudnet.core.testing.TestNets;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.spark.DirectoryClassification;

/**
 * {@code laudnet spark-classify} end to end on local[2]: the asset photos, a truncated JPEG and a text file, written
 * as Parquet and as JSON; Spark reads both back with the documented schema, one row per file, errors on the two bad
 * files; the command prints progress and the summary.
 */
class SparkClassifyCommandTest {

    @TempDir
    Path dir;

    @Test
    void writesParquetAndJsonThatSparkReadsBackWithTheDocumentedSchema() throws Exception {
        AssetCache cache = AssetCache.defaultCache();
        RealAssets.require(AssetCache.PHOTOS.stream().map(cache::photo).toArray(Path[]::new));
        Path images = Files.createDirectories(dir.resolve("images/bad"));
        for (String p : AssetCache.PHOTOS) {
            Files.copy(cache.photo(p), dir.resolve("images").resolve(p + ".jpg"));
        }
        byte[] jpeg = Files.readAllBytes(cache.photo("dog"));
        Files.write(images.resolve("truncated.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
        Files.writeString(images.resolve("notes.txt"), "not an image");
        Path model = smallModel(dir.resolve("small.laud"));
        int files = AssetCache.PHOTOS.size() + 2;
        for (String format : List.of("parquet", "json")) {
            Path out = dir.resolve("out-" + format);
            String printed = run("spark-classify", "--model", model.toString(), "--input",
                    dir.resolve("images").toString(), "--output", out.toString(), "--format", format, "--master",
                    "local[2]", "--batch", "3", "--top", "2");
            assertTrue(printed.lines().anyMatch(l -> l.startsWith("progress: ") && l.contains("/" + files
                    + " files")), printed);
            assertTrue(printed.contains("classified " + files + " files in ") && printed.contains(" on local[2], ")
                    && printed.contains(": 2 errors, mean MACs ratio 0."), printed);
            assertTrue(printed.contains("wrote " + format + " to " + out), printed);
            SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1").getOrCreate();
            try {
                var read = format.equals("json") ? spark.read().schema(DirectoryClassification.schema()).json(
                        out.toString()) : spark.read().parquet(out.toString());
                assertEquals(DirectoryClassification.schema().catalogString(), read.schema().catalogString());
                List<Row> rows = read.collectAsList();
                assertEquals(files, rows.size());
                for (Row r : rows) {
                    boolean bad = r.getString(0).contains("/bad/");
                    assertEquals(bad, !r.isNullAt(r.fieldIndex("error")), r.toString());
                    if (!bad) {
                        assertEquals(2, r.getList(r.fieldIndex("prediction_classes")).size(), r.toString());
                        double ratio = r.getDouble(r.fieldIndex("prediction_macs_ratio"));
                        assertTrue(ratio > 0 && ratio < 1.5, r.toString());
                    }
                }
            } finally {
                spark.stop();
            }
        }
    }

    private static String run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = LaudnetCli.commandLine().execute(args);
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        return out;
    }

    /** A small gated ResNet (random gates that open and close per image) with its preprocessing and labels. */
    private static Path smallModel(Path file) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            GatedBackbone net = LaudResNet.builder()
                    .setStages(BlockType.BOTTLENECK, List.of(new StageSpec(1, 8, 32, 1, GateSpec.both(2, 2)),
                            new StageSpec(1, 16, 64, 2, GateSpec.layer())))
                    .optStem(StemSpec.small(3, 16)).optInputSize(32).optNumClasses(3).build();
            TestNets.initialise(net, manager, 5);
            ModelMetadata metadata = new ModelMetadata(ImagePreprocessing.normalized(32,
                    ImagePreprocessing.ChannelOrder.RGB, new float[] {0.47f, 0.45f, 0.41f},
                    new float[] {0.25f, 0.25f, 0.25f}), List.of("ant", "bee", "cat"));
            try (LaudModel model = LaudModel.of(net, metadata, LaudModel.Options.defaults())) {
                model.save(file);
            }
        }
        return file;
    }
}
