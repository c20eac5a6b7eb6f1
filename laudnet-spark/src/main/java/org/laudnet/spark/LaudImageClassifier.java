package org.laudnet.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.laudnet.core.exec.DeviceKind;

/**
 * Classifies the images of a DataFrame with a LAUD model: a Spark ML {@link Transformer} (a pipeline stage that saves
 * and loads with {@code write().save(path)} / {@link #load(String)}).
 *
 * <pre>{@code
 * Dataset<Row> files = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load("photos/");
 * Dataset<Row> out = new LaudImageClassifier().setModelPath("hdfs:///models/resnet50-laud.laud").transform(files);
 * out.select("path", "prediction_classes", "prediction_macs_ratio", "error").show();
 * }</pre>
 *
 * <p>Params: {@code modelPath} (required: a {@code .laud} file on the executors' file system or any Hadoop file system,
 * or the pretrained {@value org.laudnet.models.inference.PretrainedModels#RESNET50_IMAGENET}; see {@link ModelSource}),
 * {@code inputCol} (default {@code content}: encoded image bytes as from the {@code binaryFile} source, or a struct of
 * Spark's image schema), {@code pathCol} (default {@code path}: a string column naming each row's file in error
 * messages, used when present), {@code outputCol} (default {@code prediction}: the prefix of the appended columns),
 * {@code errorCol} (default {@code error}), {@code topK} (default 5), {@code batchSize} (default 8: images per call of
 * the network) and {@code device} ({@code AUTO}, {@code CPU} or {@code CUDA}, default {@code AUTO}).
 *
 * <p>The output is the input with the {@link ClassifierColumns}: the top-k classes, the MACs ratio and per-stage
 * densities the gates chose for the row's image, and an error column. A row whose image is refused (not decodable,
 * truncated, beyond the limits of {@link org.laudnet.models.inference.ImageInputs}) has null predictions and the
 * reason in the error column; the job goes on. A model that cannot be loaded fails the job.
 *
 * <p>Each executor JVM loads the model once ({@link LaudModelCache}) and its task threads share it, each with its own
 * predictor; rows are classified {@code batchSize} at a time within a partition. A transformer is a configuration:
 * like every Spark {@code Params}, do not change one from several threads at once; transforms of it may run
 * concurrently.
 */
public final class LaudImageClassifier extends Transformer implements DefaultParamsWritable {

    private static final long serialVersionUID = 1L;

    /** The reader behind {@link #read()}: Spark's default params reader. */
    private static final DefaultParamsReadable<LaudImageClassifier> READABLE =
            new DefaultParamsReadable<LaudImageClassifier>() {};

    private final String uid;
    private final Param<String> modelPath;
    private final Param<String> inputCol;
    private final Param<String> pathCol;
    private final Param<String> outputCol;
    private final Param<String> errorCol;
    private final IntParam topK;
    private final IntParam batchSize;
    private final Param<String> device;

    /** Creates a classifier with a random uid. */
    public LaudImageClassifier() {
        this(Identifiable.randomUID("laudImageClassifier"));
    }

    /**
     * Creates a classifier with the given uid (Spark's readers call this).
     *
     * @param uid the uid
     */
    public LaudImageClassifier(String uid) {
        this.uid = uid;
        modelPath = new Param<>(this, "modelPath", "the .laud model file (any Hadoop-readable path) or a pretrained"
                + " model's name (resnet50-imagenet)");
        inputCol = new Param<>(this, "inputCol", "the column of images: binary (encoded image bytes) or Spark's image"
                + " struct");
        pathCol = new Param<>(this, "pathCol", "a string column naming each row's file in error messages (used when"
                + " present)");
        outputCol = new Param<>(this, "outputCol", "the prefix of the output columns");
        errorCol = new Param<>(this, "errorCol", "the column of error messages (null when the row was classified)");
        topK = new IntParam(this, "topK", "the number of classes per row (> 0)");
        batchSize = new IntParam(this, "batchSize", "the images per call of the network (> 0)");
        device = new Param<>(this, "device", "where executors run the model: AUTO, CPU or CUDA");
        setDefault(inputCol, "content");
        setDefault(pathCol, "path");
        setDefault(outputCol, "prediction");
        setDefault(errorCol, "error");
        setDefault(topK, 5);
        setDefault(batchSize, 8);
        setDefault(device, DeviceKind.AUTO.name());
    }

