package org.laudnet.bench.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.models.inference.GatedClassifications;
import org.laudnet.models.inference.LaudPredictor;
import org.laudnet.spark.LaudImageClassifier;
import org.laudnet.spark.LaudModelCache;
import org.laudnet.spark.ModelSource;

/**
 * Images per second of batch classification three ways, on the same encoded images: the in-process predictor (one
 * thread, {@code batchPredict} of {@code batch} images at a time), and {@link LaudImageClassifier} on Spark sessions
 * {@code local[1]} and {@code local[2]} (the images in an in-memory DataFrame of {@code 2 N} partitions, so that
 * decoding, batching and the row encoding are in the measurement and file reading is not). Each configuration is run
 * {@code warmup} times untimed, then {@code runs} times; the median is reported. Every model is loaded once for the
 * whole run (the in-process predictor uses the model Spark's tasks share), so loading is outside the measurement. Not
 * thread-safe; one run at a time.
 */
public final class SparkBenchmark {

    /**
     * What to measure.
     *
     * @param models the models to compare, by label (e.g. static, gated), in report order
     * @param images the encoded images (repeated in order to {@code count})
     * @param count how many images each pass classifies
     * @param batch images per call of the network
     * @param runs timed passes per configuration
     * @param warmup untimed passes before them
     * @param masters the Spark masters, e.g. {@code local[1]}, {@code local[2]}
     */
    public record Settings(List<Model> models, List<byte[]> images, int count, int batch, int runs, int warmup,
            List<String> masters) {
        /** Validates. */
        public Settings {
            if (models.isEmpty() || images.isEmpty() || masters.isEmpty()) {
                throw new IllegalArgumentException("models, images and masters must not be empty");
            }
            if (count <= 0 || batch <= 0 || runs <= 0 || warmup < 0) {
                throw new IllegalArgumentException("count, batch and runs must be positive and warmup non-negative,"
                        + " got " + count + ", " + batch + ", " + runs + ", " + warmup);
            }
            models = List.copyOf(models);
            images = List.copyOf(images);
            masters = List.copyOf(masters);
        }
    }

    /**
     * A model of the comparison.
     *
     * @param label its name in the report (e.g. its file name)
     * @param path its file (or pretrained name)
     */
    public record Model(String label, String path) {}

    /**
     * One model's results.
     *
     * @param model the model
     * @param meanMacsRatio the mean MACs ratio over the images
     * @param inProcess images/s of the in-process predictor (median)
     * @param spark images/s per master (median), in the order of {@link Settings#masters()}
     */
    public record ModelResult(Model model, double meanMacsRatio, double inProcess, double[] spark) {}

    private SparkBenchmark() {}

    /**
     * Runs the benchmark.
     *
     * @param s what to measure
     * @param log told of each measurement
     * @return one result per model
     * @throws Exception if a model cannot be loaded or a pass fails
     */
    public static List<ModelResult> run(Settings s, Consumer<String> log) throws Exception {
        List<byte[]> pass = new ArrayList<>(s.count());
        for (int i = 0; i < s.count(); i++) {
            pass.add(s.images().get(i % s.images().size()));
        }
        double[][] sparkRates = new double[s.models().size()][s.masters().size()];
        for (int mi = 0; mi < s.masters().size(); mi++) {
            String master = s.masters().get(mi);
            SparkSession spark = SparkSession.builder().master(master).appName("laudnet bench spark")
                    .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
            try {
                int partitions = 2 * spark.sparkContext().defaultParallelism();
                Dataset<Row> df = frame(spark, pass, partitions);
                for (int k = 0; k < s.models().size(); k++) {
                    Model m = s.models().get(k);
                    LaudImageClassifier c = new LaudImageClassifier().setModelPath(m.path()).setBatchSize(s.batch())
                            .setTopK(1).setDevice(DeviceKind.CPU);
                    double[] rates = new double[s.runs()];
                    for (int r = -s.warmup(); r < s.runs(); r++) {
                        long t0 = System.nanoTime();
                        List<Row> out = c.transform(df).select("error").collectAsList();
                        double sec = (System.nanoTime() - t0) / 1e9;
                        long errors = out.stream().filter(x -> !x.isNullAt(0)).count();
                        if (out.size() != s.count() || errors > 0) {
                            throw new IllegalStateException(m.label() + " on " + master + ": " + out.size()
                                    + " rows, " + errors + " errors, expected " + s.count() + " rows without errors");
                        }
                        if (r >= 0) {
                            rates[r] = s.count() / sec;
                        }
                    }
                    sparkRates[k][mi] = median(rates);
                    log.accept(String.format(Locale.ROOT, "%s on %s (%d partitions): %.2f images/s", m.label(),
                            master, partitions, sparkRates[k][mi]));
                }
            } finally {
                spark.stop();
            }
        }
        List<ModelResult> rows = new ArrayList<>();
        for (int k = 0; k < s.models().size(); k++) {
            Model m = s.models().get(k);
            try (LaudModelCache.Lease lease = LaudModelCache.jvm().acquire(ModelSource.local(m.path(),
                    DeviceKind.CPU));
                    LaudPredictor<byte[], GatedClassifications> p = lease.model().newClassifier(byte[].class, 1)) {
                double[] rates = new double[s.runs()];
                double macs = 0;
                for (int r = -s.warmup(); r < s.runs(); r++) {
                    long t0 = System.nanoTime();
                    double sum = 0;
                    for (int i = 0; i < pass.size(); i += s.batch()) {
                        for (GatedClassifications g : p.batchPredict(pass.subList(i, Math.min(pass.size(),
                                i + s.batch())))) {
                            sum += g.macsRatio();
                        }
                    }
                    double sec = (System.nanoTime() - t0) / 1e9;
                    macs = sum / pass.size();
                    if (r >= 0) {
                        rates[r] = s.count() / sec;
                    }
                }
                double inProcess = median(rates);
                log.accept(String.format(Locale.ROOT, "%s in process: %.2f images/s, mean MACs ratio %.3f",
                        m.label(), inProcess, macs));
                rows.add(new ModelResult(m, macs, inProcess, sparkRates[k]));
            }
        }
        return rows;
    }

