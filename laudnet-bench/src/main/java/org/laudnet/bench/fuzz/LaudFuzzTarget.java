package org.laudnet.bench.fuzz;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.models.io.LaudModelFile;
import org.laudnet.models.io.LoadedNetwork;
import org.laudnet.models.io.ParameterStreamCheck;
import org.laudnet.models.weights.WeightFileException;

/**
 * Fuzzes {@code .laud} model files through {@link LaudModelFile#load}: the seed is the gated network of
 * {@link FuzzNetworks} with its metadata; the layout exposes the preamble (magic, version, header length), the JSON
 * header, the payload length, every parameter record of the payload (data length, rank, dimensions, values) and the
 * checksum, which is recomputed for resealed cases. Header edits rewrite the JSON header, tensor edits the parameter
 * records ({@link DjlStreamEdits}); both fix the lengths and the checksum. A loaded network must have every parameter
 * initialised and finite and run a forward pass. Used by one thread at a time.
 */
public final class LaudFuzzTarget extends AbstractFuzzTarget {

    private static final String FILE = "model.laud";

    private final NDManager manager;
    private final Seed seed;
    private final int headerLength;
    private final List<ParameterStreamCheck.Entry> entries;

    /**
     * Generates the seed.
     *
     * @param manager a manager for the seed network and the loads (sub-managers, closed after each load)
     * @param work a directory for the seed file
     * @throws IOException if the seed cannot be written
     */
    public LaudFuzzTarget(NDManager manager, Path work) throws IOException {
        this.manager = manager;
        byte[] bytes;
        try (NDManager m = manager.newSubManager()) {
            GatedBackbone net = FuzzNetworks.initialised(m, 11);
            Path file = work.resolve("seed.laud");
            LaudModelFile.save(file, net, FuzzNetworks.metadata());
            bytes = Files.readAllBytes(file);
            Files.delete(file);
            headerLength = (int) Bytes.get(bytes, 12, 4, ByteOrder.BIG_ENDIAN);
            int payloadStart = 24 + headerLength;
            entries = ParameterStreamCheck.layout(net, bytes, payloadStart, bytes.length - 8 - payloadStart);
        }
        this.seed = new Seed(List.of(new SeedFile(FILE, bytes, layout(bytes))), FILE);
    }

    private FileLayout layout(byte[] bytes) {
        int payloadStart = 24 + headerLength;
        FileLayout.Builder b = FileLayout.builder()
                .magic(0, 8)
                .boundary(8, "version").boundary(12, "header length").boundary(16, "header")
                .boundary(16 + headerLength, "payload length").boundary(payloadStart, "payload")
                .boundary(bytes.length - 8, "checksum")
                .field(8, 4, ByteOrder.BIG_ENDIAN, FileLayout.FieldRole.VERSION, "format version")
                .field(12, 4, ByteOrder.BIG_ENDIAN, FileLayout.FieldRole.LENGTH, "header length")
                .field(16 + headerLength, 8, ByteOrder.BIG_ENDIAN, FileLayout.FieldRole.LENGTH, "payload length")
                // the network's recorded input shape: count, rank, the four dimensions, layout length
                .field(payloadStart + 1, 4, ByteOrder.BIG_ENDIAN, FileLayout.FieldRole.COUNT, "input-shape count")
                .field(payloadStart + 5, 4, ByteOrder.BIG_ENDIAN, FileLayout.FieldRole.COUNT, "input rank")
                .field(payloadStart + 9, 8, ByteOrder.BIG_ENDIAN, FileLayout.FieldRole.DIMENSION, "input batch")
                .field(payloadStart + 17, 8, ByteOrder.BIG_ENDIAN, FileLayout.FieldRole.DIMENSION, "input channels")
                .field(payloadStart + 41, 4, ByteOrder.BIG_ENDIAN, FileLayout.FieldRole.COUNT, "input layout length")
                .sealer(LaudFuzzTarget::seal);
        for (ParameterStreamCheck.Entry e : entries) {
            DjlStreamEdits.describe(e, bytes, payloadStart, b);
        }
        return b.build();
    }

    /** Recomputes the CRC-32 of header and payload, as far as the (mutated) lengths allow. */
    static byte[] seal(byte[] b) {
        if (b.length < 32) {
            return b;
        }
        long n = Bytes.get(b, 12, 4, ByteOrder.BIG_ENDIAN);
        if (n <= 0 || 16 + n + 8 > b.length - 8) {
            return b;
        }
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, 16, (int) n);
        crc.update(b, (int) (24 + n), (int) (b.length - 8 - (24 + n)));
        Bytes.put(b, b.length - 8, 8, ByteOrder.BIG_ENDIAN, crc.getValue());
        return b;
    }

    /** Rebuilds a model file from a header and a payload, with correct lengths and checksum. */
    static byte[] assemble(byte[] preamble8, int version, byte[] header, byte[] payload) {
        byte[] b = new byte[16 + header.length + 8 + payload.length + 8];
        System.arraycopy(preamble8, 0, b, 0, 8);
        Bytes.put(b, 8, 4, ByteOrder.BIG_ENDIAN, version);
        Bytes.put(b, 12, 4, ByteOrder.BIG_ENDIAN, header.length);
        System.arraycopy(header, 0, b, 16, header.length);
        Bytes.put(b, 16 + header.length, 8, ByteOrder.BIG_ENDIAN, payload.length);
        System.arraycopy(payload, 0, b, 24 + header.length, payload.length);
        return seal(b);
    }

    @Override
    public FuzzFormat format() {
        return FuzzFormat.LAUD;
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
        k.add(MutationKind.HEADER_EDIT);
        k.add(MutationKind.TENSOR_EDIT);
        return k;
    }

    @Override
    protected FuzzCase mutateSpecific(MutationKind kind, int index, SplittableRandom random) {
        byte[] bytes = seed.entryFile().bytes();
        byte[] header = java.util.Arrays.copyOfRange(bytes, 16, 16 + headerLength);
        byte[] payload = java.util.Arrays.copyOfRange(bytes, 24 + headerLength, bytes.length - 8);
        int version = (int) Bytes.get(bytes, 8, 4, ByteOrder.BIG_ENDIAN);
        String description;
        if (kind == MutationKind.HEADER_EDIT) {
            JsonElement root = JsonParser.parseString(new String(header, StandardCharsets.UTF_8));
            JsonMutator.Edit e = JsonMutator.mutate(root, random);
            header = e.json().getBytes(StandardCharsets.UTF_8);
            description = "header " + e.description();
        } else if (kind == MutationKind.TENSOR_EDIT) {
            DjlStreamEdits.Edit e = DjlStreamEdits.mutate(payload, entries, random);
            payload = e.stream();
            description = e.description();
        } else {
            throw new IllegalArgumentException(format() + " has no " + kind + " mutation");
        }
        return FuzzCase.from(seed, kind).file(FILE, assemble(bytes, version, header, payload))
                .build(FILE + ": " + description + " (lengths and checksum fixed)");
    }

    @Override
    public LoadResult load(Path entry) throws Exception {
        try (NDManager m = manager.newSubManager()) {
            LoadedNetwork loaded = LaudModelFile.load(entry, m);
            GatedBackbone net = loaded.network();
            String summary = net.getFamily().id() + ", " + net.getBlocks().size() + " blocks, "
                    + net.getNumClasses() + " classes, " + loaded.metadata().labels().size() + " labels";
            String defect = FuzzNetworks.defect(net, m, net.getStem().inChannels(), net.getInputSize(),
                    net.getNumClasses());
            return defect == null ? LoadResult.valid(summary) : LoadResult.defective(summary, defect);
        }
    }
}