    /** {@inheritDoc} */
    @Override
    public String uid() {
        return uid;
    }

    /** Returns the param {@code modelPath}. */
    public Param<String> modelPath() {
        return modelPath;
    }

    /** Returns the param {@code inputCol}. */
    public Param<String> inputCol() {
        return inputCol;
    }

    /** Returns the param {@code pathCol}. */
    public Param<String> pathCol() {
        return pathCol;
    }

    /** Returns the param {@code outputCol} (the prefix of the output columns). */
    public Param<String> outputCol() {
        return outputCol;
    }

    /** Returns the param {@code errorCol}. */
    public Param<String> errorCol() {
        return errorCol;
    }

    /** Returns the param {@code topK}. */
    public IntParam topK() {
        return topK;
    }

    /** Returns the param {@code batchSize}. */
    public IntParam batchSize() {
        return batchSize;
    }

    /** Returns the param {@code device}. */
    public Param<String> device() {
        return device;
    }

    /**
     * Sets the model.
     *
     * @param value a {@code .laud} file (local path or Hadoop URI) or a pretrained model's name
     * @return this
     */
    public LaudImageClassifier setModelPath(String value) {
        ModelSource.local(value, DeviceKind.AUTO); // validates
        set(modelPath, value);
        return this;
    }

    /**
     * Sets the input column.
     *
     * @param value its name
     * @return this
     */
    public LaudImageClassifier setInputCol(String value) {
        set(inputCol, nonBlank("inputCol", value));
        return this;
    }

    /**
     * Sets the column naming each row's file in error messages.
     *
     * @param value its name
     * @return this
     */
    public LaudImageClassifier setPathCol(String value) {
        set(pathCol, nonBlank("pathCol", value));
        return this;
    }

    /**
     * Sets the prefix of the output columns.
     *
     * @param value the prefix
     * @return this
     */
    public LaudImageClassifier setOutputCol(String value) {
        set(outputCol, nonBlank("outputCol", value));
        return this;
    }

    /**
     * Sets the error column.
     *
     * @param value its name
     * @return this
     */
    public LaudImageClassifier setErrorCol(String value) {
        set(errorCol, nonBlank("errorCol", value));
        return this;
    }

    /**
     * Sets the number of classes per row.
     *
     * @param value positive
     * @return this
     */
    public LaudImageClassifier setTopK(int value) {
        set(topK, positive("topK", value));
        return this;
    }

    /**
     * Sets the images per call of the network.
     *
     * @param value positive
     * @return this
     */
    public LaudImageClassifier setBatchSize(int value) {
        set(batchSize, positive("batchSize", value));
        return this;
    }

    /**
     * Sets where executors run the model.
     *
     * @param value AUTO, CPU or CUDA
     * @return this
     */
    public LaudImageClassifier setDevice(DeviceKind value) {
        if (value == null) {
            throw new IllegalArgumentException("device must be one of " + Arrays.toString(DeviceKind.values())
                    + ", got null");
        }
        set(device, value.name());
        return this;
    }

    /** Returns the model path, or null when unset. */
    public String getModelPath() {
        return isDefined(modelPath) ? getOrDefault(modelPath) : null;
    }

    /** Returns the input column. */
    public String getInputCol() {
        return getOrDefault(inputCol);
    }

    /** Returns the output prefix. */
    public String getOutputCol() {
        return getOrDefault(outputCol);
    }

    /** Returns the error column. */
    public String getErrorCol() {
        return getOrDefault(errorCol);
    }

    /** Returns the number of classes per row. */
    public int getTopK() {
        return (Integer) getOrDefault(topK);
    }

    /** Returns the images per call. */
    public int getBatchSize() {
        return (Integer) getOrDefault(batchSize);
    }

    /** Returns the device. */
    public DeviceKind getDevice() {
        return parseDevice(getOrDefault(device));
    }

    /** Returns the names of the appended columns, in order ({@link ClassifierColumns#names}). */
    public List<String> outputColumns() {
        return ClassifierColumns.names(getOutputCol(), getErrorCol());
    }

    /**
     * Checks the input schema and returns the output schema: the input's columns and the {@link ClassifierColumns}.
     *
     * @throws IllegalArgumentException if {@code modelPath} is unset, the input column is missing or neither binary
     *     nor an image struct, an output column already exists, or a param is out of range (the message names it)
     */
    @Override
    public StructType transformSchema(StructType schema) {
        check(schema);
        List<StructField> fields = new ArrayList<>(Arrays.asList(schema.fields()));
        fields.addAll(ClassifierColumns.fields(getOutputCol(), getErrorCol()));
        return new StructType(fields.toArray(StructField[]::new));
    }

