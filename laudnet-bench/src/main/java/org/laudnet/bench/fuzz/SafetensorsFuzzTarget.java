package org.laudnet.bench.fuzz;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.models.weights.SafetensorsReader;
import org.laudnet.models.weights.SafetensorsWriter;
import org.laudnet.models.weights.TensorFile;
import org.laudnet.models.weights.TorchvisionImporter;
import org.laudnet.models.weights.WeightFileException;

/**
 * Fuzzes safetensors files as the library loads them into a network: {@link SafetensorsReader#read} then
 * {@link TorchvisionImporter#loadResNet} into a fresh network of {@link FuzzNetworks}. The seed holds that network's
 * torchvision-named tensors; the layout exposes the header length, the header and every tensor's data. Header edits
 * rewrite the JSON header; tensor edits duplicate, drop (with its data), rename, reshape or resize a tensor, change
 * its offsets or dtype, or add an unknown one. The network a case loads into must end with every parameter finite and
 * run a forward pass. Used by one thread at a time.
 */
public final class SafetensorsFuzzTarget extends AbstractFuzzTarget {

    private static final String FILE = "weights.safetensors";

    private final NDManager manager;
    private final Seed seed;
    private final JsonObject header;
    private final byte[] data;

    /**
     * Generates the seed.
     *
     * @param manager a manager for the networks (sub-managers, closed after each load)
     * @param work a directory for the seed file
     * @throws IOException if the seed cannot be written
     */
    public SafetensorsFuzzTarget(NDManager manager, Path work) throws IOException {
        this.manager = manager;
        byte[] bytes;
        try (NDManager m = manager.newSubManager()) {
            TensorFile tensors = TorchvisionImporter.exportResNet(FuzzNetworks.initialised(m, 17));
            Path file = work.resolve("seed.safetensors");
            SafetensorsWriter.write(file, tensors);
            bytes = Files.readAllBytes(file);
            Files.delete(file);
        }
        int n = (int) Bytes.get(bytes, 0, 8, ByteOrder.LITTLE_ENDIAN);
        header = JsonParser.parseString(new String(bytes, 8, n, StandardCharsets.UTF_8)).getAsJsonObject();
        data = java.util.Arrays.copyOfRange(bytes, 8 + n, bytes.length);
        FileLayout.Builder b = FileLayout.builder()
                .field(0, 8, ByteOrder.LITTLE_ENDIAN, FileLayout.FieldRole.LENGTH, "header length")
                .boundary(8, "header").boundary(8 + n, "data section");
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (e.getValue().isJsonObject() && e.getValue().getAsJsonObject().has("data_offsets")) {
                JsonArray off = e.getValue().getAsJsonObject().getAsJsonArray("data_offsets");
                long begin = off.get(0).getAsLong();
                long end = off.get(1).getAsLong();
                b.boundary(8 + n + begin, "tensor " + e.getKey());
                b.values(8 + n + begin, (end - begin) / 4, 4, ByteOrder.LITTLE_ENDIAN, e.getKey());
            }
        }
        seed = new Seed(List.of(new SeedFile(FILE, bytes, b.build())), FILE);
    }

    /** A safetensors file of a header text and a data section. */
    static byte[] assemble(String headerJson, byte[] data) {
        byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[8 + h.length + data.length];
        Bytes.put(out, 0, 8, ByteOrder.LITTLE_ENDIAN, h.length);
        System.arraycopy(h, 0, out, 8, h.length);
        System.arraycopy(data, 0, out, 8 + h.length, data.length);
        return out;
    }

    @Override
    public FuzzFormat format() {
        return FuzzFormat.SAFETENSORS;
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
        k.add(MutationKind.HEADER_EDIT);
        k.add(MutationKind.TENSOR_EDIT);
        return k;
    }

    @Override
    protected FuzzCase mutateSpecific(MutationKind kind, int index, SplittableRandom random) {
        String json;
        byte[] d = data;
        String what;
        if (kind == MutationKind.HEADER_EDIT) {
            JsonMutator.Edit e = JsonMutator.mutate(header, random);
            json = e.json();
            what = "header " + e.description();
        } else if (kind == MutationKind.TENSOR_EDIT) {
            List<String> names = new ArrayList<>(header.keySet());
            names.remove(SafetensorsReader.METADATA_KEY);
            String name = names.get(random.nextInt(names.size()));
            JsonObject h = header.deepCopy();
            JsonObject t = h.getAsJsonObject(name);
            JsonArray shape = t.getAsJsonArray("shape");
            JsonArray off = t.getAsJsonArray("data_offsets");
            JsonMutator.Writer w = new JsonMutator.Writer();
            switch (random.nextInt(8)) {
                case 0 -> {
                    w.duplicates.put(h, name);
                    what = "tensor " + name + " named twice";
                }
                case 1 -> {
                    long begin = off.get(0).getAsLong();
                    long end = off.get(1).getAsLong();
                    h.remove(name);
                    for (String other : names) {
                        if (h.has(other)) {
                            JsonArray o = h.getAsJsonObject(other).getAsJsonArray("data_offsets");
                            for (int i = 0; i < 2; i++) {
                                if (o.get(i).getAsLong() >= end) {
                                    o.set(i, new com.google.gson.JsonPrimitive(o.get(i).getAsLong() - (end - begin)));
                                }
                            }
                        }
                    }
                    d = Bytes.splice(data, (int) begin, (int) end, new byte[0]);
                    what = "tensor " + name + " missing (entry and data removed)";
                }
                case 2 -> {
                    h.add(name + (random.nextBoolean() ? ".x" : "_"), h.remove(name));
                    what = "tensor " + name + " renamed to a name the network does not have";
                }
                case 3 -> {
                    long n = 1;
                    for (JsonElement x : shape) {
                        n *= x.getAsLong();
                    }
                    JsonArray flat = new JsonArray();
                    flat.add(n);
                    t.add("shape", shape.size() == 1 ? reversedWithOne(shape) : flat);
                    what = "tensor " + name + " shape " + shape + " -> " + t.get("shape") + " (same size)";
                }
                case 4 -> {
                    int i = random.nextInt(Math.max(1, shape.size()));
                    if (shape.isEmpty()) {
                        shape.add(2);
                    } else {
                        shape.set(i, new com.google.gson.JsonPrimitive(shape.get(i).getAsLong() + 1));
                    }
                    what = "tensor " + name + " shape -> " + shape + " (size mismatch)";
                }
                case 5 -> {
                    long[] deltas = {4, -4, 1L << 40, -(off.get(0).getAsLong() + 1)};
                    int which = random.nextInt(2);
                    long v = off.get(which).getAsLong() + deltas[random.nextInt(deltas.length)];
                    off.set(which, new com.google.gson.JsonPrimitive(v));
                    what = "tensor " + name + " data_offsets -> " + off;
                }
                case 6 -> {
                    String[] types = {"F16", "BF16", "F64", "I64", "U8", "f32", "F8_E4M3", ""};
                    String type = types[random.nextInt(types.length)];
                    t.addProperty("dtype", type);
                    what = "tensor " + name + " dtype F32 -> '" + type + "'";
                }
                default -> {
                    JsonObject extra = new JsonObject();
                    extra.addProperty("dtype", "F32");
                    JsonArray s = new JsonArray();
                    s.add(0);
                    extra.add("shape", s);
                    JsonArray o = new JsonArray();
                    o.add(data.length);
                    o.add(data.length);
                    extra.add("data_offsets", o);
                    h.add("layer9.0.conv1.weight", extra);
                    what = "an empty tensor the network has no place for added";
                }
            }
            json = w.write(h);
        } else {
            throw new IllegalArgumentException(format() + " has no " + kind + " mutation");
        }
        return FuzzCase.from(seed, kind).file(FILE, assemble(json, d))
                .build(FILE + ": " + what + " (header length fixed)");
    }

    private static JsonArray reversedWithOne(JsonArray shape) {
        JsonArray a = new JsonArray();
        a.add(1);
        a.add(shape.get(0));
        return a;
    }

    @Override
    public LoadResult load(Path entry) throws Exception {
        TensorFile tensors = SafetensorsReader.read(entry);
        try (NDManager m = manager.newSubManager()) {
            GatedBackbone net = FuzzNetworks.tiny();
            net.initialize(m, DataType.FLOAT32, new Shape(1, FuzzNetworks.CHANNELS, FuzzNetworks.INPUT_SIZE,
                    FuzzNetworks.INPUT_SIZE));
            TorchvisionImporter.loadResNet(tensors, entry, net);
            String summary = tensors.size() + " tensors (" + tensors.totalValues() + " values) imported";
            String defect = FuzzNetworks.defect(net, m, FuzzNetworks.CHANNELS, FuzzNetworks.INPUT_SIZE,
                    FuzzNetworks.CLASSES);
            return defect == null ? LoadResult.valid(summary) : LoadResult.defective(summary, defect);
        }
    }
}
