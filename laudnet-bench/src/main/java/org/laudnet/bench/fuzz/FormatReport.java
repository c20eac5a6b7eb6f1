package org.laudnet.bench.fuzz;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The results of fuzzing one format: outcome counts per mutation kind, a few refusal messages per kind as examples,
 * and every failure. Built by {@link FuzzEngine}; immutable once returned, and then thread-safe.
 */
public final class FormatReport {

    /** Refusal examples kept per kind. */
    static final int EXAMPLES_PER_KIND = 3;

    private final FuzzFormat format;
    private final List<String> seeds;
    private final Map<MutationKind, OutcomeCounts> counts = new EnumMap<>(MutationKind.class);
    private final Map<MutationKind, Set<String>> examples = new EnumMap<>(MutationKind.class);
    private final List<CaseResult> failures = new ArrayList<>();
    private Duration elapsed = Duration.ZERO;
    private long maxAllocatedBytes = -1;

    FormatReport(FuzzFormat format, List<String> seeds) {
        this.format = format;
        this.seeds = List.copyOf(seeds);
    }

    void add(CaseResult r) {
        counts.merge(r.kind(), OutcomeCounts.ZERO.plus(r.outcome()), OutcomeCounts::plus);
        if (r.outcome() == Outcome.REFUSED) {
            Set<String> e = examples.computeIfAbsent(r.kind(), k -> new LinkedHashSet<>());
            if (e.size() < EXAMPLES_PER_KIND) {
                e.add(r.detail());
            }
        } else if (r.outcome() == Outcome.FAILURE) {
            failures.add(r);
        }
        maxAllocatedBytes = Math.max(maxAllocatedBytes, r.allocatedBytes());
    }

    void finish(Duration time) {
        this.elapsed = time;
    }

    /**
     * Returns the format.
     *
     * @return the format
     */
    public FuzzFormat format() {
        return format;
    }

    /**
     * Returns a description of each seed the mutations started from.
     *
     * @return e.g. {@code "model.laud (41,213 bytes)"}
     */
    public List<String> seeds() {
        return seeds;
    }

    /**
     * Returns the counts per kind, in kind order.
     *
     * @return an unmodifiable map
     */
    public Map<MutationKind, OutcomeCounts> counts() {
        return Collections.unmodifiableMap(counts);
    }

    /**
     * Returns the counts of all kinds together.
     *
     * @return the sum
     */
    public OutcomeCounts total() {
        return counts.values().stream().reduce(OutcomeCounts.ZERO, OutcomeCounts::plus);
    }

    /**
     * Returns up to {@value #EXAMPLES_PER_KIND} distinct refusal messages of a kind.
     *
     * @param kind the kind
     * @return the messages, in the order they occurred
     */
    public List<String> examples(MutationKind kind) {
        return List.copyOf(examples.getOrDefault(kind, Set.of()));
    }

    /**
     * Returns every failed case.
     *
     * @return an unmodifiable list
     */
    public List<CaseResult> failures() {
        return Collections.unmodifiableList(failures);
    }

    /**
     * Returns how long the format took.
     *
     * @return the wall time
     */
    public Duration elapsed() {
        return elapsed;
    }

    /**
     * Returns the most heap bytes one case allocated on the reader's thread.
     *
     * @return the bytes, or -1 when the JVM cannot tell
     */
    public long maxAllocatedBytes() {
        return maxAllocatedBytes;
    }
}