    private PartitionClassifier.Settings check(StructType schema) {
        String path = getModelPath();
        if (path == null) {
            throw new IllegalArgumentException("modelPath must be set (a .laud file or resnet50-imagenet)");
        }
        positive("topK", getTopK());
        positive("batchSize", getBatchSize());
        DeviceKind kind = getDevice();
        String in = getInputCol();
        List<String> names = Arrays.asList(schema.fieldNames());
        if (!names.contains(in)) {
            throw new IllegalArgumentException("inputCol '" + in + "' is not a column of " + names);
        }
        DataType type = schema.apply(in).dataType();
        PartitionClassifier.InputKind inputKind;
        if (type instanceof BinaryType) {
            inputKind = PartitionClassifier.InputKind.BINARY;
        } else if (isImageStruct(type)) {
            inputKind = PartitionClassifier.InputKind.IMAGE;
        } else {
            throw new IllegalArgumentException("inputCol '" + in + "' must be binary (encoded image bytes) or Spark's"
                    + " image struct, got " + type.simpleString());
        }
        for (String out : outputColumns()) {
            if (names.contains(out)) {
                throw new IllegalArgumentException("output column '" + out + "' already exists in " + names
                        + "; choose another outputCol or errorCol");
            }
        }
        String p = getOrDefault(pathCol);
        int pathIndex = names.contains(p) && schema.apply(p).dataType() instanceof StringType ? names.indexOf(p) : -1;
        return new PartitionClassifier.Settings(ModelSource.local(path, kind), names.indexOf(in), inputKind,
                pathIndex, in, getTopK(), getBatchSize());
    }

    private static boolean isImageStruct(DataType type) {
        if (!(type instanceof StructType s)) {
            return false;
        }
        List<String> f = Arrays.asList(s.fieldNames());
        return f.containsAll(List.of("height", "width", "nChannels", "data"));
    }

    /**
     * Classifies every row's image.
     *
     * @param dataset rows with the input column
     * @return the rows with the appended columns, in the input's partitioning and order
     * @throws IllegalArgumentException as {@link #transformSchema}
     */
    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema(), true);
        PartitionClassifier.Settings s = check(dataset.schema());
        ModelSource source = ModelSource.of(s.source().path(), s.source().device(),
                dataset.sparkSession().sparkContext().hadoopConfiguration());
        PartitionClassifier.Settings settings = new PartitionClassifier.Settings(source, s.inputIndex(), s.kind(),
                s.pathIndex(), s.inputName(), s.topK(), s.batchSize());
        return dataset.toDF().mapPartitions(new PartitionClassifier(settings), Encoders.row(out));
    }

    /** {@inheritDoc} */
    @Override
    public LaudImageClassifier copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /**
     * Returns the reader of saved classifiers ({@code write().save(path)} writes them).
     *
     * @return Spark's default params reader for this class
     */
    public static MLReader<LaudImageClassifier> read() {
        return READABLE.read();
    }

    /**
     * Loads a saved classifier.
     *
     * @param path the directory {@code write().save(path)} wrote
     * @return the classifier with the saved params and uid
     */
    public static LaudImageClassifier load(String path) {
        return READABLE.load(path);
    }

    /**
     * Returns the model a classifier with these params would use in this JVM (loading it into
     * {@link LaudModelCache#jvm()} if needed), e.g. to compare with an in-process predictor.
     *
     * @return a lease on the cached model; close it when done
     * @throws java.io.IOException if the model cannot be loaded
     */
    public LaudModelCache.Lease acquireModel() throws java.io.IOException {
        String path = getModelPath();
        if (path == null) {
            throw new IllegalArgumentException("modelPath must be set (a .laud file or resnet50-imagenet)");
        }
        return LaudModelCache.jvm().acquire(ModelSource.local(path, getDevice()));
    }

    private static DeviceKind parseDevice(String value) {
        try {
            return DeviceKind.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("device must be one of " + Arrays.toString(DeviceKind.values())
                    + ", got '" + value + "'", e);
        }
    }

    private static String nonBlank(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must be a column name, got "
                    + (value == null ? "null" : "'" + value + "'"));
        }
        return value;
    }

    private static int positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
        return value;
    }
}
