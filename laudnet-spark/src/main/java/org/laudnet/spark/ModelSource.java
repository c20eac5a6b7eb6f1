package org.laudnet.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.inference.PretrainedModels;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.WeightFileException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where an executor gets a model from, and how it runs: a pretrained model's name ({@value
 * PretrainedModels#RESNET50_IMAGENET}, read from the executor's asset cache), a {@code .laud} file on the executor's
 * local file system (a plain path or a {@code file:} URI), or a {@code .laud} file on any other Hadoop file system
 * ({@code hdfs:}, {@code s3a:}, {@code abfs:}, ...), which the executor copies once into a local temporary directory
 * (deleted when the JVM exits) with the Hadoop settings the driver captured. A bare file name that does not exist in
 * the working directory is looked up among the files the job distributed ({@code spark-submit --files model.laud},
 * {@code SparkContext.addFile}).
 *
 * <p>The pair {@code (path, device)} is the key of {@link LaudModelCache}: one model per key and executor JVM.
 * Immutable, serializable (it travels to the executors in the task closures) and thread-safe.
 *
 * @param path the model: a pretrained name, a local path or a Hadoop URI
 * @param device where the model runs on the executor
 * @param hadoopSettings the Hadoop configuration entries for a non-local {@code path} (empty for local ones)
 */
public record ModelSource(String path, DeviceKind device, Map<String, String> hadoopSettings) implements Serializable {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ModelSource.class);

    /** The most bytes a model file copied from a Hadoop file system may have (4 GiB). */
    public static final long MAX_REMOTE_BYTES = 4L << 30;

    /** Validates and copies. */
    public ModelSource {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("modelPath must be a .laud file or one of " + PretrainedModels.NAMES
                    + ", got " + (path == null ? "null" : "'" + path + "'"));
        }
        if (device == null) {
            throw new IllegalArgumentException("device must not be null");
        }
        hadoopSettings = hadoopSettings == null ? Map.of() : Map.copyOf(hadoopSettings);
    }

    /**
     * A source on the local file system or a pretrained name (no Hadoop settings).
     *
     * @param path the model
     * @param device where it runs
     * @return the source
     */
    public static ModelSource local(String path, DeviceKind device) {
        return new ModelSource(path, device, Map.of());
    }

    /**
     * A source with the Hadoop settings of the driver when the path is on a Hadoop file system other than the local
     * one (they travel with the tasks so that executors reach the same file systems with the same credentials).
     *
     * @param path the model
     * @param device where it runs
     * @param hadoopConf the driver's Hadoop configuration
     * @return the source
     */
    public static ModelSource of(String path, DeviceKind device, Configuration hadoopConf) {
        ModelSource plain = local(path, device);
        if (!plain.isRemote() || hadoopConf == null) {
            return plain;
        }
        Map<String, String> settings = new HashMap<>();
        for (Map.Entry<String, String> e : hadoopConf) {
            settings.put(e.getKey(), e.getValue());
        }
        return new ModelSource(path, device, settings);
    }

    /** The cache key: the path and the device (the Hadoop settings are not part of it). */
    public String key() {
        return path + "@" + device;
    }

    /** Whether the path names a pretrained model ({@link PretrainedModels#NAMES}). */
    public boolean isPretrained() {
        return PretrainedModels.NAMES.contains(path.toLowerCase(Locale.ROOT));
    }

    /** Whether the path is a URI of a file system other than the local one. */
    public boolean isRemote() {
        if (isPretrained()) {
            return false;
        }
        String scheme = scheme();
        return scheme != null && !scheme.equals("file");
    }

    private String scheme() {
        try {
            String s = new URI(path).getScheme();
            // a Windows drive letter is no scheme
            return s == null || s.length() == 1 ? null : s.toLowerCase(Locale.ROOT);
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /**
     * Loads the model (on an executor: called by {@link LaudModelCache} once per key and JVM).
     *
     * @return the model; the caller closes it
     * @throws WeightFileException if the file is missing or not a valid model file, or the pretrained weights are not
     *     in the asset cache (the message names the path)
     * @throws ModelSourceException if a remote file is missing, not a file or too large
     * @throws IOException if a remote file cannot be copied
     */
    public LaudModel load() throws IOException {
        LaudModel.Options options = LaudModel.Options.defaults().withDevice(device);
        if (isPretrained()) {
            return PretrainedModels.load(path.toLowerCase(Locale.ROOT), AssetCache.defaultCache(), options);
        }
        return LaudModel.load(localFile(), options);
    }

    /** The model file on this machine: the path itself, or a local copy of a remote file. */
    private Path localFile() throws IOException {
        if (!isRemote()) {
            Path local = "file".equals(scheme()) ? Path.of(URI.create(path)) : Path.of(path);
            return Files.exists(local) ? local : sparkFile(local);
        }
        Configuration conf = new Configuration();
        hadoopSettings.forEach(conf::set);
        org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(path);
        FileSystem fs = remote.getFileSystem(conf);
        FileStatus status;
        try {
            status = fs.getFileStatus(remote);
        } catch (java.io.FileNotFoundException e) {
            throw new ModelSourceException(path, "no such model file");
        }
        if (!status.isFile()) {
            throw new ModelSourceException(path, "is not a file");
        }
        if (status.getLen() > MAX_REMOTE_BYTES) {
            throw new ModelSourceException(path, status.getLen() + " bytes, more than the limit of "
                    + MAX_REMOTE_BYTES + " (ModelSource.MAX_REMOTE_BYTES)");
        }
        Path dir = Files.createTempDirectory("laudnet-spark-model");
        dir.toFile().deleteOnExit();
        String name = remote.getName().endsWith(".laud") ? remote.getName() : remote.getName() + ".laud";
        Path local = dir.resolve(name);
        Path partial = dir.resolve(name + ".part");
        try (InputStream in = fs.open(remote); OutputStream out = Files.newOutputStream(partial)) {
            byte[] buf = new byte[1 << 16];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                if (total > MAX_REMOTE_BYTES) {
                    throw new ModelSourceException(path, "grew beyond " + MAX_REMOTE_BYTES + " bytes while copied");
                }
                out.write(buf, 0, n);
            }
        }
        Files.move(partial, local, StandardCopyOption.ATOMIC_MOVE);
        local.toFile().deleteOnExit();
        LOG.info("copied {} ({} bytes) to {}", path, status.getLen(), local);
        return local;
    }

    /**
     * A relative path that does not exist here may name a file the job distributed ({@code spark-submit --files},
     * {@code SparkContext.addFile}): Spark's copy on this node, when there is one.
     */
    private static Path sparkFile(Path local) {
        if (local.isAbsolute() || local.getNameCount() != 1 || org.apache.spark.SparkEnv.get() == null) {
            return local;
        }
        Path distributed = Path.of(org.apache.spark.SparkFiles.get(local.toString()));
        return Files.isRegularFile(distributed) ? distributed : local;
    }

    /** The path and device, without the Hadoop settings (they may hold credentials). */
    @Override
    public String toString() {
        return "ModelSource[" + key() + "]";
    }
}
