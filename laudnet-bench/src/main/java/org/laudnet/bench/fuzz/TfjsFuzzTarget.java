package org.laudnet.bench.fuzz;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.models.weights.NamedTensor;
import org.laudnet.models.weights.TfjsLayersModel;
import org.laudnet.models.weights.WeightFileException;

/**
 * Fuzzes TF.js layers models through {@link TfjsLayersModel#read}: the seed is a small Keras functional model
 * ({@code model/model.json}: input, convolution, BatchNormalization, activation, pooling, dense) whose seeded random
 * float32 weights are split over two shards. Mutations hit the JSON (truncation at its structural characters, bit
 * flips, header edits) and the shards (truncation at tensor boundaries, bit flips, NaN values); tensor edits change
 * the manifest (duplicate, missing, reshaped, retyped weights, shard lists); path escapes point a shard at files
 * outside the model directory (a relative {@code ../}, an absolute path, a symbolic link, odd names) where a valid
 * shard waits, so that following them would succeed. Used by one thread at a time.
 */
public final class TfjsFuzzTarget extends AbstractFuzzTarget {

    private static final String DIR = "model/";
    private static final String JSON = DIR + "model.json";
    private static final String[] SHARDS = {"group1-shard1of2.bin", "group1-shard2of2.bin"};

    private final Seed seed;
    private final JsonObject model;

