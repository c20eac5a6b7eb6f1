package org.laudnet.bench.fuzz;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.models.io.ParameterStreamCheck;
import org.laudnet.models.train.Checkpoint;
import org.laudnet.models.train.CheckpointException;
import org.laudnet.models.train.CheckpointState;
import org.laudnet.models.train.OptimizerKind;
import org.laudnet.models.train.OptimizerState;

/**
 * Fuzzes training checkpoints through {@link Checkpoint#loadAll} into a fresh network of {@link FuzzNetworks}: the
 * seed holds that network's parameters, a training state and an SGD momentum buffer per parameter. The layout exposes
 * the preamble (magic, version, epoch, update, temperature, lengths), every parameter record of the payload, the
 * optimizer state's fields (name lengths, counts, ranks, dimensions) and the checksum, which is recomputed for resealed
 * cases; tensor edits change the parameter records ({@link DjlStreamEdits}) and fix lengths and checksum. The network
 * must end with every parameter finite and run a forward pass. Used by one thread at a time.
 */
public final class CheckpointFuzzTarget extends AbstractFuzzTarget {

    private static final String FILE = "train.ckpt";
    private static final int HEADER = 32;
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;

    private final NDManager manager;
    private final Seed seed;
    private final List<ParameterStreamCheck.Entry> entries;
    private final int payloadLength;

    /**
     * Generates the seed.
     *
     * @param manager a manager for the networks (sub-managers, closed after each load)
     * @param work a directory for the seed file
     * @throws IOException if the seed cannot be written
     */
    public CheckpointFuzzTarget(NDManager manager, Path work) throws IOException {
        this.manager = manager;
        byte[] bytes;
        try (NDManager m = manager.newSubManager()) {
            GatedBackbone net = FuzzNetworks.initialised(m, 23);
            Map<String, OptimizerState.ParameterSlots> slots = new LinkedHashMap<>();
            SplittableRandom r = new SplittableRandom(29);
            for (Pair<String, Parameter> p : net.getParameters()) {
                float[] momentum = new float[(int) p.getValue().getArray().size()];
                for (int i = 0; i < momentum.length; i++) {
                    momentum[i] = (float) (r.nextDouble() - 0.5) * 1e-2f;
                }
                slots.put(p.getKey(), new OptimizerState.ParameterSlots(40, p.getValue().getArray().getShape()
                        .getShape(), List.of(momentum)));
            }
            Path file = work.resolve("seed.ckpt");
            Checkpoint.save(file, net, new CheckpointState(3, 120, 0.8f),
                    new OptimizerState(OptimizerKind.SGD.name(), slots));
            bytes = Files.readAllBytes(file);
            Files.delete(file);
            payloadLength = (int) Bytes.get(bytes, 24, 8, BE);
            entries = ParameterStreamCheck.layout(net, bytes, HEADER, payloadLength);
        }
        seed = new Seed(List.of(new SeedFile(FILE, bytes, layout(bytes))), FILE);
    }

