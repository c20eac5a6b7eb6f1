package org.laudnet.bench.fuzz;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.models.weights.TensorFile;
import org.laudnet.models.weights.TorchvisionImporter;
import org.laudnet.models.weights.WeightFileException;
import org.laudnet.models.weights.torch.TorchCheckpointReader;
import org.laudnet.models.weights.torch.TorchCheckpointWriter;
import org.laudnet.models.weights.torch.TorchWeights;

/**
 * Fuzzes PyTorch checkpoints as the library loads them into a network: {@link TorchCheckpointReader} (through
 * {@link TorchWeights#read}) then {@link TorchvisionImporter#loadResNet} into a fresh network of {@link FuzzNetworks}.
 * The seed is that network's torchvision-named state dict in {@code torch.save}'s zip format
 * ({@link TorchCheckpointWriter}); its layout exposes each zip entry's local header and data, the size fields of the
 * local and central headers, and every storage's floats. Pickle edits ({@link MutationKind#HEADER_EDIT}) rebuild the
 * archive around an edited {@code data.pkl}: a global a state dict does not need (must be refused), another storage
 * type, a storage size or key changed, the pickle truncated (must be refused) or its bytes changed; tensor edits
 * ({@link MutationKind#TENSOR_EDIT}) drop (must be refused) or resize a storage entry. Used by one thread at a time.
 */
public final class PthFuzzTarget extends AbstractFuzzTarget {

    private static final String FILE = "weights.pth";
    private static final String ARCHIVE = "weights/";

    private final NDManager manager;
    private final Seed seed;
    private final Map<String, byte[]> entries;

    /**
     * Generates the seed.
     *
     * @param manager a manager for the networks (sub-managers, closed after each load)
     * @param work a directory for the seed file
     * @throws IOException if the seed cannot be written
     */
    public PthFuzzTarget(NDManager manager, Path work) throws IOException {
        this.manager = manager;
        byte[] bytes;
        try (NDManager m = manager.newSubManager()) {
            TensorFile tensors = TorchvisionImporter.exportResNet(FuzzNetworks.initialised(m, 17));
            Path file = work.resolve(FILE); // the archive folder is the file name: weights/
            TorchCheckpointWriter.write(file, tensors);
            bytes = Files.readAllBytes(file);
            Files.delete(file);
        }
        entries = new LinkedHashMap<>();
        FileLayout.Builder b = FileLayout.builder().magic(0, 4);
        int p = 0;
        while (p + 30 <= bytes.length && Bytes.get(bytes, p, 4, ByteOrder.LITTLE_ENDIAN) == 0x04034b50L) {
            int size = (int) Bytes.get(bytes, p + 18, 4, ByteOrder.LITTLE_ENDIAN);
            int nameLength = (int) Bytes.get(bytes, p + 26, 2, ByteOrder.LITTLE_ENDIAN);
            int extra = (int) Bytes.get(bytes, p + 28, 2, ByteOrder.LITTLE_ENDIAN);
            String name = new String(bytes, p + 30, nameLength, StandardCharsets.UTF_8);
            int data = p + 30 + nameLength + extra;
            entries.put(name, java.util.Arrays.copyOfRange(bytes, data, data + size));
            b.boundary(p, "local header of " + name).boundary(data, "data of " + name);
            b.field(p + 18, 4, ByteOrder.LITTLE_ENDIAN, FileLayout.FieldRole.LENGTH, "compressed size of " + name);
            b.field(p + 22, 4, ByteOrder.LITTLE_ENDIAN, FileLayout.FieldRole.LENGTH, "size of " + name);
            if (name.startsWith(ARCHIVE + "data/")) {
                b.values(data, size / 4, 4, ByteOrder.LITTLE_ENDIAN, "storage " + name);
            }
            p = data + size;
        }
        b.boundary(p, "central directory");
        while (p + 46 <= bytes.length && Bytes.get(bytes, p, 4, ByteOrder.LITTLE_ENDIAN) == 0x02014b50L) {
            int nameLength = (int) Bytes.get(bytes, p + 28, 2, ByteOrder.LITTLE_ENDIAN);
            int extra = (int) Bytes.get(bytes, p + 30, 2, ByteOrder.LITTLE_ENDIAN);
            int comment = (int) Bytes.get(bytes, p + 32, 2, ByteOrder.LITTLE_ENDIAN);
            String name = new String(bytes, p + 46, nameLength, StandardCharsets.UTF_8);
            b.field(p + 24, 4, ByteOrder.LITTLE_ENDIAN, FileLayout.FieldRole.LENGTH, "central size of " + name);
            b.field(p + 42, 4, ByteOrder.LITTLE_ENDIAN, FileLayout.FieldRole.LENGTH, "local offset of " + name);
            p += 46 + nameLength + extra + comment;
        }
        b.boundary(p, "end of central directory");
        if (!entries.containsKey(ARCHIVE + "data.pkl")) {
            throw new IllegalStateException("the seed archive has no " + ARCHIVE + "data.pkl: " + entries.keySet());
        }
        seed = new Seed(List.of(new SeedFile(FILE, bytes, b.build())), FILE);
    }

    @Override
    public FuzzFormat format() {
        return FuzzFormat.PTH;
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
        k.remove(MutationKind.VERSION);
        k.add(MutationKind.HEADER_EDIT);
        k.add(MutationKind.TENSOR_EDIT);
        return k;
    }

