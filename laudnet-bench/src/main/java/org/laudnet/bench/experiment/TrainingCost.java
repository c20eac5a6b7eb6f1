package org.laudnet.bench.experiment;

/**
 * The cost that a variant's training loss budgets with its target ratio {@code t} (method section 3).
 */
public enum TrainingCost {
    /** Multiply-accumulates: {@code t} is the target MACs ratio. */
    MACS(""),
    /**
     * Latency measured on this machine through the inference engine at batch 64 (the block tables of
     * {@code MeasuredBlockLatency}): {@code t} is the target latency ratio.
     */
    LATENCY(" (latency cost)");

    private final String suffix;

    TrainingCost(String suffix) {
        this.suffix = suffix;
    }

    /** Returns what a variant's display name carries for this cost (empty for MACs, the paper's default). */
    public String nameSuffix() {
        return suffix;
    }
}
