package org.laudnet.bench.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every format the library reads, under every mutation kind that applies to it: seeded and bounded ({@value #CASES}
 * cases per kind); no case may fail, inputs that must be refused are refused, NaN weights are refused naming the
 * tensor, and every refusal names its file.
 */
class ReaderFuzzTest {

    private static final int CASES = 8;
    private static final long SEED = 20;

    /** Kinds every case of which must be refused, whatever the format. */
    private static final Set<MutationKind> ALWAYS_REFUSED = EnumSet.of(MutationKind.MAGIC, MutationKind.EMPTY_FILE,
            MutationKind.DIRECTORY, MutationKind.PATH_ESCAPE);

    private static final Set<MutationKind> GENERIC = EnumSet.of(MutationKind.TRUNCATE_BOUNDARY,
            MutationKind.TRUNCATE_RANDOM, MutationKind.BIT_FLIP, MutationKind.LENGTH_FIELD, MutationKind.MAGIC,
            MutationKind.VERSION, MutationKind.NON_FINITE, MutationKind.EMPTY_FILE, MutationKind.DIRECTORY);

    /** The kinds each format is fuzzed with. */
    private static final Map<FuzzFormat, Set<MutationKind>> KINDS = new EnumMap<>(FuzzFormat.class);

    static {
        KINDS.put(FuzzFormat.LAUD, with(GENERIC, Set.of(), MutationKind.HEADER_EDIT, MutationKind.TENSOR_EDIT));
        KINDS.put(FuzzFormat.PLAN, with(GENERIC, Set.of(), MutationKind.TENSOR_EDIT));
        KINDS.put(FuzzFormat.SAFETENSORS, with(GENERIC, Set.of(MutationKind.MAGIC, MutationKind.VERSION),
                MutationKind.HEADER_EDIT, MutationKind.TENSOR_EDIT));
        KINDS.put(FuzzFormat.TFJS, with(GENERIC, Set.of(MutationKind.MAGIC, MutationKind.VERSION,
                MutationKind.LENGTH_FIELD), MutationKind.HEADER_EDIT, MutationKind.TENSOR_EDIT,
                MutationKind.PATH_ESCAPE));
        KINDS.put(FuzzFormat.CHECKPOINT, with(GENERIC, Set.of(), MutationKind.TENSOR_EDIT));
        KINDS.put(FuzzFormat.IDX, with(GENERIC, Set.of(MutationKind.VERSION, MutationKind.NON_FINITE)));
        KINDS.put(FuzzFormat.IMAGE, with(GENERIC, Set.of(MutationKind.VERSION, MutationKind.NON_FINITE),
                MutationKind.DIMENSION_BOMB));
        KINDS.put(FuzzFormat.PTH, with(GENERIC, Set.of(MutationKind.VERSION), MutationKind.HEADER_EDIT,
                MutationKind.TENSOR_EDIT));
        KINDS.put(FuzzFormat.PROFILE, with(GENERIC, Set.of(MutationKind.LENGTH_FIELD, MutationKind.MAGIC),
                MutationKind.HEADER_EDIT, MutationKind.TENSOR_EDIT));
    }

    private static Set<MutationKind> with(Set<MutationKind> base, Set<MutationKind> without, MutationKind... plus) {
        Set<MutationKind> s = EnumSet.copyOf(base);
        s.removeAll(without);
        s.addAll(List.of(plus));
        return s;
    }

    @ParameterizedTest
    @EnumSource(FuzzFormat.class)
    void everyMutationKindIsAcceptedOrRefusedNeverFails(FuzzFormat format) throws IOException {
        FuzzReport report = Fuzzer.run(List.of(format), FuzzSettings.of(CASES, SEED), "test", FuzzListener.NONE);
        FormatReport f = report.formats().get(0);

        List<String> failures = f.failures().stream()
                .map(r -> r.kind() + " #" + r.index() + " " + r.description() + " -> " + r.detail()).toList();
        assertEquals(List.of(), failures, format + " failures");
        assertEquals(KINDS.get(format), f.counts().keySet(), "the kinds " + format + " is fuzzed with");

        Set<String> files = Set.of("model.laud", "model.plan", "weights.safetensors", "model/", "train.ckpt",
                "images-idx3-ubyte", "labels-idx1-ubyte", "image.", "cpu-profile.json", "weights.pth");
        for (Map.Entry<MutationKind, OutcomeCounts> e : f.counts().entrySet()) {
            OutcomeCounts c = e.getValue();
            assertEquals(CASES, c.total(), format + " " + e.getKey() + " cases");
            if (ALWAYS_REFUSED.contains(e.getKey())
                    || e.getKey() == MutationKind.NON_FINITE && format != FuzzFormat.PLAN) {
                assertEquals(CASES, c.refused(), format + " " + e.getKey() + " must be refused: " + c);
            }
            for (String example : f.examples(e.getKey())) {
                assertTrue(files.stream().anyMatch(example::contains), format + " " + e.getKey()
                        + " refusal names its file: " + example);
                if (e.getKey() == MutationKind.NON_FINITE && format != FuzzFormat.PROFILE) {
                    assertTrue((example.contains("tensor '") || example.contains("parameter '")
                            || example.contains("temperature"))
                            && (example.contains("NaN") || example.contains("Infinity")), example);
                }
            }
        }
        assertTrue(f.total().refused() > 0, f.total().toString());
    }

    @Test
    void caseResultsAreReproducibleForASeed() throws IOException {
        Set<MutationKind> kinds = EnumSet.of(MutationKind.BIT_FLIP, MutationKind.HEADER_EDIT);
        FuzzSettings s = FuzzSettings.of(6, 99).withKinds(kinds);
        FormatReport a = Fuzzer.run(List.of(FuzzFormat.PROFILE), s, "test", FuzzListener.NONE).formats().get(0);
        FormatReport b = Fuzzer.run(List.of(FuzzFormat.PROFILE), s, "test", FuzzListener.NONE).formats().get(0);
        assertEquals(kinds, a.counts().keySet());
        assertEquals(a.counts(), b.counts());
        for (MutationKind k : kinds) {
            assertEquals(a.examples(k), b.examples(k));
        }
    }
}
