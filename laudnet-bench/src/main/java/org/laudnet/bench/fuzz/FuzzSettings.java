package org.laudnet.bench.fuzz;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * How a fuzz run is done. Immutable and thread-safe.
 *
 * @param casesPerKind cases per mutation kind and format, positive
 * @param seed the base seed; every case's random choices derive from it, the format, the kind and the case's index, so
 *     a run is reproducible
 * @param timeout the time one case may take before it counts as a failure
 * @param kinds the mutation kinds to run (those a format does not support are skipped); empty means all
 * @param workDir where cases are laid out (a fresh temporary directory, deleted afterwards, when null)
 * @param keepFailures whether the directories of failed cases are kept for inspection
 */
public record FuzzSettings(int casesPerKind, long seed, Duration timeout, Set<MutationKind> kinds, Path workDir,
        boolean keepFailures) {

    /** Validates and copies. */
    public FuzzSettings {
        if (casesPerKind <= 0) {
            throw new IllegalArgumentException("casesPerKind must be positive, got " + casesPerKind);
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        }
        kinds = kinds == null || kinds.isEmpty() ? EnumSet.allOf(MutationKind.class) : EnumSet.copyOf(kinds);
    }

    /**
     * Settings with every kind, a 60-second timeout per case, a temporary work directory, and failed cases deleted.
     *
     * @param casesPerKind cases per kind and format
     * @param seed the base seed
     * @return the settings
     */
    public static FuzzSettings of(int casesPerKind, long seed) {
        return new FuzzSettings(casesPerKind, seed, Duration.ofSeconds(60), Set.of(), null, false);
    }

    /**
     * Returns these settings with another per-case timeout.
     *
     * @param t the timeout
     * @return new settings
     */
    public FuzzSettings withTimeout(Duration t) {
        return new FuzzSettings(casesPerKind, seed, t, kinds, workDir, keepFailures);
    }

    /**
     * Returns these settings restricted to some kinds.
     *
     * @param k the kinds (empty: all)
     * @return new settings
     */
    public FuzzSettings withKinds(Set<MutationKind> k) {
        return new FuzzSettings(casesPerKind, seed, timeout, k, workDir, keepFailures);
    }

    /**
     * Returns these settings with a work directory whose failed cases are kept.
     *
     * @param dir the directory
     * @return new settings
     */
    public FuzzSettings keepingFailuresIn(Path dir) {
        return new FuzzSettings(casesPerKind, seed, timeout, kinds, dir, true);
    }
}
