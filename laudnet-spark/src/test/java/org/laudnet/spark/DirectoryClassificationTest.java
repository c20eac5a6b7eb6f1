package org.laudnet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.exec.DeviceKind;

/**
 * {@link DirectoryClassification} (behind {@code laudnet spark-classify}) on a local[2] session: a directory of photos
 * with a truncated JPEG and a text file in a subdirectory, written as Parquet and as JSON, read back by Spark with the
 * documented schema; the summary counts the rows written.
 */
class DirectoryClassificationTest {

    @TempDir
    static Path tmp;

    private static SparkSession spark;
    private static Path model;
    private static Path images;
    private static int photos;

    @BeforeAll
    static void setUp() throws Exception {
        images = Files.createDirectories(tmp.resolve("images"));
        photos = SparkFixtures.images(images).size();
        model = SparkFixtures.smallModel(tmp.resolve("small.laud"), 7);
        spark = SparkFixtures.spark();
    }

    private static DirectoryClassification.Settings settings(String output, DirectoryClassification.Format format) {
        return new DirectoryClassification.Settings(model.toString(), images.toString(), output, format, 4, 2,
                DeviceKind.CPU);
    }

    @Test
    void parquetAndJsonReadBackWithTheDocumentedSchemaAndTheSameRows() {
        assertEquals("struct<path:string,prediction_classes:array<struct<index:int,label:string,probability:double>>,"
                + "prediction_macs_ratio:double,prediction_stage_densities:array<struct<stage:int,d1:double,d2:double,"
                + "d3:double,dc:double>>,error:string>", DirectoryClassification.schema().catalogString());
        List<Map<String, String>> outputs = new ArrayList<>();
        for (DirectoryClassification.Format format : DirectoryClassification.Format.values()) {
            String out = tmp.resolve("out-" + format.sparkName()).toString();
            List<Long> progress = new ArrayList<>();
            DirectoryClassification.Summary s = DirectoryClassification.run(spark, settings(out, format),
                    (written, total, seconds) -> {
                        synchronized (progress) {
                            progress.add(written);
                        }
                        assertEquals(photos + 2, total);
                    });
            assertEquals(photos + 2, s.images(), format.name());
            assertEquals(2, s.errors(), format.name());
            assertTrue(s.meanMacsRatio() > 0 && s.meanMacsRatio() < 1.5, "mean MACs ratio " + s.meanMacsRatio());
            assertTrue(s.imagesPerSecond() > 0);
            assertEquals((long) photos + 2, progress.get(progress.size() - 1), "progress " + progress);
            List<Row> rows = DirectoryClassification.read(spark, format, out).collectAsList();
            assertEquals(DirectoryClassification.schema().catalogString(),
                    DirectoryClassification.read(spark, format, out).schema().catalogString(), format.name());
            Map<String, String> byPath = new TreeMap<>();
            for (Row r : rows) {
                String path = r.getString(0);
                boolean bad = path.contains("/bad/");
                assertEquals(bad, !r.isNullAt(4), path + ": an error exactly for the bad files");
                assertEquals(bad, r.isNullAt(1), path);
                if (!bad) {
                    assertEquals(2, r.getList(1).size(), path);
                    assertEquals(2, r.getList(3).size(), path + ": two stages");
                }
                byPath.put(path, r.toString());
            }
            outputs.add(byPath);
        }
        assertEquals(outputs.get(0), outputs.get(1), "Parquet and JSON hold the same rows");
    }

    @Test
    void anExistingOutputIsRefusedBeforeAnyImageIsClassified() throws Exception {
        Path out = Files.createDirectories(tmp.resolve("exists"));
        Files.writeString(out.resolve("keep.txt"), "keep");
        Path unused = Files.copy(model, tmp.resolve("unused.laud"));
        DirectoryClassification.Settings s = new DirectoryClassification.Settings(unused.toString(),
                images.toString(), out.toString(), DirectoryClassification.Format.PARQUET, 4, 2, DeviceKind.CPU);
        AnalysisException e = assertThrows(AnalysisException.class, () -> DirectoryClassification.run(spark, s,
                null));
        assertTrue(e.getMessage().contains(out.getFileName().toString()), e.getMessage());
        assertEquals("keep", Files.readString(out.resolve("keep.txt")));
        assertEquals(0, LaudModelCache.jvm().loads(ModelSource.local(unused.toString(), DeviceKind.CPU).key()),
                "nothing was classified");
    }
}
