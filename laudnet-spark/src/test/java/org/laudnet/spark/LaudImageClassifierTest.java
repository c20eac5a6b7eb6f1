package org.laudnet.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.SparkException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.core.exec.GateReport;
import org.laudnet.models.inference.GatedClassifications;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.inference.LaudPredictor;

/**
 * {@link LaudImageClassifier} on a local[2] session: the asset photos, a truncated JPEG and a text file as a
 * DataFrame of the {@code binaryFile} source and of Spark's {@code image} source; predictions against the in-process
 * predictor, errors per row, the params' save/load round trip, one model load per JVM across tasks and partitions.
 */
class LaudImageClassifierTest {

    private static final int TOP_K = 3;

    @TempDir
    static Path tmp;

    private static SparkSession spark;
    private static Path model;
    private static Path images;
    private static List<Path> photos;

    @BeforeAll
    static void setUp() throws Exception {
        images = Files.createDirectories(tmp.resolve("images"));
        photos = SparkFixtures.images(images);
        model = SparkFixtures.smallModel(tmp.resolve("small.laud"), 7);
        spark = SparkFixtures.spark();
    }

    private static Dataset<Row> files() {
        return spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(images.toString());
    }

    private static LaudImageClassifier classifier() {
        return new LaudImageClassifier().setModelPath(model.toString()).setTopK(TOP_K).setBatchSize(3)
                .setDevice(DeviceKind.CPU);
    }

    /** The rows by file name. */
    private static Map<String, Row> byName(Dataset<Row> out, String pathColumn) {
        Map<String, Row> m = new HashMap<>();
        for (Row r : out.collectAsList()) {
            String p = r.getString(r.fieldIndex(pathColumn));
            m.put(p.substring(p.lastIndexOf('/') + 1), r);
        }
        return m;
    }

    /** Checks that a row's predictions are those of the in-process predictor for the image. */
    private static void assertSamePrediction(GatedClassifications expected, Row row, String name) {
        List<Double> p = expected.getProbabilities();
        List<Row> classes = row.getList(row.fieldIndex("prediction_classes"));
        assertEquals(TOP_K, classes.size(), name);
        for (int i = 0; i < TOP_K; i++) {
            Row c = classes.get(i);
            int index = c.getInt(0);
            assertEquals(SparkFixtures.LABELS.get(index), c.getString(1), name);
            assertEquals(p.get(index), c.getDouble(2), 1e-5, name + " class " + index);
            if (i > 0) {
                assertTrue(classes.get(i - 1).getDouble(2) >= c.getDouble(2), name + ": most probable first");
            }
        }
        double best = p.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertEquals(best, classes.get(0).getDouble(2), 1e-5, name + ": the best class comes first");
        GateReport report = expected.gateReport();
        assertEquals(report.macsRatio(), row.getDouble(row.fieldIndex("prediction_macs_ratio")), 1e-9, name);
        List<Row> stages = row.getList(row.fieldIndex("prediction_stage_densities"));
        assertEquals(report.stages(), stages.size(), name);
        for (int s = 0; s < stages.size(); s++) {
            BlockDensities d = report.stageDensities(s, -1);
            Row st = stages.get(s);
            assertEquals(s, st.getInt(0));
            assertEquals(d.d1(), st.getDouble(1), 1e-9, name + " stage " + s);
            assertEquals(d.d2(), st.getDouble(2), 1e-9, name + " stage " + s);
            assertEquals(d.d3(), st.getDouble(3), 1e-9, name + " stage " + s);
            assertEquals(d.dc(), st.getDouble(4), 1e-9, name + " stage " + s);
        }
        assertNull(row.get(row.fieldIndex("error")), name);
    }