    @Override
    protected FuzzCase mutateSpecific(MutationKind kind, int index, SplittableRandom random) throws IOException {
        Map<String, byte[]> e = new LinkedHashMap<>(entries);
        byte[] pickle = e.get(ARCHIVE + "data.pkl");
        boolean refuse;
        String what;
        if (kind == MutationKind.HEADER_EDIT) {
            switch (random.nextInt(6)) {
                case 0 -> {
                    String[] hostile = {"posix\nsystem", "builtins\neval", "subprocess\nPopen", "torch\nload",
                        "torch.nn.modules.conv\nConv2d"};
                    String h = hostile[random.nextInt(hostile.length)];
                    pickle = replace(pickle, "collections\nOrderedDict", h, random);
                    what = "a GLOBAL replaced by " + h.replace('\n', '.');
                    refuse = true;
                }
                case 1 -> {
                    String[] types = {"HalfStorage", "DoubleStorage", "LongStorage", "ByteStorage", "BoolStorage"};
                    String t = types[random.nextInt(types.length)];
                    pickle = replace(pickle, "torch\nFloatStorage", "torch\n" + t, random);
                    what = "a storage's type FloatStorage -> " + t;
                    refuse = true; // the entry's byte count no longer matches (or the element size differs)
                }
                case 2 -> {
                    pickle = java.util.Arrays.copyOf(pickle, random.nextInt(pickle.length));
                    what = "data.pkl truncated to " + pickle.length + " bytes";
                    refuse = true;
                }
                case 3 -> {
                    // the BININT after "cpu" is a storage's element count
                    int at = indexOf(pickle, "cpu".getBytes(StandardCharsets.US_ASCII), random);
                    long[] values = {0, 1, -1, 0x7fffffff, (1L << 31) - 2};
                    long v = values[random.nextInt(values.length)];
                    pickle = pickle.clone();
                    if (at >= 0 && at + 8 <= pickle.length && pickle[at + 3] == 'J') {
                        Bytes.put(pickle, at + 4, 4, ByteOrder.LITTLE_ENDIAN, v);
                    }
                    what = "a storage's element count set to " + (int) v;
                    refuse = true;
                }
                case 4 -> {
                    pickle = pickle.clone();
                    int n = 1 + random.nextInt(4);
                    for (int i = 0; i < n; i++) {
                        pickle[random.nextInt(pickle.length)] = (byte) random.nextInt(256);
                    }
                    what = n + " random byte(s) of data.pkl changed";
                    refuse = false;
                }
                default -> {
                    pickle = replace(pickle, "_rebuild_tensor_v2", "_rebuild_tensor_v3", random);
                    what = "a tensor rebuilt by torch._utils._rebuild_tensor_v3";
                    refuse = true;
                }
            }
            e.put(ARCHIVE + "data.pkl", pickle);
        } else if (kind == MutationKind.TENSOR_EDIT) {
            List<String> storages = new ArrayList<>();
            for (String n : e.keySet()) {
                if (n.startsWith(ARCHIVE + "data/")) {
                    storages.add(n);
                }
            }
            String name = storages.get(random.nextInt(storages.size()));
            if (random.nextBoolean()) {
                e.remove(name);
                what = "storage entry " + name + " removed";
            } else {
                byte[] d = e.get(name);
                int delta = random.nextBoolean() ? 4 : -Math.min(4, d.length);
                e.put(name, java.util.Arrays.copyOf(d, d.length + delta));
                what = "storage entry " + name + " resized by " + delta + " bytes";
            }
            refuse = true;
        } else {
            throw new IllegalArgumentException(format() + " has no " + kind + " mutation");
        }
        FuzzCase.Builder c = FuzzCase.from(seed, kind).file(FILE, zip(e));
        if (refuse) {
            c.mustRefuse();
        }
        return c.build(FILE + ": " + what + " (archive rebuilt)");
    }

    /** Replaces one occurrence (chosen at random) of a text in the pickle. */
    private static byte[] replace(byte[] pickle, String from, String to, SplittableRandom random) {
        byte[] f = from.getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(pickle, f, random);
        if (at < 0) {
            throw new IllegalStateException("the seed pickle has no '" + from.replace('\n', '.') + "'");
        }
        byte[] t = to.getBytes(StandardCharsets.US_ASCII);
        return Bytes.splice(pickle, at, at + f.length, t);
    }

    /** The offset of a random occurrence of a byte string, or -1. */
    private static int indexOf(byte[] data, byte[] what, SplittableRandom random) {
        List<Integer> found = new ArrayList<>();
        for (int i = 0; i + what.length <= data.length; i++) {
            if (java.util.Arrays.equals(data, i, i + what.length, what, 0, what.length)) {
                found.add(i);
            }
        }
        return found.isEmpty() ? -1 : found.get(random.nextInt(found.size()));
    }

    /** A zip of stored entries, as {@code torch.save} writes them. */
    private static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry entry = new ZipEntry(e.getKey());
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(e.getValue().length);
                entry.setCompressedSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                entry.setCrc(crc.getValue());
                entry.setTime(315532800000L);
                z.putNextEntry(entry);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return out.toByteArray();
    }

    @Override
    public LoadResult load(Path entry) throws Exception {
        TensorFile tensors = TorchWeights.read(entry);
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