    /** Generates the seed. */
    public TfjsFuzzTarget() {
        SplittableRandom r = new SplittableRandom(19);
        String[] names = {"conv1/kernel", "conv1/bias", "bn1/gamma", "bn1/beta", "bn1/moving_mean",
            "bn1/moving_variance", "fc/kernel", "fc/bias"};
        int[][] shapes = {{3, 3, 3, 4}, {4}, {4}, {4}, {4}, {4}, {4, 5}, {5}};
        JsonArray weights = new JsonArray();
        List<Float> values = new ArrayList<>();
        List<long[]> regions = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            JsonObject w = new JsonObject();
            w.addProperty("name", names[i]);
            JsonArray s = new JsonArray();
            int n = 1;
            for (int d : shapes[i]) {
                s.add(d);
                n *= d;
            }
            w.add("shape", s);
            w.addProperty("dtype", "float32");
            weights.add(w);
            regions.add(new long[] {values.size(), n});
            boolean positive = names[i].endsWith("variance") || names[i].endsWith("gamma");
            for (int k = 0; k < n; k++) {
                values.add((float) (positive ? 0.5 + r.nextDouble() : r.nextDouble() - 0.5));
            }
        }
        ByteBuffer all = ByteBuffer.allocate(4 * values.size()).order(ByteOrder.LITTLE_ENDIAN);
        values.forEach(all::putFloat);
        byte[] bytes = all.array();
        int split = 4 * (values.size() / 2);
        byte[][] shards = {java.util.Arrays.copyOfRange(bytes, 0, split),
            java.util.Arrays.copyOfRange(bytes, split, bytes.length)};
        JsonObject group = new JsonObject();
        JsonArray paths = new JsonArray();
        for (String s : SHARDS) {
            paths.add(s);
        }
        group.add("paths", paths);
        group.add("weights", weights);
        JsonArray manifest = new JsonArray();
        manifest.add(group);
        model = new JsonObject();
        model.addProperty("format", "layers-model");
        model.addProperty("generatedBy", "keras v2.2.4-tf");
        model.addProperty("convertedBy", "TensorFlow.js Converter v1.3.2");
        model.add("modelTopology", JsonParser.parseString(TOPOLOGY));
        model.add("weightsManifest", manifest);
        byte[] json = model.toString().getBytes(StandardCharsets.UTF_8);
        List<SeedFile> files = new ArrayList<>();
        files.add(new SeedFile(JSON, json, jsonLayout(json)));
        for (int s = 0; s < 2; s++) {
            long from = s == 0 ? 0 : split;
            long to = s == 0 ? split : bytes.length;
            FileLayout.Builder b = FileLayout.builder();
            for (int i = 0; i < names.length; i++) {
                long start = 4 * regions.get(i)[0];
                long end = start + 4 * regions.get(i)[1];
                long a = Math.max(start, from);
                long z = Math.min(end, to);
                if (a < z) {
                    b.boundary(a - from, names[i]);
                    b.values(a - from, (z - a) / 4, 4, ByteOrder.LITTLE_ENDIAN, names[i]);
                }
            }
            files.add(new SeedFile(DIR + SHARDS[s], shards[s], b.build()));
        }
        seed = new Seed(files, JSON);
    }

    private static final String TOPOLOGY = """
            {"keras_version": "2.2.4-tf", "backend": "tensorflow", "model_config": {"class_name": "Model",
             "config": {"name": "tiny", "layers": [
              {"name": "input_1", "class_name": "InputLayer",
               "config": {"batch_input_shape": [null, 8, 8, 3], "name": "input_1"}, "inbound_nodes": []},
              {"name": "conv1", "class_name": "Conv2D", "config": {"name": "conv1", "filters": 4,
               "kernel_size": [3, 3], "strides": [1, 1], "padding": "same", "dilation_rate": [1, 1],
               "activation": "linear", "use_bias": true}, "inbound_nodes": [[["input_1", 0, 0, {}]]]},
              {"name": "bn1", "class_name": "BatchNormalization", "config": {"name": "bn1", "axis": [3],
               "epsilon": 0.001, "center": true, "scale": true}, "inbound_nodes": [[["conv1", 0, 0, {}]]]},
              {"name": "relu1", "class_name": "Activation", "config": {"name": "relu1", "activation": "relu"},
               "inbound_nodes": [[["bn1", 0, 0, {}]]]},
              {"name": "pool", "class_name": "GlobalAveragePooling2D", "config": {"name": "pool"},
               "inbound_nodes": [[["relu1", 0, 0, {}]]]},
              {"name": "fc", "class_name": "Dense", "config": {"name": "fc", "units": 5, "activation": "softmax",
               "use_bias": true}, "inbound_nodes": [[["pool", 0, 0, {}]]]}],
             "input_layers": [["input_1", 0, 0]], "output_layers": [["fc", 0, 0]]}}}""";

    /** Boundaries of a JSON text: after each structural character (at most 64, spread over the text). */
    static FileLayout jsonLayout(byte[] json) {
        List<Integer> marks = new ArrayList<>();
        boolean inString = false;
        for (int i = 0; i < json.length; i++) {
            byte c = json[i];
            if (c == '"' && (i == 0 || json[i - 1] != '\\')) {
                inString = !inString;
            }
            if (!inString && (c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':')) {
                marks.add(i + 1);
            }
        }
        FileLayout.Builder b = FileLayout.builder();
        int step = Math.max(1, marks.size() / 64);
        for (int i = 0; i < marks.size(); i += step) {
            b.boundary(marks.get(i), "after '" + (char) json[marks.get(i) - 1] + "'");
        }
        return b.build();
    }

    @Override
    public FuzzFormat format() {
        return FuzzFormat.TFJS;
    }

    @Override
    public Class<? extends LaudInputException> refusal() {
        return WeightFileException.class;
    }

    @Override
    public List<Seed> seeds() {
        return List.of(seed);
    }

    @Override
    public Set<MutationKind> kinds() {
        Set<MutationKind> k = EnumSet.copyOf(GENERIC);
        k.remove(MutationKind.MAGIC);
        k.remove(MutationKind.VERSION);
        k.remove(MutationKind.LENGTH_FIELD);
        k.add(MutationKind.HEADER_EDIT);
        k.add(MutationKind.TENSOR_EDIT);
        k.add(MutationKind.PATH_ESCAPE);
        return k;
    }

    private JsonObject group(JsonObject m) {
        return m.getAsJsonArray("weightsManifest").get(0).getAsJsonObject();
    }

    @Override
    protected FuzzCase mutateSpecific(MutationKind kind, int index, SplittableRandom random) {
        JsonObject m = model.deepCopy();
        JsonObject g = group(m);
        JsonArray weights = g.getAsJsonArray("weights");
        JsonArray paths = g.getAsJsonArray("paths");
        FuzzCase.Builder c = FuzzCase.from(seed, kind);
        String what;
        String json;
        switch (kind) {
            case HEADER_EDIT -> {
                JsonMutator.Edit e = JsonMutator.mutate(model, random);
                json = e.json();
                what = e.description();
            }
            case TENSOR_EDIT -> {
                int i = random.nextInt(weights.size());
                JsonObject w = weights.get(i).getAsJsonObject();
                String name = w.get("name").getAsString();
                switch (random.nextInt(7)) {
                    case 0 -> {
                        int j = (i + 1) % weights.size();
                        weights.get(j).getAsJsonObject().addProperty("name", name);
                        what = "weight " + name + " listed twice (another weight renamed to it)";
                    }
                    case 1 -> {
                        weights.remove(i);
                        what = "weight " + name + " missing from the manifest";
                    }
                    case 2 -> {
                        JsonArray s = w.getAsJsonArray("shape");
                        JsonArray r = new JsonArray();
                        for (int k = s.size() - 1; k >= 0; k--) {
                            r.add(s.get(k));
                        }
                        w.add("shape", r);
                        what = "weight " + name + " shape " + s + " -> " + r + " (same size)";
                    }
                    case 3 -> {
                        JsonArray s = w.getAsJsonArray("shape");
                        long[] values = {0, -1, s.get(0).getAsLong() + 1, 1L << 31, 1L << 62};
                        long v = values[random.nextInt(values.length)];
                        s.set(0, new JsonPrimitive(v));
                        what = "weight " + name + " shape[0] -> " + v + " (size mismatch)";
                    }
                    case 4 -> {
                        String[] types = {"int32", "float16", "string", "bool", ""};
                        String t = types[random.nextInt(types.length)];
                        w.addProperty("dtype", t);
                        what = "weight " + name + " dtype -> '" + t + "'";
                    }
                    case 5 -> {
                        JsonObject q = new JsonObject();
                        q.addProperty("dtype", "uint8");
                        q.addProperty("scale", 0.1);
                        q.addProperty("min", -1);
                        w.add("quantization", q);
                        what = "weight " + name + " quantised";
                    }
                    default -> {
                        switch (random.nextInt(3)) {
                            case 0 -> {
                                paths.remove(random.nextInt(paths.size()));
                                what = "a shard missing from the paths";
                            }
                            case 1 -> {
                                paths.add(paths.get(0));
                                what = "the first shard listed twice";
                            }
                            default -> {
                                JsonElement first = paths.remove(0);
                                paths.add(first);
                                what = "the shards listed in the wrong order";
                            }
                        }
                    }
                }
                json = m.toString();
            }
            case PATH_ESCAPE -> {
                int s = random.nextInt(SHARDS.length);
                SeedFile shard = seed.file(DIR + SHARDS[s]);
                // a valid copy of the shard waits outside the model directory, so following the path would succeed
                c.file("outside/" + SHARDS[s], shard.bytes());
                String path;
                switch (random.nextInt(11)) {
                    case 0 -> path = "../outside/" + SHARDS[s];
                    case 1 -> path = FuzzCase.CASE_DIR_TOKEN + "/outside/" + SHARDS[s];
                    case 2 -> path = "./../outside/" + SHARDS[s];
                    case 3 -> path = "sub/../../outside/" + SHARDS[s];
                    case 4 -> {
                        path = SHARDS[s];
                        c.link(DIR + SHARDS[s], "../outside/" + SHARDS[s]);
                    }
                    case 5 -> {
                        path = "linked/" + SHARDS[s];
                        c.link(DIR + "linked", "../outside");
                    }
                    case 6 -> path = SHARDS[s] + "\u0000.txt";
                    case 7 -> path = "";
                    case 8 -> path = ".";
                    case 9 -> path = "model.json";
                    default -> {
                        path = SHARDS[s] + ".gz";
                        c.file(DIR + path, Bytes.gzip(shard.bytes()));
                    }
                }
                paths.set(s, new JsonPrimitive(path));
                json = m.toString();
                what = "shard " + (s + 1) + " path -> '" + path.replace("\u0000", "\\0")
                        .replace(FuzzCase.CASE_DIR_TOKEN, "<case dir>") + "'";
                c.mustRefuse();
                c.fileWithCaseDir(JSON, json);
                return c.build(JSON + ": " + what);
            }
            default -> throw new IllegalArgumentException(format() + " has no " + kind + " mutation");
        }
        return c.file(JSON, json.getBytes(StandardCharsets.UTF_8)).build(JSON + ": " + what);
    }

    @Override
    public LoadResult load(Path entry) throws Exception {
        TfjsLayersModel m = TfjsLayersModel.read(entry);
        String summary = m.layers().size() + " layers, " + m.weights().size() + " weights ("
                + m.weights().totalValues() + " values)";
        for (NamedTensor t : m.weights().tensors()) {
            int bad = NamedTensor.firstNonFinite(t.data());
            if (bad >= 0) {
                return LoadResult.defective(summary, "weight " + t.name() + " value " + bad + " is " + t.data()[bad]);
            }
        }
        return LoadResult.valid(summary);
    }
}