    @Test
    void photosMatchTheInProcessPredictorAndBadFilesCarryErrors() throws Exception {
        Dataset<Row> out = classifier().transform(files());
        assertEquals(List.of("path", "modificationTime", "length", "content", "prediction_classes",
                "prediction_macs_ratio", "prediction_stage_densities", "error"), List.of(out.columns()));
        Map<String, Row> rows = byName(out, "path");
        assertEquals(photos.size() + 2, rows.size(), rows.keySet().toString());
        try (LaudModel m = LaudModel.load(model);
                LaudPredictor<Path, GatedClassifications> p = m.newClassifier(Path.class, TOP_K)) {
            for (Path photo : photos) {
                String name = photo.getFileName().toString();
                assertSamePrediction(p.predict(photo), rows.get(name), name);
            }
        }
        Row truncated = rows.get("truncated.jpg");
        String error = truncated.getString(truncated.fieldIndex("error"));
        assertTrue(error.contains("truncated.jpg") && error.contains("truncated JPEG"), error);
        Row text = rows.get("notes.txt");
        error = text.getString(text.fieldIndex("error"));
        assertTrue(error.contains("notes.txt") && error.contains("not a decodable image"), error);
        for (Row bad : List.of(truncated, text)) {
            assertTrue(bad.isNullAt(bad.fieldIndex("prediction_classes")));
            assertTrue(bad.isNullAt(bad.fieldIndex("prediction_macs_ratio")));
            assertTrue(bad.isNullAt(bad.fieldIndex("prediction_stage_densities")));
        }
        double[] ratios = photos.stream().mapToDouble(ph -> rows.get(ph.getFileName().toString())
                .getDouble(rows.get(ph.getFileName().toString()).fieldIndex("prediction_macs_ratio"))).toArray();
        assertTrue(java.util.Arrays.stream(ratios).distinct().count() > 1,
                "the random gates choose per image: " + java.util.Arrays.toString(ratios));
    }

    @Test
    void sparkImageStructsGiveTheSamePredictionsAsTheirFiles() {
        Dataset<Row> structs = spark.read().format("image").option("dropInvalid", "false")
                .option("recursiveFileLookup", "true").load(images.toString());
        Dataset<Row> out = classifier().setInputCol("image").transform(structs)
                .withColumn("origin", functions.col("image.origin"));
        Map<String, Row> fromStructs = byName(out, "origin");
        Map<String, Row> fromBytes = byName(classifier().transform(files()), "path");
        assertEquals(fromBytes.keySet(), fromStructs.keySet());
        for (Path photo : photos) {
            String name = photo.getFileName().toString();
            Row a = fromBytes.get(name);
            Row b = fromStructs.get(name);
            assertNull(b.get(b.fieldIndex("error")), name + ": " + b.get(b.fieldIndex("error")));
            List<Row> ca = a.getList(a.fieldIndex("prediction_classes"));
            List<Row> cb = b.getList(b.fieldIndex("prediction_classes"));
            for (int i = 0; i < TOP_K; i++) {
                assertEquals(ca.get(i).getInt(0), cb.get(i).getInt(0), name);
                assertEquals(ca.get(i).getDouble(2), cb.get(i).getDouble(2), 1e-5, name);
            }
            assertEquals(a.getDouble(a.fieldIndex("prediction_macs_ratio")),
                    b.getDouble(b.fieldIndex("prediction_macs_ratio")), 1e-9, name);
        }
        // Spark's image source marks what it cannot decode with sizes of -1; it decodes a truncated JPEG as far as
        // the data goes (the binaryFile route refuses it)
        Row text = fromStructs.get("notes.txt");
        String error = text.getString(text.fieldIndex("error"));
        assertTrue(error.contains("notes.txt") && error.contains("-1 x -1 pixels: sizes must be positive"), error);
        Row truncated = fromStructs.get("truncated.jpg");
        assertNull(truncated.get(truncated.fieldIndex("error")));
    }

    @Test
    void savedAndLoadedClassifierGivesTheSameOutput(@TempDir Path dir) throws Exception {
        LaudImageClassifier original = classifier().setOutputCol("laud").setErrorCol("problem").setTopK(2);
        String saved = dir.resolve("stage").toString();
        original.write().save(saved);
        LaudImageClassifier loaded = LaudImageClassifier.load(saved);
        assertEquals(original.uid(), loaded.uid());
        assertEquals(model.toString(), loaded.getModelPath());
        assertEquals(List.of("laud_classes", "laud_macs_ratio", "laud_stage_densities", "problem"),
                loaded.outputColumns());
        assertEquals(2, loaded.getTopK());
        assertEquals(3, loaded.getBatchSize());
        assertEquals(DeviceKind.CPU, loaded.getDevice());
        Dataset<Row> in = files().drop("content", "modificationTime", "length").join(files(), "path");
        List<String> a = rowsAsText(original.transform(in));
        List<String> b = rowsAsText(loaded.transform(in));
        assertEquals(photos.size() + 2, a.size());
        assertEquals(a, b);
        // as a stage of a pipeline too
        org.apache.spark.ml.Pipeline pipeline = new org.apache.spark.ml.Pipeline()
                .setStages(new org.apache.spark.ml.PipelineStage[] {original});
        String pipelinePath = dir.resolve("pipeline").toString();
        pipeline.fit(in).write().save(pipelinePath);
        List<String> c = rowsAsText(org.apache.spark.ml.PipelineModel.load(pipelinePath).transform(in));
        assertEquals(a, c);
    }

