package org.laudnet.spark;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.laudnet.core.exec.DeviceKind;

/**
 * Classifies every file under a directory (recursively, through Spark's {@code binaryFile} source) with a
 * {@link LaudImageClassifier} and writes one row per file, in Parquet or JSON, with the {@link #schema() documented
 * schema}: {@code path}, the classes, MACs ratio and stage densities ({@link ClassifierColumns} with the prefix
 * {@value #PREFIX}) and {@code error}. A file that is not a decodable image gets a row with its error; the job goes
 * on. The output must not exist. Behind {@code laudnet spark-classify}. Stateless and thread-safe; a run uses the
 * session it is given.
 */
public final class DirectoryClassification {

    /** The prefix of the prediction columns in the output. */
    public static final String PREFIX = "prediction";
    /** The error column in the output. */
    public static final String ERROR = "error";
    /** The path column in the output (the file's URI, as the {@code binaryFile} source names it). */
    public static final String PATH = "path";

    private DirectoryClassification() {}

    /** The output formats. */
    public enum Format {
        /** Apache Parquet. */
        PARQUET,
        /** JSON lines (null values omitted). */
        JSON;

        /** Returns Spark's name of the format. */
        public String sparkName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * What to classify and where to write it.
     *
     * @param modelPath the model ({@link ModelSource}: a {@code .laud} file or a pretrained name)
     * @param input the directory of images (any Hadoop-readable path)
     * @param output where to write (must not exist)
     * @param format the output format
     * @param batchSize images per call of the network
     * @param topK classes per image
     * @param device where the model runs
     */
    public record Settings(String modelPath, String input, String output, Format format, int batchSize, int topK,
            DeviceKind device) {
        /** Validates. */
        public Settings {
            if (modelPath == null || input == null || output == null || format == null || device == null) {
                throw new IllegalArgumentException("modelPath, input, output, format and device must not be null");
            }
            if (batchSize <= 0 || topK <= 0) {
                throw new IllegalArgumentException("batchSize and topK must be positive, got " + batchSize + " and "
                        + topK);
            }
        }
    }

    /**
     * What a run did.
     *
     * @param images the rows written (one per file)
     * @param errors the rows with an error
     * @param meanMacsRatio the mean MACs ratio of the classified images (NaN when none was)
     * @param seconds wall time of classifying and writing
     * @param output where the rows are
     */
    public record Summary(long images, long errors, double meanMacsRatio, double seconds, String output) {
        /** Returns the files per second of wall time. */
        public double imagesPerSecond() {
            return seconds > 0 ? images / seconds : Double.NaN;
        }
    }

    /** Told of the progress while a run classifies (from Spark's listener thread). */
    @FunctionalInterface
    public interface Progress {
        /**
         * Reports progress: called when a task that wrote rows ends.
         *
         * @param written rows written so far
         * @param total files to classify
         * @param seconds since classifying started
         */
        void update(long written, long total, double seconds);
    }

    /** Returns the documented output schema: {@code path} and the {@link ClassifierColumns} with {@value #PREFIX}. */
    public static StructType schema() {
        List<StructField> fields = new ArrayList<>();
        fields.add(DataTypes.createStructField(PATH, DataTypes.StringType, true));
        fields.addAll(ClassifierColumns.fields(PREFIX, ERROR));
        return new StructType(fields.toArray(StructField[]::new));
    }

    /**
     * Classifies every file under {@code settings.input()} and writes the rows.
     *
     * @param spark the session
     * @param settings what to do
     * @param progress told of the progress, or null
     * @return the summary, computed from the rows written
     * @throws org.apache.spark.sql.AnalysisException (unchecked in Spark 4) if the input does not exist or the output
     *     does
     */
    public static Summary run(SparkSession spark, Settings settings, Progress progress) {
        Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true")
                .load(settings.input());
        long total = files.select(PATH).count();
        LaudImageClassifier classifier = new LaudImageClassifier().setModelPath(settings.modelPath())
                .setInputCol("content").setPathCol(PATH).setOutputCol(PREFIX).setErrorCol(ERROR)
                .setBatchSize(settings.batchSize()).setTopK(settings.topK()).setDevice(settings.device());
        List<String> columns = new ArrayList<>(List.of(PATH));
        columns.addAll(classifier.outputColumns());
        Dataset<Row> rows = classifier.transform(files).select(columns.stream().map(c -> col(c))
                .toArray(org.apache.spark.sql.Column[]::new));
        long start = System.nanoTime();
        AtomicLong written = new AtomicLong();
        SparkListener listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (end.taskMetrics() == null) {
                    return;
                }
                long n = end.taskMetrics().outputMetrics().recordsWritten();
                if (n > 0 && progress != null) {
                    progress.update(written.addAndGet(n), total, (System.nanoTime() - start) / 1e9);
                }
            }
        };
        spark.sparkContext().addSparkListener(listener);
        try {
            rows.write().mode(SaveMode.ErrorIfExists).format(settings.format().sparkName()).save(settings.output());
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Row agg = read(spark, settings.format(), settings.output())
                .agg(count(col(PATH)), count(when(col(ERROR).isNotNull(), 1)), avg(col(PREFIX
                        + ClassifierColumns.MACS_RATIO)))
                .first();
        return new Summary(agg.getLong(0), agg.getLong(1), agg.isNullAt(2) ? Double.NaN : agg.getDouble(2), seconds,
                settings.output());
    }

    /**
     * Reads the rows a run wrote, with the documented schema.
     *
     * @param spark the session
     * @param format the format they were written in
     * @param output where they were written
     * @return the rows
     */
    public static Dataset<Row> read(SparkSession spark, Format format, String output) {
        return format == Format.JSON
                ? spark.read().schema(schema()).option("mode", "FAILFAST").json(output)
                : spark.read().parquet(output);
    }
}
