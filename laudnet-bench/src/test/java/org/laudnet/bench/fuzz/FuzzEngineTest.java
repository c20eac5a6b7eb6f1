package org.laudnet.bench.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.core.latency.cpu.ProfileFormatException;

/** How the engine classifies what a reader does, with readers that misbehave on purpose. */
class FuzzEngineTest {

    @TempDir
    Path dir;

    /** What the fake reader does when it is given a mutated (not the seed's) input. */
    private enum Behaviour {
        REFUSE, REFUSE_WITHOUT_PATH, REFUSE_WITH_OTHER_TYPE, THROW_RUNTIME, THROW_ERROR, ACCEPT, DEFECTIVE, SLEEP,
        WRITE_NEXT_TO_INPUT, ALLOCATE
    }

    /** A one-file format whose reader behaves as told on anything but the seed. */
    private static class FakeTarget extends AbstractFuzzTarget {
        private final Behaviour behaviour;
        private final Seed seed;

        FakeTarget(Behaviour behaviour) {
            this.behaviour = behaviour;
            byte[] b = "FAKE0001payload".getBytes(StandardCharsets.US_ASCII);
            seed = new Seed(List.of(new SeedFile("in.fake", b, FileLayout.builder().magic(0, 4).boundary(8, "p")
                    .build())), "in.fake");
        }

        @Override
        public FuzzFormat format() {
            return FuzzFormat.PROFILE;
        }

        @Override
        public Class<? extends LaudInputException> refusal() {
            return ProfileFormatException.class;
        }

        @Override
        public List<Seed> seeds() {
            return List.of(seed);
        }

        @Override
        public Set<MutationKind> kinds() {
            return EnumSet.of(MutationKind.MAGIC, MutationKind.TRUNCATE_BOUNDARY);
        }

        @Override
        protected boolean truncationMustBeRefused() {
            return false;
        }

        @Override
        public long allocationBudget(long inputBytes, long seedAllocation) {
            return 4L << 20;
        }

        @Override
        public LoadResult load(Path entry) throws Exception {
            if (Files.isRegularFile(entry) && Files.readString(entry, StandardCharsets.ISO_8859_1)
                    .equals("FAKE0001payload")) {
                return LoadResult.valid("seed");
            }
            switch (behaviour) {
                case REFUSE -> throw new ProfileFormatException(entry.toString(), "bad");
                case REFUSE_WITHOUT_PATH -> throw new ProfileFormatException("somewhere", "bad");
                case REFUSE_WITH_OTHER_TYPE -> throw new LaudInputException(entry.toString(), "bad");
                case THROW_RUNTIME -> throw new IllegalArgumentException("negative size");
                case THROW_ERROR -> throw new OutOfMemoryError("Java heap space");
                case DEFECTIVE -> {
                    return LoadResult.defective("half a model", "parameter x is not initialised");
                }
                case SLEEP -> {
                    Thread.sleep(10_000);
                    return LoadResult.valid("late");
                }
                case WRITE_NEXT_TO_INPUT -> {
                    Files.writeString(entry.resolveSibling("cache.tmp"), "x");
                    throw new ProfileFormatException(entry.toString(), "bad");
                }
                case ALLOCATE -> {
                    byte[] big = new byte[32 << 20];
                    throw new ProfileFormatException(entry.toString(), "bad after " + big.length + " bytes");
                }
                default -> {
                    return LoadResult.valid("a valid object");
                }
            }
        }
    }

    private FormatReport run(Behaviour b) throws IOException {
        FuzzSettings s = new FuzzSettings(3, 5, Duration.ofMillis(500), Set.of(), dir.resolve(b.name()), false);
        try (FuzzEngine e = new FuzzEngine(s)) {
            return e.run(new FakeTarget(b), FuzzListener.NONE);
        }
    }

    private static String firstFailure(FormatReport r) {
        return r.failures().get(0).detail();
    }

    @Test
    void theFormatsRefusalNamingThePathIsARefusal() throws IOException {
        FormatReport r = run(Behaviour.REFUSE);
        assertEquals(new OutcomeCounts(0, 3, 0), r.counts().get(MutationKind.MAGIC));
        assertEquals(new OutcomeCounts(0, 3, 0), r.counts().get(MutationKind.TRUNCATE_BOUNDARY));
        assertEquals(List.of("in.fake: bad"), r.examples(MutationKind.MAGIC));
    }