    /** The rows without the binary content, as sorted text. */
    private static List<String> rowsAsText(Dataset<Row> out) {
        return out.drop("content").collectAsList().stream().map(Row::toString).sorted().collect(Collectors.toList());
    }

    @Test
    void theModelIsLoadedOncePerJvmAcrossTasksAndPartitions() throws Exception {
        Path own = SparkFixtures.smallModel(tmp.resolve("counted.laud"), 11);
        LaudImageClassifier c = classifier().setModelPath(own.toString());
        String key = ModelSource.local(own.toString(), DeviceKind.CPU).key();
        LaudModelCache cache = LaudModelCache.jvm();
        assertEquals(0, cache.loads(key));
        long before = cache.loads();
        Dataset<Row> eight = files().repartition(8);
        for (int job = 0; job < 2; job++) {
            Dataset<Row> out = c.transform(eight).withColumn("partition", functions.spark_partition_id());
            List<Row> rows = out.select("partition", "error").collectAsList();
            assertEquals(photos.size() + 2, rows.size());
            assertTrue(rows.stream().map(r -> r.getInt(0)).distinct().count() >= 4,
                    "the rows were spread over several partitions (tasks)");
        }
        assertEquals(1, cache.loads(key), "one load for 2 jobs of 8 partitions each");
        assertEquals(1, cache.loads() - before);
        assertEquals(0, cache.leases(key), "every task released its lease");
        assertTrue(cache.keys().contains(key), "the model stays loaded for the next job");
    }

    @Test
    void configurationErrorsNameTheValue() {
        Dataset<Row> in = files();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LaudImageClassifier().transform(in));
        assertTrue(e.getMessage().startsWith("modelPath must be set"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> classifier().setInputCol("pixels").transform(in));
        assertTrue(e.getMessage().startsWith("inputCol 'pixels' is not a column of [path, modificationTime"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> classifier().setInputCol("length").transform(in));
        assertEquals("inputCol 'length' must be binary (encoded image bytes) or Spark's image struct, got bigint",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> classifier().setErrorCol("path").transform(in));
        assertTrue(e.getMessage().startsWith("output column 'path' already exists"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> classifier().setBatchSize(0));
        assertEquals("batchSize must be positive, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> classifier().setModelPath(" "));
        assertTrue(e.getMessage().startsWith("modelPath must be a .laud file or one of [resnet50-imagenet]"),
                e.getMessage());
    }

    @Test
    void aMissingModelFailsTheJobNamingThePath() {
        Path missing = tmp.resolve("missing.laud");
        SparkException e = assertThrows(SparkException.class, () -> classifier().setModelPath(missing.toString())
                .transform(files()).collectAsList());
        String all = causes(e);
        assertTrue(all.contains(missing.toString()), all);
    }

    @Test
    void aDecodedImageStructIsCheckedBeforeItsPixelsAreCopied() throws Exception {
        BufferedImage one = SparkImages.fromImageRow(imageRow("a", 2, 1, 3, new byte[] {1, 2, 3, 4, 5, 6}), "col");
        assertEquals(0x030201, one.getRGB(0, 0) & 0xffffff, "BGR bytes become RGB");
        assertEquals(0x060504, one.getRGB(1, 0) & 0xffffff);
        Exception e = assertThrows(org.laudnet.models.inference.ImageInputException.class,
                () -> SparkImages.fromImageRow(imageRow("b", 100_000, 100_000, 3, new byte[3]), "col"));
        assertEquals("b: image row of 100000 x 100000 x 3 must hold 30000000000 data bytes, got 3", e.getMessage());
        e = assertThrows(org.laudnet.models.inference.ImageInputException.class,
                () -> SparkImages.fromImageRow(imageRow("", 2, 2, 2, new byte[8]), "col"));
        assertEquals("col: image row with nChannels 2: must be 1, 3 or 4", e.getMessage());
        e = assertThrows(org.laudnet.models.inference.ImageInputException.class,
                () -> SparkImages.fromImageRow(imageRow("c", 3000, 1, 1, new byte[3000]), "col"));
        assertTrue(e.getMessage().startsWith("c: has 3000 x 1 pixels, an aspect ratio beyond the limit of 32:1"),
                e.getMessage());
    }

    private static Row imageRow(String origin, int width, int height, int channels, byte[] data) {
        org.apache.spark.sql.types.StructType schema = org.apache.spark.ml.image.ImageSchema.columnSchema();
        Object[] v = {origin, height, width, channels, channels == 1 ? 0 : 16, data};
        return new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(v, schema);
    }

    private static String causes(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            b.append(t).append('\n');
        }
        return b.toString();
    }
}
