package org.laudnet.bench.fuzz;

/** Receives a fuzz run's progress. Called from the thread that runs the engine. */
public interface FuzzListener {

    /** A listener that ignores everything. */
    FuzzListener NONE = new FuzzListener() {};

    /**
     * Called after each case.
     *
     * @param result the case's result
     * @param casesInKind how many cases the kind has
     */
    default void caseDone(CaseResult result, int casesInKind) {}

    /**
     * Called after the last case of a kind.
     *
     * @param format the format
     * @param kind the kind
     * @param counts its outcome counts
     */
    default void kindDone(FuzzFormat format, MutationKind kind, OutcomeCounts counts) {}
}
