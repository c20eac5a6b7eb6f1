package org.laudnet.models.inference;

import ai.djl.BaseModel;
import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.translate.Translator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.models.weights.WeightFileException;

/**
 * The DJL {@link ai.djl.Model} form of a {@link LaudModel}: what {@link LaudEngine#newModel} creates for DJL's
 * {@code Criteria}, and what {@link LaudModel#asDjlModel()} returns. Its block is the network; its predictors are
 * {@link LaudPredictor}s; its manager holds the network's parameters. Closing it closes the {@link LaudModel}.
 * Thread-safe as its {@link LaudModel}.
 */
public final class LaudDjlModel extends BaseModel {

    private final LaudModel laud;

    /**
     * Creates an empty model (DJL's engine route then calls {@link #load(Path, String, Map)}).
     *
     * @param name the model's name
     */
    public LaudDjlModel(String name) {
        super(name);
        this.manager = Engine.getEngine("PyTorch").newBaseManager(Device.cpu());
        this.manager.setName("laudModel");
        this.dataType = DataType.FLOAT32;
        this.laud = new LaudModel(this);
    }

    /** Returns the model this is the DJL form of. */
    public LaudModel laudModel() {
        return laud;
    }

    void setNetwork(GatedNetwork network, Path dir) {
        this.block = network;
        this.modelDir = dir;
        this.wasLoaded = dir != null;
    }

    /**
     * Loads a {@code .laud} file: {@code modelPath} is the file, or a directory with {@code <prefix>.laud} (or exactly
     * one {@code .laud} file). Options {@code "device"} ({@code auto}, {@code cpu}, {@code cuda}) and {@code "policy"}
     * ({@code auto}, {@code sparse}, {@code dense}, ...) may be given.
     *
     * @param modelPath the file or directory
     * @param prefix the file name without {@code .laud}, or null
     * @param options loading options, or null
     * @throws IOException if no model file is found or it cannot be read
     * @throws MalformedModelException if the file is not a valid LAUD model, or an option is invalid
     */
    @Override
    public void load(Path modelPath, String prefix, Map<String, ?> options) throws IOException,
            MalformedModelException {
        Path f = resolveFile(modelPath, prefix);
        LaudModel.Options o = laud.options();
        if (options != null) {
            try {
                Object device = options.get("device");
                Object policy = options.get("policy");
                if (device != null) {
                    o = o.withDevice(DeviceKind.valueOf(device.toString().toUpperCase(Locale.ROOT)));
                }
                if (policy != null) {
                    o = o.withPolicy(PathPolicy.valueOf(policy.toString().toUpperCase(Locale.ROOT)));
                }
            } catch (IllegalArgumentException e) {
                throw new MalformedModelException("invalid option: " + e.getMessage(), e);
            }
        }
        laud.setOptions(o);
        try {
            laud.read(f);
        } catch (WeightFileException e) {
            throw new MalformedModelException(e.getMessage(), e);
        }
    }

    private static Path resolveFile(Path modelPath, String prefix) throws IOException {
        if (modelPath == null) {
            throw new IOException("modelPath must not be null");
        }
        if (Files.isRegularFile(modelPath)) {
            return modelPath;
        }
        if (!Files.isDirectory(modelPath)) {
            throw new IOException(modelPath + ": no such model file or directory");
        }
        if (prefix != null && Files.isRegularFile(modelPath.resolve(prefix + ".laud"))) {
            return modelPath.resolve(prefix + ".laud");
        }
        List<Path> found;
        try (Stream<Path> s = Files.list(modelPath)) {
            found = s.filter(p -> p.getFileName().toString().endsWith(".laud") && Files.isRegularFile(p)).toList();
        }
        if (found.size() != 1) {
            throw new IOException(modelPath + ": expected " + (prefix == null ? "" : prefix + ".laud or ")
                    + "exactly one .laud file, found " + found.size());
        }
        return found.get(0);
    }

    /**
     * Not supported: a LAUD model is loaded from a file.
     *
     * @param is the stream
     * @param options the options
     * @throws UnsupportedOperationException always
     */
    @Override
    public void load(InputStream is, Map<String, ?> options) {
        throw new UnsupportedOperationException("load a LAUD model from a .laud file: LaudModel.load(path)");
    }

    /**
     * Saves the model as {@code <modelPath>/<newModelName>.laud}.
     *
     * @param modelPath the directory
     * @param newModelName the file name without suffix, or null for the model's name
     * @throws IOException if it cannot be written
     */
    @Override
    public void save(Path modelPath, String newModelName) throws IOException {
        Files.createDirectories(modelPath);
        try {
            laud.save(modelPath.resolve((newModelName == null ? modelName : newModelName) + ".laud"));
        } catch (WeightFileException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Not supported: the network is set when the model is loaded.
     *
     * @param newBlock ignored
     * @throws UnsupportedOperationException always
     */
    @Override
    public void setBlock(Block newBlock) {
        throw new UnsupportedOperationException("a LAUD model's network is set when it is loaded");
    }

    /** Returns a {@link LaudPredictor} ({@link LaudModel#newPredictor(Translator, Device)}). */
    @Override
    public <I, O> Predictor<I, O> newPredictor(Translator<I, O> translator, Device device) {
        return laud.newPredictor(translator, device);
    }

    void closeManager() {
        super.close();
    }

    /** Closes the {@link LaudModel}: its runtimes and this manager. */
    @Override
    public void close() {
        laud.close();
    }
}
