package org.laudnet.core.exec;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall-clock time per execution phase of a {@link BlockExecutor}, for profiling. The PyTorch CPU engine runs every
 * eager operation to completion before returning, so the time between two marks is the time of the operations issued
 * between them.
 *
 * <p>Phases: {@code gate} (maskers and the read-back of their decisions), {@code index} (host-side index and mask
 * tables and their upload), {@code identity}, {@code conv1}, {@code gather} (sample, row or window gathers),
 * {@code conv2}, {@code se} (the squeeze-excitation of a block that has one), {@code conv3}, {@code scatter}
 * (writing or adding the branch into the output, final ReLU), {@code dense} (the folded dense block). A phase may be entered several times per call; times add up.
 *
 * <p>Use: {@link #start()} before a call, then read {@link #millis()}; {@link #reset()} clears the totals.
 */
public final class PhaseTimer {

    private final Map<String, Long> nanos = new LinkedHashMap<>();
    private long last;

    /** Creates an empty timer. */
    public PhaseTimer() {
        last = System.nanoTime();
    }

    /** Starts timing from now: the next {@link #lap(String)} measures from this instant. */
    public void start() {
        last = System.nanoTime();
    }

    /**
     * Charges the time since the previous mark to {@code phase}.
     *
     * @param phase the phase name
     */
    public void lap(String phase) {
        long now = System.nanoTime();
        nanos.merge(phase, now - last, Long::sum);
        last = now;
    }

    /**
     * Returns the accumulated milliseconds per phase, in first-seen order.
     *
     * @return phase to milliseconds
     */
    public Map<String, Double> millis() {
        Map<String, Double> r = new LinkedHashMap<>();
        nanos.forEach((k, v) -> r.put(k, v / 1e6));
        return r;
    }

    /** Clears the totals. */
    public void reset() {
        nanos.clear();
        last = System.nanoTime();
    }
}