    @Test
    void everythingElseIsAFailureSayingWhat() throws IOException {
        assertTrue(firstFailure(run(Behaviour.REFUSE_WITHOUT_PATH)).startsWith(
                "the refusal does not name the input's path: somewhere: bad"));
        assertTrue(firstFailure(run(Behaviour.REFUSE_WITH_OTHER_TYPE)).startsWith(
                "refused with LaudInputException, expected ProfileFormatException"));
        assertTrue(firstFailure(run(Behaviour.THROW_RUNTIME)).startsWith(
                "threw java.lang.IllegalArgumentException: negative size"));
        assertTrue(firstFailure(run(Behaviour.THROW_ERROR)).startsWith(
                "threw java.lang.OutOfMemoryError: Java heap space"));
        assertTrue(firstFailure(run(Behaviour.DEFECTIVE)).contains("parameter x is not initialised"));
        assertTrue(firstFailure(run(Behaviour.SLEEP)).startsWith("timed out after 0.5 s"));
        String written = firstFailure(run(Behaviour.WRITE_NEXT_TO_INPUT));
        assertTrue(written.startsWith("the case directory changed (new cache.tmp)"), written);
        String allocated = firstFailure(run(Behaviour.ALLOCATE));
        assertTrue(allocated.startsWith("allocated ") && allocated.contains("(budget 4,194,304)"), allocated);
        for (Behaviour b : List.of(Behaviour.THROW_RUNTIME, Behaviour.THROW_ERROR)) {
            assertEquals(new OutcomeCounts(0, 0, 3), run(b).counts().get(MutationKind.MAGIC), b.name());
        }
    }

    @Test
    void acceptingInputThatMustBeRefusedIsAFailure() throws IOException {
        FormatReport r = run(Behaviour.ACCEPT);
        // bad magic must be refused; a truncation of this format may be accepted
        assertEquals(new OutcomeCounts(0, 0, 3), r.counts().get(MutationKind.MAGIC));
        assertEquals(new OutcomeCounts(3, 0, 0), r.counts().get(MutationKind.TRUNCATE_BOUNDARY));
        assertTrue(firstFailure(r).startsWith("accepted input that must be refused: a valid object"));
    }

    @Test
    void failedCasesAreKeptOnlyWhenAsked() throws IOException {
        run(Behaviour.THROW_RUNTIME);
        assertFalse(Files.exists(dir.resolve(Behaviour.THROW_RUNTIME.name()).resolve("profile")));
        FuzzSettings keep = FuzzSettings.of(2, 5).keepingFailuresIn(dir.resolve("kept"));
        try (FuzzEngine e = new FuzzEngine(keep)) {
            e.run(new FakeTarget(Behaviour.THROW_RUNTIME), FuzzListener.NONE);
        }
        assertTrue(Files.isRegularFile(dir.resolve("kept/profile/bad-magic/1/in.fake")));
    }

    @Test
    void aSeedThatDoesNotLoadStopsTheRun() {
        AbstractFuzzTarget broken = new FakeTarget(Behaviour.REFUSE) {
            @Override
            public LoadResult load(Path entry) throws Exception {
                throw new ProfileFormatException(entry.toString(), "never valid");
            }
        };
        try (FuzzEngine e = new FuzzEngine(FuzzSettings.of(1, 1))) {
            IllegalStateException x = assertThrows(IllegalStateException.class,
                    () -> e.run(broken, FuzzListener.NONE));
            assertTrue(x.getMessage().contains("seed in.fake does not load") && x.getMessage().contains("never valid"),
                    x.getMessage());
        }
    }

    @Test
    void mutationsOfAKindTheTargetLacksAreRejected() {
        FakeTarget t = new FakeTarget(Behaviour.REFUSE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.mutate(MutationKind.PATH_ESCAPE, 0, new SplittableRandom(1)));
        assertTrue(e.getMessage().contains("path-escape"), e.getMessage());
    }
}