    private FileLayout layout(byte[] b) {
        FileLayout.Builder l = FileLayout.builder().magic(0, 8)
                .field(8, 4, BE, FileLayout.FieldRole.VERSION, "format version")
                .field(12, 4, BE, FileLayout.FieldRole.COUNT, "epoch")
                .field(16, 4, BE, FileLayout.FieldRole.COUNT, "update")
                .values(20, 1, 4, BE, "temperature")
                .field(24, 8, BE, FileLayout.FieldRole.LENGTH, "payload length")
                .boundary(8, "version").boundary(24, "payload length").boundary(HEADER, "payload")
                .boundary(b.length - 8, "checksum")
                .sealer(CheckpointFuzzTarget::seal);
        for (ParameterStreamCheck.Entry e : entries) {
            DjlStreamEdits.describe(e, b, HEADER, l);
        }
        int opt = HEADER + payloadLength;
        l.boundary(opt, "optimizer-state length").field(opt, 8, BE, FileLayout.FieldRole.LENGTH, "optimizer length");
        int p = opt + 8;
        l.boundary(p, "optimizer state");
        p = utf(b, p, l, "algorithm name length");
        int count = (int) Bytes.get(b, p, 4, BE);
        l.field(p, 4, BE, FileLayout.FieldRole.COUNT, "optimizer parameter count");
        p += 4;
        for (int i = 0; i < count; i++) {
            l.boundary(p, "optimizer slot " + i);
            p = utf(b, p, l, "optimizer name length " + i);
            l.field(p, 4, BE, FileLayout.FieldRole.COUNT, "optimizer updates " + i);
            p += 4;
            int rank = (int) Bytes.get(b, p, 4, BE);
            l.field(p, 4, BE, FileLayout.FieldRole.COUNT, "optimizer rank " + i);
            p += 4;
            long n = 1;
            for (int d = 0; d < rank; d++) {
                n *= Bytes.get(b, p, 8, BE);
                l.field(p, 8, BE, FileLayout.FieldRole.DIMENSION, "optimizer dimension " + i + "." + d);
                p += 8;
            }
            int slotCount = (int) Bytes.get(b, p, 4, BE);
            l.field(p, 4, BE, FileLayout.FieldRole.COUNT, "optimizer slot count " + i);
            p += 4 + (int) (4 * n * slotCount);
        }
        if (p != b.length - 8) {
            throw new IllegalStateException("the optimizer state ends at " + p + ", the checksum at " + (b.length - 8));
        }
        return l.build();
    }

    private static int utf(byte[] b, int p, FileLayout.Builder l, String label) {
        l.field(p, 2, BE, FileLayout.FieldRole.LENGTH, label);
        return p + 2 + (int) Bytes.get(b, p, 2, BE);
    }

    /** Recomputes the trailing CRC-32 (of every byte before it). */
    static byte[] seal(byte[] b) {
        if (b.length >= 16) {
            Bytes.put(b, b.length - 8, 8, BE, Bytes.crc32(b, 0, b.length - 8));
        }
        return b;
    }

    @Override
    public FuzzFormat format() {
        return FuzzFormat.CHECKPOINT;
    }

    @Override
    public Class<? extends LaudInputException> refusal() {
        return CheckpointException.class;
    }

    @Override
    public List<Seed> seeds() {
        return List.of(seed);
    }

    @Override
    public Set<MutationKind> kinds() {
        Set<MutationKind> k = EnumSet.copyOf(GENERIC);
        k.add(MutationKind.TENSOR_EDIT);
        return k;
    }

    @Override
    protected FuzzCase mutateSpecific(MutationKind kind, int index, SplittableRandom random) {
        if (kind != MutationKind.TENSOR_EDIT) {
            throw new IllegalArgumentException(format() + " has no " + kind + " mutation");
        }
        byte[] b = seed.entryFile().bytes();
        byte[] payload = java.util.Arrays.copyOfRange(b, HEADER, HEADER + payloadLength);
        DjlStreamEdits.Edit e = DjlStreamEdits.mutate(payload, entries, random);
        byte[] out = Bytes.splice(b, HEADER, HEADER + payloadLength, e.stream());
        Bytes.put(out, 24, 8, BE, e.stream().length);
        return FuzzCase.from(seed, kind).file(FILE, seal(out))
                .build(FILE + ": " + e.description() + " (lengths and checksum fixed)");
    }

    @Override
    public LoadResult load(Path entry) throws Exception {
        try (NDManager m = manager.newSubManager()) {
            GatedBackbone net = FuzzNetworks.initialised(m, 31);
            Checkpoint.CheckpointContent c = Checkpoint.loadAll(entry, net, m);
            String summary = "epoch " + c.state().epoch() + ", update " + c.state().update() + ", temperature "
                    + c.state().temperature() + ", optimizer " + c.optimizer().map(o -> o.algorithm() + " ("
                    + o.parameters().size() + " parameters)").orElse("none");
            String defect = FuzzNetworks.defect(net, m, FuzzNetworks.CHANNELS, FuzzNetworks.INPUT_SIZE,
                    FuzzNetworks.CLASSES);
            if (defect == null && !(c.state().temperature() > 0 && Float.isFinite(c.state().temperature()))) {
                defect = "the state's temperature is " + c.state().temperature();
            }
            return defect == null ? LoadResult.valid(summary) : LoadResult.defective(summary, defect);
        }
    }
}