    private static Dataset<Row> frame(SparkSession spark, List<byte[]> pass, int partitions) {
        StructType schema = new StructType(new StructField[] {
            DataTypes.createStructField("path", DataTypes.StringType, false),
            DataTypes.createStructField("content", DataTypes.BinaryType, false)});
        List<Row> rows = new ArrayList<>(pass.size());
        for (int i = 0; i < pass.size(); i++) {
            rows.add(RowFactory.create("image-" + i, pass.get(i)));
        }
        return spark.createDataFrame(rows, schema).repartition(partitions).cache();
    }

    static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    /**
     * The markdown report.
     *
     * @param rows the results
     * @param s the settings
     * @param machine the machine
     * @param threads intra-op threads per task (and of the in-process predictor)
     * @param command the command that produced it
     * @param note text under the title, or empty
     * @return the report
     */
    public static String markdown(List<ModelResult> rows, Settings s, String machine, int threads, String command,
            String note) {
        StringBuilder b = new StringBuilder("# Batch classification on Spark: local[1] and local[2] against the"
                + " in-process predictor\n\n");
        if (!note.isEmpty()) {
            b.append(note).append("\n\n");
        }
        b.append("- Command: `").append(command).append("`\n");
        b.append("- Machine: ").append(machine).append('\n');
        b.append("- Spark ").append(org.apache.spark.package$.MODULE$.SPARK_VERSION()).append(", Java ")
                .append(System.getProperty("java.version")).append('\n');
        b.append(String.format(Locale.ROOT, "- %d images per pass (%d photos repeated), batch %d, %d intra-op"
                + " thread(s) per task and for the in-process predictor, median of %d passes after %d warm-up"
                + " pass(es); Spark's input is an in-memory DataFrame of 2 partitions per slot (no file reading)%n%n",
                s.count(), s.images().size(), s.batch(), threads, s.runs(), s.warmup()));
        b.append("| model | mean MACs ratio | in process (images/s) |");
        for (String m : s.masters()) {
            b.append(' ').append(m).append(" (images/s) |");
        }
        for (String m : s.masters()) {
            b.append(' ').append(m).append(" / in process |");
        }
        b.append('\n').append("|---|---:|---:|").append("---:|".repeat(2 * s.masters().size())).append('\n');
        for (ModelResult r : rows) {
            b.append(String.format(Locale.ROOT, "| %s | %.3f | %.2f |", r.model().label(), r.meanMacsRatio(),
                    r.inProcess()));
            for (double v : r.spark()) {
                b.append(String.format(Locale.ROOT, " %.2f |", v));
            }
            for (double v : r.spark()) {
                b.append(String.format(Locale.ROOT, " %.2f |", v / r.inProcess()));
            }
            b.append('\n');
        }
        b.append("\nThe local[N] columns include Spark's task scheduling, the row encoding of the results and the"
                + " collection of one column on the driver; each task decodes, batches and classifies its partition"
                + " with its own predictor of the one model its JVM shares.\n");
        return b.toString();
    }

    /**
     * Reads the bytes of image files.
     *
     * @param files the files
     * @return their bytes, in order
     * @throws java.io.IOException if one cannot be read
     */
    public static List<byte[]> read(List<Path> files) throws java.io.IOException {
        List<byte[]> out = new ArrayList<>(files.size());
        for (Path f : files) {
            out.add(Files.readAllBytes(f));
        }
        return out;
    }
}
