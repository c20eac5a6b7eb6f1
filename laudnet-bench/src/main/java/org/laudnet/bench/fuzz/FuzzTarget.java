package org.laudnet.bench.fuzz;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.laudnet.core.io.LaudInputException;

/**
 * One format under fuzzing: its valid seeds (generated programmatically), the mutations that apply to it, and the
 * reader call. Implementations are used by one thread at a time: {@link #mutate} from the engine's thread,
 * {@link #load} from its worker thread, never concurrently.
 */
public interface FuzzTarget extends AutoCloseable {

    /**
     * Returns the format.
     *
     * @return the format
     */
    FuzzFormat format();

    /**
     * Returns the exception type the format's reader refuses input with.
     *
     * @return a {@link LaudInputException} subclass
     */
    Class<? extends LaudInputException> refusal();

    /**
     * Returns the valid inputs mutations start from (one or several, e.g. one per image format).
     *
     * @return the seeds
     */
    List<Seed> seeds();

    /**
     * Returns the mutation kinds that apply to the format.
     *
     * @return the kinds
     */
    Set<MutationKind> kinds();

    /**
     * Makes one case.
     *
     * @param kind one of {@link #kinds()}
     * @param index the case's index within its kind (drives the systematic choices: which seed, file, boundary)
     * @param random the case's random source (drives the random choices)
     * @return the case
     * @throws IOException if a seed cannot be re-encoded
     */
    FuzzCase mutate(MutationKind kind, int index, SplittableRandom random) throws IOException;

    /**
     * Reads an input with the library's reader and inspects what it returned.
     *
     * @param entry the path the case gives the reader
     * @return the loaded object's summary and defects
     * @throws Exception whatever the reader throws (the engine classifies it)
     */
    LoadResult load(Path entry) throws Exception;

    /**
     * Returns the most heap bytes one read may allocate on the reader's thread before the case counts as a failure:
     * by default {@link FuzzEngine#ALLOCATION_FACTOR} times the seed's own allocation (at least
     * {@link FuzzEngine#MIN_BUDGET_BYTES}) plus {@link FuzzEngine#BYTES_FACTOR} bytes per input byte. A target whose
     * reader documents a larger bound (a pixel cap) widens it.
     *
     * @param inputBytes the bytes of the case's files
     * @param seedAllocation what reading the seed allocated (-1 if unknown)
     * @return the budget in bytes
     */
    default long allocationBudget(long inputBytes, long seedAllocation) {
        return Math.max(FuzzEngine.MIN_BUDGET_BYTES, FuzzEngine.ALLOCATION_FACTOR * seedAllocation)
                + FuzzEngine.BYTES_FACTOR * inputBytes;
    }

    /** Releases what the target holds (network managers); the default holds nothing. */
    @Override
    default void close() {}
}
