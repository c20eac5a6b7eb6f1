package org.laudnet.bench.fuzz;

import ai.djl.ndarray.NDManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.laudnet.core.exec.HostExecution;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.core.plan.PlanFile;
import org.laudnet.core.plan.PlanFormatException;

/**
 * Fuzzes inference plan files through {@link PlanFile#read(Path)}: the seed is the plan of the gated network of
 * {@link FuzzNetworks}; the layout ({@link PlanLayout}) exposes every field, record and weight array, and the trailing
 * CRC-32 is recomputed for resealed cases. Tensor edits remove or duplicate blocks, drop a bias, flip presence flags
 * and change output channels without the data. An accepted plan must run one dense forward pass on the reference
 * backend and give one logit per class. Plan files preserve float bit patterns by design (a plan with NaN weights
 * reads back as written), so NaN weights are not refused here. Used by one thread at a time.
 */
public final class PlanFuzzTarget extends AbstractFuzzTarget {

    private static final String FILE = "model.plan";
    private static final long MAX_RUN_INPUT = 1 << 16;

    private final Seed seed;
    private final PlanLayout plan;

    /**
     * Generates the seed.
     *
     * @param manager a manager for the seed network
     * @throws IOException if the plan cannot be serialised
     */
    public PlanFuzzTarget(NDManager manager) throws IOException {
        byte[] bytes;
        try (NDManager m = manager.newSubManager()) {
            InferencePlan p = InferencePlan.of(FuzzNetworks.initialised(m, 13));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PlanFile.write(p, out);
            bytes = out.toByteArray();
        }
        plan = PlanLayout.of(bytes);
        seed = new Seed(List.of(new SeedFile(FILE, bytes, plan.layout.build())), FILE);
    }

    @Override
    public FuzzFormat format() {
        return FuzzFormat.PLAN;
    }

    @Override
    public Class<? extends LaudInputException> refusal() {
        return PlanFormatException.class;
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
    protected boolean nonFiniteMustBeRefused() {
        return false;
    }

    @Override
    protected FuzzCase mutateSpecific(MutationKind kind, int index, SplittableRandom random) {
        if (kind != MutationKind.TENSOR_EDIT) {
            throw new IllegalArgumentException(format() + " has no " + kind + " mutation");
        }
        byte[] b = seed.entryFile().copy();
        String what;
        switch (random.nextInt(5)) {
            case 0 -> {
                int[] block = plan.blocks.get(random.nextInt(plan.blocks.size()));
                b = Bytes.splice(b, block[0], block[1], new byte[0]);
                Bytes.put(b, plan.blockCountOffset, 4, ByteOrder.LITTLE_ENDIAN, plan.blocks.size() - 1L);
                what = "a block removed (count decremented)";
            }
            case 1 -> {
                int[] block = plan.blocks.get(random.nextInt(plan.blocks.size()));
                b = Bytes.splice(b, block[1], block[1], Arrays.copyOfRange(b, block[0], block[1]));
                Bytes.put(b, plan.blockCountOffset, 4, ByteOrder.LITTLE_ENDIAN, plan.blocks.size() + 1L);
                what = "a block written twice (count incremented)";
            }
            case 2 -> {
                PlanLayout.Conv c = plan.convs.get(random.nextInt(plan.convs.size()));
                b = Bytes.splice(b, c.biasStart(), c.end(), new byte[0]);
                what = c.label() + " bias removed";
            }
            case 3 -> {
                PlanLayout.Flag f = plan.flags.get(random.nextInt(plan.flags.size()));
                long v = Bytes.get(b, f.offset(), 4, ByteOrder.LITTLE_ENDIAN);
                Bytes.put(b, f.offset(), 4, ByteOrder.LITTLE_ENDIAN, 1 - v);
                what = f.label() + " " + v + " -> " + (1 - v) + " (a record missing or announced)";
            }
            default -> {
                PlanLayout.Conv c = plan.convs.get(random.nextInt(plan.convs.size()));
                long o = Bytes.get(b, c.start(), 4, ByteOrder.LITTLE_ENDIAN);
                long v = random.nextBoolean() ? o + 1 : Math.max(1, o / 2);
                Bytes.put(b, c.start(), 4, ByteOrder.LITTLE_ENDIAN, v);
                what = c.label() + " output channels " + o + " -> " + v + " with the data unchanged";
            }
        }
        return FuzzCase.from(seed, kind).file(FILE, PlanLayout.seal(b))
                .build(FILE + ": " + what + " (checksum recomputed)");
    }

    @Override
    public LoadResult load(Path entry) throws Exception {
        InferencePlan p = PlanFile.read(entry);
        int classes = p.head().outChannels();
        String summary = p.architecture() + ", " + p.blocks().size() + " blocks, " + classes + " classes";
        long inputs = (long) p.inputChannels() * p.inputSize() * p.inputSize();
        if (inputs > MAX_RUN_INPUT) {
            return LoadResult.valid(summary + " (input of " + inputs + " values, not run)");
        }
        try (PlanRuntime<?> rt = PlanRuntime.create(p, new ReferenceBackend());
                NetworkExecutor ex = rt.newExecutor()) {
            float[] input = new float[(int) inputs];
            Arrays.fill(input, 0.5f);
            HostExecution h = ex.run(input, 1, PathPolicy.DENSE);
            if (h.logits().length != classes) {
                return LoadResult.defective(summary, "a forward pass gives " + h.logits().length + " logits");
            }
        } catch (RuntimeException e) {
            return LoadResult.defective(summary, "the plan does not run: " + e);
        }
        return LoadResult.valid(summary);
    }
}
