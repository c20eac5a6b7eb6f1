package org.laudnet.models.weights;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Keras model saved in the TensorFlow.js "layers-model" format: a {@code model.json} holding the Keras topology
 * ({@code modelTopology}) and a {@code weightsManifest}, next to binary weight shards.
 *
 * <p>The manifest is a list of groups {@code {"paths": [shard files], "weights": [{"name", "shape", "dtype"}]}}. The
 * shards of one group, concatenated in {@code paths} order, hold the group's weights back to back in manifest order,
 * as little-endian float32 in row-major order: weight {@code k} of a group occupies values
 * {@code [sum_{j<k} n_j, sum_{j<=k} n_j)} with {@code n_j = prod(shape_j)}. A group's shards must therefore total
 * {@code 4 * sum_j n_j} bytes exactly.
 *
 * <p>Weights keep their Keras names and layouts: a Conv2D kernel {@code "<layer>/kernel"} is {@code [kh, kw, in, out]}
 * (HWIO), a Dense kernel is {@code [in, out]}, biases and BatchNormalization {@code gamma}, {@code beta},
 * {@code moving_mean}, {@code moving_variance} are vectors. {@link WeightLayouts} converts them to the
 * {@code [out, in, kh, kw]} / {@code [out, in]} layouts used by DJL.
 *
 * <p>Only float32 weights without quantisation are supported.
 *
 * <p>The files are untrusted input: {@code model.json} is bounded ({@value #MAX_MODEL_JSON_BYTES} bytes); every shard
 * path must stay inside the directory of {@code model.json} (absolute paths, {@code ../} and links leading outside are
 * refused, so a model cannot make the reader open other files); the shards' sizes must match the manifest exactly
 * before any weight array is allocated; and every weight must be finite. Each refusal is a {@link WeightFileException}
 * naming the file and, where one is concerned, the weight or shard. Instances are immutable and thread-safe.
 */
public final class TfjsLayersModel {

    private static final Logger LOG = LoggerFactory.getLogger(TfjsLayersModel.class);

    /** The largest {@code model.json} read, in bytes (a topology of a few hundred layers takes well under 1 MiB). */
    public static final long MAX_MODEL_JSON_BYTES = 64L << 20;

    /** The shard size the TF.js converter uses unless told otherwise, in bytes. */
    static final long DEFAULT_SHARD_BYTES = 4L * 1024 * 1024;

    private final Path file;
    private final String format;
    private final String generatedBy;
    private final String convertedBy;
    private final String modelName;
    private final List<KerasLayer> layers;
    private final Map<String, KerasLayer> layersByName;
    private final List<String> inputLayers;
    private final List<String> outputLayers;
    private final TensorFile weights;

    private TfjsLayersModel(Path file, String format, String generatedBy, String convertedBy, String modelName,
            List<KerasLayer> layers, List<String> inputLayers, List<String> outputLayers, TensorFile weights) {
        this.file = file;
        this.format = format;
        this.generatedBy = generatedBy;
        this.convertedBy = convertedBy;
        this.modelName = modelName;
        this.layers = List.copyOf(layers);
        Map<String, KerasLayer> byName = new LinkedHashMap<>();
        for (KerasLayer l : layers) {
            byName.put(l.name(), l);
        }
        this.layersByName = Collections.unmodifiableMap(byName);
        this.inputLayers = List.copyOf(inputLayers);
        this.outputLayers = List.copyOf(outputLayers);
        this.weights = weights;
    }

    /**
     * Reads {@code model.json} and all weight shards it lists (paths relative to the directory of
     * {@code model.json}).
     *
     * @param modelJson the {@code model.json} file
     * @return the topology and the weights
     * @throws WeightFileException if a file is missing or unreadable, the JSON is malformed, a weight has an
     *     unsupported dtype, or a shard has the wrong size (the message names the shard, and the expected and actual
     *     byte counts)
     */
    public static TfjsLayersModel read(Path modelJson) throws WeightFileException {
        if (modelJson == null) {
            throw new IllegalArgumentException("modelJson must not be null");
        }
        JsonObject root = parseJson(modelJson);
        String format = optString(root, "format").orElse("");
        String generatedBy = optString(root, "generatedBy").orElse("");
        String convertedBy = optString(root, "convertedBy").orElse("");

        JsonElement topologyEl = root.get("modelTopology");
        if (topologyEl == null || !topologyEl.isJsonObject()) {
            throw new WeightFileException(modelJson, "modelTopology must be a JSON object");
        }
        JsonObject topology = topologyEl.getAsJsonObject();
        JsonObject modelConfig = topology.has("model_config") && topology.get("model_config").isJsonObject()
                ? topology.getAsJsonObject("model_config")
                : topology;
        JsonElement configEl = modelConfig.get("config");
        JsonArray layerArray;
        String modelName = "";
        List<String> inputs = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        if (configEl != null && configEl.isJsonArray()) {
            layerArray = configEl.getAsJsonArray();
        } else if (configEl != null && configEl.isJsonObject() && configEl.getAsJsonObject().has("layers")
                && configEl.getAsJsonObject().get("layers").isJsonArray()) {
            JsonObject config = configEl.getAsJsonObject();
            layerArray = config.getAsJsonArray("layers");
            modelName = optString(config, "name").orElse("");
            inputs.addAll(endpointNames(config.get("input_layers")));
            outputs.addAll(endpointNames(config.get("output_layers")));
        } else {
            throw new WeightFileException(modelJson, "modelTopology has no Keras model config with a layer list");
        }
        List<KerasLayer> layers = new ArrayList<>();
        for (int i = 0; i < layerArray.size(); i++) {
            layers.add(parseLayer(modelJson, i, layerArray.get(i)));
        }

        JsonElement manifestEl = root.get("weightsManifest");
        if (manifestEl == null || !manifestEl.isJsonArray()) {
            throw new WeightFileException(modelJson, "weightsManifest must be a JSON array of weight groups");
        }
        List<NamedTensor> tensors = new ArrayList<>();
        JsonArray manifest = manifestEl.getAsJsonArray();
        for (int g = 0; g < manifest.size(); g++) {
            tensors.addAll(readGroup(modelJson, g, manifest.get(g)));
        }
        TensorFile weights;
        try {
            weights = TensorFile.of(tensors);
        } catch (IllegalArgumentException e) {
            throw new WeightFileException(modelJson, "weightsManifest is inconsistent: " + e.getMessage(), e);
        }
        LOG.debug("read TF.js model {} from {}: {} layers, {} weights, {} values", modelName, modelJson,
                layers.size(), weights.size(), weights.totalValues());
        return new TfjsLayersModel(modelJson, format, generatedBy, convertedBy, modelName, layers, inputs, outputs,
                weights);
    }

    private static JsonObject parseJson(Path modelJson) throws WeightFileException {
        String text;
        if (Files.isDirectory(modelJson)) {
            throw new WeightFileException(modelJson, "is a directory, not a model.json file");
        }
        try {
            long size = Files.size(modelJson);
            if (size > MAX_MODEL_JSON_BYTES) {
                throw new WeightFileException(modelJson, "has " + size + " bytes, more than the limit of "
                        + MAX_MODEL_JSON_BYTES + " for a model.json");
            }
            text = Files.readString(modelJson, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new WeightFileException(modelJson, "file not found", e);
        } catch (WeightFileException e) {
            throw e;
        } catch (CharacterCodingException e) {
            throw new WeightFileException(modelJson, "is not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new WeightFileException(modelJson, "cannot read: " + e, e);
        }
        JsonElement root;
        try {
            root = JsonParser.parseString(text);
        } catch (JsonParseException e) {
            throw new WeightFileException(modelJson, "not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonObject()) {
            throw new WeightFileException(modelJson, "top level must be a JSON object");
        }
        return root.getAsJsonObject();
    }

    private static List<String> endpointNames(JsonElement el) {
        List<String> out = new ArrayList<>();
        if (el != null && el.isJsonArray()) {
            for (JsonElement e : el.getAsJsonArray()) {
                if (e.isJsonArray() && !e.getAsJsonArray().isEmpty() && isString(e.getAsJsonArray().get(0))) {
                    out.add(e.getAsJsonArray().get(0).getAsString());
                }
            }
        }
        return out;
    }

    private static KerasLayer parseLayer(Path file, int index, JsonElement el) throws WeightFileException {
        if (!el.isJsonObject()) {
            throw new WeightFileException(file, "layers[" + index + "] must be a JSON object");
        }
        JsonObject o = el.getAsJsonObject();
        JsonObject config = o.has("config") && o.get("config").isJsonObject() ? o.getAsJsonObject("config")
                : new JsonObject();
        String name = optString(o, "name").or(() -> optString(config, "name")).orElseThrow(
                () -> new WeightFileException(file, "layers[" + index + "] has no name"));
        String className = optString(o, "class_name").orElseThrow(
                () -> new WeightFileException(file, "layer '" + name + "' has no class_name"));
        List<String> inbound = new ArrayList<>();
        JsonElement nodes = o.get("inbound_nodes");
        if (nodes != null && nodes.isJsonArray()) {
            for (JsonElement node : nodes.getAsJsonArray()) {
                collectInbound(node, inbound);
            }
        }
        try {
            return new KerasLayer(name, className, inbound, parseConfig(config));
        } catch (RuntimeException e) {
            throw new WeightFileException(file, "layer '" + name + "' has a malformed config: " + e.getMessage(), e);
        }
    }

    /**
     * Collects inbound layer names of one node: Keras 2 writes a node as {@code [[name, nodeIndex, tensorIndex,
     * kwargs], ...]}, Keras 3 as {@code {"args": [...]}} with {@code keras_history: [name, ...]} inside.
     */
    private static void collectInbound(JsonElement node, List<String> out) {
        if (node.isJsonArray()) {
            JsonArray arr = node.getAsJsonArray();
            if (!arr.isEmpty() && isString(arr.get(0))) {
                out.add(arr.get(0).getAsString());
                return;
            }
            for (JsonElement e : arr) {
                collectInbound(e, out);
            }
        } else if (node.isJsonObject()) {
            for (Map.Entry<String, JsonElement> e : node.getAsJsonObject().entrySet()) {
                if (e.getKey().equals("keras_history") && e.getValue().isJsonArray()
                        && !e.getValue().getAsJsonArray().isEmpty()
                        && isString(e.getValue().getAsJsonArray().get(0))) {
                    out.add(e.getValue().getAsJsonArray().get(0).getAsString());
                } else if (!e.getKey().equals("keras_history")) {
                    collectInbound(e.getValue(), out);
                }
            }
        }
    }

    private static KerasLayerConfig parseConfig(JsonObject c) {
        List<Integer> paddingAmounts = new ArrayList<>();
        Optional<String> padding = Optional.empty();
        JsonElement p = c.get("padding");
        if (p != null && isString(p)) {
            padding = Optional.of(p.getAsString());
        } else if (p != null && p.isJsonPrimitive()) {
            int v = p.getAsInt();
            paddingAmounts.addAll(List.of(v, v, v, v));
        } else if (p != null && p.isJsonArray()) {
            // ZeroPadding2D: [[top, bottom], [left, right]] or [symmetric_h, symmetric_w]
            for (JsonElement e : p.getAsJsonArray()) {
                if (e.isJsonArray()) {
                    for (JsonElement x : e.getAsJsonArray()) {
                        paddingAmounts.add(x.getAsInt());
                    }
                } else {
                    paddingAmounts.add(e.getAsInt());
                    paddingAmounts.add(e.getAsInt());
                }
            }
        }
        return new KerasLayerConfig(optInt(c, "filters"), optInt(c, "units"), intList(c, "kernel_size"),
                intList(c, "strides"), intList(c, "pool_size"), intList(c, "dilation_rate"), optInt(c, "groups"),
                padding, paddingAmounts, optBool(c, "use_bias"), optDouble(c, "epsilon"), optBool(c, "center"),
                optBool(c, "scale"), optString(c, "activation"));
    }

    private static List<NamedTensor> readGroup(Path modelJson, int g, JsonElement groupEl)
            throws WeightFileException {
        if (!groupEl.isJsonObject()) {
            throw new WeightFileException(modelJson, "weightsManifest[" + g + "] must be a JSON object");
        }
        JsonObject group = groupEl.getAsJsonObject();
        JsonElement pathsEl = group.get("paths");
        JsonElement weightsEl = group.get("weights");
        if (pathsEl == null || !pathsEl.isJsonArray() || weightsEl == null || !weightsEl.isJsonArray()) {
            throw new WeightFileException(modelJson, "weightsManifest[" + g
                    + "] must have a 'paths' array and a 'weights' array");
        }
        Path dir = modelJson.toAbsolutePath().getParent();
        List<Path> shards = new ArrayList<>();
        JsonArray paths = pathsEl.getAsJsonArray();
        for (int i = 0; i < paths.size(); i++) {
            JsonElement pe = paths.get(i);
            if (!isString(pe)) {
                throw new WeightFileException(modelJson, "weightsManifest[" + g + "].paths holds a non-string: "
                        + abbreviate(pe.toString()));
            }
            shards.add(shardPath(modelJson, dir, "weightsManifest[" + g + "].paths[" + i + "]", pe.getAsString()));
        }
        List<String> names = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        long totalValues = 0;
        for (JsonElement we : weightsEl.getAsJsonArray()) {
            if (!we.isJsonObject()) {
                throw new WeightFileException(modelJson, "weightsManifest[" + g + "].weights holds a non-object: "
                        + we);
            }
            JsonObject w = we.getAsJsonObject();
            String name = optString(w, "name").filter(n -> !n.isBlank()).orElseThrow(() -> new WeightFileException(
                    modelJson, "weightsManifest[" + g + "] has a weight without a name (or a blank one)"));
            String dtype = optString(w, "dtype").orElse("float32");
            if (!dtype.equals("float32")) {
                throw new WeightFileException(modelJson, name, "unsupported dtype '" + dtype
                        + "' (only float32 weights are read)", null);
            }
            if (w.has("quantization")) {
                throw new WeightFileException(modelJson, name, "quantized weights are not supported", null);
            }
            long[] shape = shapeOf(modelJson, name, w.get("shape"));
            long n = SafetensorsReader.elementCount(shape);
            if (n < 0 || n > Integer.MAX_VALUE) {
                throw new WeightFileException(modelJson, name, "shape " + Arrays.toString(shape)
                        + " has more elements than a float array can hold", null);
            }
            names.add(name);
            shapes.add(shape);
            totalValues += n;
        }
        checkShardSizes(modelJson, g, shards, totalValues);
        List<NamedTensor> out = new ArrayList<>(names.size());
        try (ShardInput in = new ShardInput(shards)) {
            for (int i = 0; i < names.size(); i++) {
                float[] data = new float[(int) SafetensorsReader.elementCount(shapes.get(i))];
                in.readFloats(data, names.get(i));
                int bad = NamedTensor.firstNonFinite(data);
                if (bad >= 0) {
                    throw new WeightFileException(modelJson, names.get(i), "value " + bad + " of shape "
                            + Arrays.toString(shapes.get(i)) + " is " + data[bad] + " (weights must be finite)", null);
                }
                out.add(new NamedTensor(names.get(i), shapes.get(i), data));
            }
        }
        return out;
    }

    /**
     * Resolves a shard path of the manifest inside the directory of {@code model.json}: a path that is absolute, not
     * a valid path, leaves the directory ({@code ../}), or names a link to a file outside it is refused, so that a
     * model file can make the reader open nothing but its own shards.
     */
    private static Path shardPath(Path modelJson, Path dir, String where, String path) throws WeightFileException {
        Path relative;
        try {
            relative = dir.getFileSystem().getPath(path);
        } catch (InvalidPathException e) {
            throw new WeightFileException(modelJson, where + " is not a valid path: '" + abbreviate(path) + "'", e);
        }
        if (path.isEmpty() || relative.isAbsolute() || relative.getRoot() != null) {
            throw new WeightFileException(modelJson, where + " must be a file name relative to the directory of "
                    + modelJson.getFileName() + ", got '" + abbreviate(path) + "'");
        }
        Path shard = dir.resolve(relative).normalize();
        if (!shard.startsWith(dir.normalize()) || shard.equals(dir.normalize())) {
            throw new WeightFileException(modelJson, where + " '" + abbreviate(path) + "' leaves the directory "
                    + dir + " of the model");
        }
        if (Files.exists(shard)) {
            try {
                Path real = shard.toRealPath();
                if (!real.startsWith(dir.toRealPath())) {
                    throw new WeightFileException(modelJson, where + " '" + abbreviate(path) + "' links to " + real
                            + ", outside the directory " + dir + " of the model");
                }
            } catch (WeightFileException e) {
                throw e;
            } catch (IOException e) {
                throw new WeightFileException(modelJson, where + " '" + abbreviate(path) + "' cannot be resolved: "
                        + e.getMessage(), e);
            }
        }
        return shard;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    private static long[] shapeOf(Path modelJson, String name, JsonElement el) throws WeightFileException {
        if (el == null || !el.isJsonArray()) {
            throw new WeightFileException(modelJson, name, "shape must be a JSON array", null);
        }
        JsonArray arr = el.getAsJsonArray();
        long[] shape = new long[arr.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonElement d = arr.get(i);
            try {
                shape[i] = d.getAsBigDecimal().longValueExact();
            } catch (RuntimeException e) {
                throw new WeightFileException(modelJson, name, "shape[" + i + "] must be an integer, got " + d, e);
            }
            if (shape[i] < 0) {
                throw new WeightFileException(modelJson, name, "shape[" + i + "] must be non-negative, got "
                        + shape[i], null);
            }
        }
        return shape;
    }

    /**
     * Checks that the shards of a group hold exactly {@code 4 * totalValues} bytes. On a mismatch, names the first
     * shard whose size differs from what the TF.js convention implies: every shard but the last has the common
     * shard size {@code S}, the last holds the remainder.
     */
    private static void checkShardSizes(Path modelJson, int g, List<Path> shards, long totalValues)
            throws WeightFileException {
        long expectedBytes = 4 * totalValues;
        long[] sizes = new long[shards.size()];
        long actualBytes = 0;
        for (int i = 0; i < sizes.length; i++) {
            Path shard = shards.get(i);
            if (!Files.isRegularFile(shard)) {
                throw new WeightFileException(shard, "weight shard " + (i + 1) + " of " + sizes.length
                        + " listed in " + modelJson.getFileName() + " (weightsManifest[" + g + "]) is missing");
            }
            try {
                sizes[i] = Files.size(shard);
            } catch (WeightFileException e) {
                throw e;
            } catch (IOException e) {
                throw new WeightFileException(shard, "cannot read size: " + e, e);
            }
            actualBytes += sizes[i];
        }
        if (actualBytes == expectedBytes) {
            return;
        }
        String totals = "weightsManifest[" + g + "] lists " + totalValues + " float32 values (" + expectedBytes
                + " bytes) but its " + sizes.length + " shards hold " + actualBytes + " bytes";
        if (sizes.length == 0) {
            throw new WeightFileException(modelJson, totals);
        }
        long[] expected = expectedShardSizes(sizes, expectedBytes);
        if (expected != null) {
            for (int i = 0; i < sizes.length; i++) {
                if (sizes[i] != expected[i]) {
                    throw new WeightFileException(shards.get(i), "weight shard has " + sizes[i]
                            + " bytes, expected " + expected[i] + "; " + totals);
                }
            }
        }
        throw new WeightFileException(modelJson, totals);
    }

    /**
     * Per-shard sizes under the TF.js convention (every shard but the last has a common size {@code S}, the last
     * holds the remainder {@code T - (n - 1) S}), choosing among the observed sizes of the first {@code n - 1} shards
     * and the converter default the {@code S} that explains the most shards; null if no candidate is consistent with
     * the total {@code T}.
     */
    private static long[] expectedShardSizes(long[] sizes, long expectedBytes) {
        int n = sizes.length;
        if (n == 1) {
            return new long[] {expectedBytes};
        }
        List<Long> candidates = new ArrayList<>();
        for (int i = 0; i < n - 1; i++) {
            candidates.add(sizes[i]);
        }
        candidates.add(DEFAULT_SHARD_BYTES);
        long[] best = null;
        int bestMatches = -1;
        for (long shardSize : candidates) {
            if (!fits(shardSize, n, expectedBytes)) {
                continue;
            }
            long[] expected = new long[n];
            Arrays.fill(expected, shardSize);
            expected[n - 1] = expectedBytes - (n - 1) * shardSize;
            int matches = 0;
            for (int i = 0; i < n; i++) {
                if (expected[i] == sizes[i]) {
                    matches++;
                }
            }
            if (matches > bestMatches) {
                bestMatches = matches;
                best = expected;
            }
        }
        return best;
    }

    private static boolean fits(long shardSize, int n, long total) {
        return shardSize > 0 && (n - 1) * shardSize < total && total <= n * shardSize;
    }

    private static boolean isString(JsonElement e) {
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
    }

    private static Optional<String> optString(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return isString(e) ? Optional.of(e.getAsString()) : Optional.empty();
    }

    private static OptionalInt optInt(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()
                ? OptionalInt.of(e.getAsInt())
                : OptionalInt.empty();
    }

    private static OptionalDouble optDouble(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()
                ? OptionalDouble.of(e.getAsDouble())
                : OptionalDouble.empty();
    }

    private static Optional<Boolean> optBool(JsonObject o, String key) {
        JsonElement e = o.get(key);
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean()
                ? Optional.of(e.getAsBoolean())
                : Optional.empty();
    }

    private static List<Integer> intList(JsonObject o, String key) {
        JsonElement e = o.get(key);
        List<Integer> out = new ArrayList<>();
        if (e == null || e.isJsonNull()) {
            return out;
        }
        if (e.isJsonArray()) {
            for (JsonElement x : e.getAsJsonArray()) {
                out.add(x.getAsInt());
            }
        } else if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            out.add(e.getAsInt());
        }
        return out;
    }

    /**
     * The {@code model.json} this model was read from.
     *
     * @return the path as given to {@link #read(Path)}
     */
    public Path file() {
        return file;
    }

    /**
     * The {@code format} field, {@code "layers-model"} for Keras models.
     *
     * @return the format, or the empty string if absent
     */
    public String format() {
        return format;
    }

    /**
     * The {@code generatedBy} field (e.g. the Keras version).
     *
     * @return the producer, or the empty string if absent
     */
    public String generatedBy() {
        return generatedBy;
    }

    /**
     * The {@code convertedBy} field (the TF.js converter version).
     *
     * @return the converter, or the empty string if absent
     */
    public String convertedBy() {
        return convertedBy;
    }

    /**
     * The Keras model name (e.g. {@code "resnet50"}).
     *
     * @return the name, or the empty string if absent
     */
    public String modelName() {
        return modelName;
    }

    /**
     * All layers in topology order.
     *
     * @return an unmodifiable list
     */
    public List<KerasLayer> layers() {
        return layers;
    }

    /**
     * The layers of one Keras class, in topology order.
     *
     * @param kerasClass e.g. {@link KerasLayer#CONV2D}
     * @return the matching layers
     */
    public List<KerasLayer> layersOfClass(String kerasClass) {
        List<KerasLayer> out = new ArrayList<>();
        for (KerasLayer l : layers) {
            if (l.is(kerasClass)) {
                out.add(l);
            }
        }
        return out;
    }

    /**
     * Looks a layer up by name.
     *
     * @param name the layer name
     * @return the layer
     * @throws IllegalArgumentException if the model has no such layer
     */
    public KerasLayer layer(String name) {
        KerasLayer l = layersByName.get(name);
        if (l == null) {
            throw new IllegalArgumentException("name must be one of the " + layers.size()
                    + " layers of the model, got '" + name + "'");
        }
        return l;
    }

    /**
     * Names of the model's input layers.
     *
     * @return e.g. {@code ["input_1"]}; empty for a Sequential model
     */
    public List<String> inputLayers() {
        return inputLayers;
    }

    /**
     * Names of the model's output layers.
     *
     * @return e.g. {@code ["fc1000"]}; empty for a Sequential model
     */
    public List<String> outputLayers() {
        return outputLayers;
    }

    /**
     * All weights by name, in manifest order, Keras layouts.
     *
     * @return the weights
     */
    public TensorFile weights() {
        return weights;
    }

    /**
     * The weights of one layer ({@code "<layer>/..."}), in manifest order.
     *
     * @param layerName the layer name
     * @return its weights (empty for layers without weights)
     */
    public List<NamedTensor> weightsOf(String layerName) {
        return weights.withPrefix(layerName + "/");
    }

    /** Reads little-endian float32 values from a sequence of shard files as if they were one stream. */
    private static final class ShardInput implements AutoCloseable {
        private final List<Path> shards;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private int next;
        private FileChannel current;
        private Path currentPath;

        ShardInput(List<Path> shards) {
            this.shards = shards;
            buf.limit(0);
        }

        void readFloats(float[] dst, String tensor) throws WeightFileException {
            int done = 0;
            while (done < dst.length) {
                if (buf.remaining() < 4) {
                    fill(tensor);
                }
                int n = Math.min(buf.remaining() / 4, dst.length - done);
                buf.asFloatBuffer().get(dst, done, n);
                buf.position(buf.position() + 4 * n);
                done += n;
            }
        }

        /** Tops the buffer up from the current shard, moving on to the next shard at end of file. */
        private void fill(String tensor) throws WeightFileException {
            buf.compact();
            try {
                while (buf.position() < 4) {
                    if (current == null) {
                        if (next >= shards.size()) {
                            throw new WeightFileException(shards.isEmpty() ? null : shards.get(shards.size() - 1),
                                    tensor, "weight shards end before this tensor is complete", null);
                        }
                        currentPath = shards.get(next++);
                        current = FileChannel.open(currentPath, StandardOpenOption.READ);
                    }
                    if (current.read(buf) < 0) {
                        current.close();
                        current = null;
                    }
                }
            } catch (WeightFileException e) {
                throw e;
            } catch (IOException e) {
                throw new WeightFileException(currentPath, tensor, "cannot read weight shard: " + e, e);
            } finally {
                buf.flip();
            }
        }

        @Override
        public void close() throws WeightFileException {
            if (current != null) {
                try {
                    current.close();
                } catch (WeightFileException e) {
                    throw e;
                } catch (IOException e) {
                    throw new WeightFileException(currentPath, "cannot close weight shard: " + e, e);
                }
            }
        }
    }
}
