package org.laudnet.bench.cli;

import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.models.inference.PretrainedModels;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.spark.DirectoryClassification;
import org.laudnet.spark.LaudModelCache;
import org.laudnet.spark.ModelSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code laudnet spark-classify}: classifies every file under a directory with Spark
 * ({@link DirectoryClassification}: the {@code binaryFile} source, {@link org.laudnet.spark.LaudImageClassifier}) and
 * writes one row per file in Parquet or JSON; prints a progress line as tasks finish and a summary (images/s, errors,
 * mean MACs ratio). A local model file is loaded once before Spark starts, so that a bad file is reported before any
 * work, and so is a pretrained model in local mode (the tasks of local[N] share that model through the JVM's
 * {@link LaudModelCache}; the progress and images/s leave loading out).
 */
@Command(
        name = "spark-classify",
        mixinStandardHelpOptions = true,
        description = "Classifies every file under --input (recursively) with Spark and writes one row per file"
                + " (path, top classes, MACs ratio, per-stage densities, error) as Parquet or JSON to --output;"
                + " files that are not decodable images get a row with their error.")
public final class SparkClassifyCommand implements Callable<Integer> {

    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?])?");

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "FILE.laud",
            description = "A saved LAUD model file (a local path or a Hadoop URI such as hdfs://...).")
    String model;

    @Option(names = "--weights", paramLabel = "NAME",
            description = "A pretrained model instead of --model: resnet50-imagenet (read from the asset cache of"
                    + " every executor).")
    String weights;

    @Option(names = "--input", required = true, paramLabel = "DIR",
            description = "The directory of images, read recursively (a local path or a Hadoop URI).")
    String input;

    @Option(names = "--output", required = true, paramLabel = "OUT",
            description = "Where to write the rows (a directory that must not exist; a local path or a Hadoop URI).")
    String output;

    @Option(names = "--format", defaultValue = "PARQUET",
            description = "parquet or json (default: ${DEFAULT-VALUE}).")
    DirectoryClassification.Format format;

    @Option(names = "--master", defaultValue = "local[2]",
            description = "Spark master, e.g. local[N] (default: ${DEFAULT-VALUE}); for a cluster submit the"
                    + " laudnet-spark shaded jar with spark-submit instead (README, Spark).")
    String master;

    @Option(names = "--batch", defaultValue = "8", description = "Images per call of the network (default:"
            + " ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--top", defaultValue = "5", description = "Classes per image (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--device", defaultValue = "AUTO", description = "AUTO, CPU or CUDA (default: ${DEFAULT-VALUE}).")
    DeviceKind device;

    @Option(names = "--threads", description = "Intra-op threads per task (default: the cores divided by the N of"
            + " local[N], at least 1).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        OptionChecks.positive(spec, "--batch", batch);
        OptionChecks.positive(spec, "--top", top);
        if (threads != null) {
            OptionChecks.positive(spec, "--threads", threads);
        }
        int slots = localSlots();
        String modelPath = modelPath();
        if (isLocal(input)) {
            InputFiles.directory("--input", localPath(input));
        }
        if (isLocal(output)) {
            Path out = localPath(output);
            InputFiles.outputDirectory(spec, "--output", out);
            if (Files.exists(out)) {
                throw OptionChecks.bad(spec, "--output " + output + ": already exists; give a new directory");
            }
        }
        int taskThreads = threads != null ? threads
                : Math.max(1, Runtime.getRuntime().availableProcessors() / Math.max(1, slots));
        // before the engine starts: the tasks of local[N] share the cores
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(taskThreads));
        PrintStream out = System.out;
        // a local model file is checked (loaded) before Spark starts, and so is a pretrained model in local mode: the
        // tasks of local[N] use this load, and the progress and images/s leave loading out
        String taskModel = weights != null ? modelPath
                : isLocal(modelPath) ? localPath(modelPath).toAbsolutePath().toString() : modelPath;
        LaudModelCache.Lease checked = (weights != null ? slots > 0 : isLocal(modelPath))
                ? LaudModelCache.jvm().acquire(ModelSource.local(taskModel, device))
                : null;
        SparkSession.Builder builder = SparkSession.builder().master(master).appName("laudnet spark-classify")
                .config("spark.ui.enabled", "false");
        if (slots > 0) {
            builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        }
        SparkSession spark = builder.getOrCreate();
        try {
            DirectoryClassification.Settings settings = new DirectoryClassification.Settings(
                    taskModel, absolute(input),
                    absolute(output), format, batch, top, device);
            long[] last = {0};
            DirectoryClassification.Summary s = DirectoryClassification.run(spark, settings,
                    (written, total, seconds) -> {
                        long now = System.nanoTime();
                        synchronized (last) {
                            if (written < total && now - last[0] < 1_000_000_000L) {
                                return;
                            }
                            last[0] = now;
                        }
                        out.printf(Locale.ROOT, "progress: %d/%d files (%.0f%%), %.1f s, %.2f images/s%n", written,
                                total, 100.0 * written / Math.max(1, total), seconds, written / seconds);
                    });
            out.printf(Locale.ROOT, "classified %d files in %.1f s (%.2f images/s) on %s, %d intra-op thread(s) per"
                    + " task, batch %d: %d errors, mean MACs ratio %s%n", s.images(), s.seconds(),
                    s.imagesPerSecond(), master, taskThreads, batch, s.errors(),
                    Double.isNaN(s.meanMacsRatio()) ? "n/a" : String.format(Locale.ROOT, "%.3f", s.meanMacsRatio()));
            out.printf("wrote %s to %s%n", format.sparkName(), s.output());
        } finally {
            spark.stop();
            if (checked != null) {
                checked.close();
            }
        }
        return 0;
    }

    /** The N of local[N] (the cores for local[*], 1 for local), or 0 for another master. */
    private int localSlots() {
        if (master == null || master.isBlank()) {
            throw OptionChecks.bad(spec, "--master must be a Spark master such as local[2], got '" + master + "'");
        }
        Matcher m = LOCAL.matcher(master.trim());
        if (!m.matches()) {
            if (master.startsWith("local")) {
                throw OptionChecks.bad(spec, "--master must be local, local[N] or local[*], got '" + master + "'");
            }
            return 0;
        }
        if (m.group(1) == null) {
            return 1;
        }
        if (m.group(1).equals("*")) {
            return Runtime.getRuntime().availableProcessors();
        }
        int n;
        try {
            n = Integer.parseInt(m.group(1));
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n <= 0) {
            throw OptionChecks.bad(spec, "--master local[N] needs a positive N, got '" + master + "'");
        }
        return n;
    }

    /** The model: --model (checked when local) or --weights; one of them is required. */
    private String modelPath() throws Exception {
        if ((model == null) == (weights == null)) {
            throw OptionChecks.bad(spec, "give exactly one of --model FILE.laud and --weights NAME, got "
                    + (model == null ? "neither" : "both"));
        }
        if (weights != null) {
            if (!PretrainedModels.NAMES.contains(weights)) {
                throw OptionChecks.bad(spec, "--weights must be one of " + PretrainedModels.NAMES + ", got '" + weights
                        + "'");
            }
            AssetCache cache = AssetCache.defaultCache();
            if (!cache.hasResNet50()) {
                throw new EnvironmentException("the ImageNet ResNet-50 is not in " + cache.resnet50Dir()
                        + "; fetch it with 'scripts/fetch-assets weights'");
            }
            return weights;
        }
        if (isLocal(model)) {
            InputFiles.file("--model", localPath(model));
        }
        return model;
    }

    /** Whether a path is on the local file system (no scheme, or {@code file:}). */
    static boolean isLocal(String path) {
        try {
            String scheme = new URI(path).getScheme();
            return scheme == null || scheme.length() == 1 || scheme.equalsIgnoreCase("file");
        } catch (URISyntaxException e) {
            return true;
        }
    }

    /** A local path given as a plain path or a {@code file:} URI. */
    private static Path localPath(String path) {
        return path.regionMatches(true, 0, "file:", 0, 5) ? Path.of(URI.create(path)) : Path.of(path);
    }

    /** A local path made absolute (tasks may run elsewhere than the working directory); URIs as given. */
    private static String absolute(String path) {
        return isLocal(path) ? localPath(path).toAbsolutePath().toString() : path;
    }
}
