package org.laudnet.core.latency;

/**
 * How a kernel's compute time and memory time combine into its latency.
 *
 * <ul>
 *   <li>{@link #ADD}: {@code t = t_comp + t_mem}, no overlap (the setting the reference predictor is run with).
 *   <li>{@link #MAX}: {@code t = max(t_comp, t_mem)}, perfect overlap (a pure roofline).
 * </ul>
 */
public enum CombineMode {
    /** Compute and memory do not overlap. */
    ADD,
    /** Compute and memory overlap perfectly. */
    MAX;

    /**
     * Combines the two terms.
     *
     * @param computeSeconds {@code t_comp}
     * @param memorySeconds {@code t_mem}
     * @return the combined time
     */
    public double combine(double computeSeconds, double memorySeconds) {
        return this == ADD ? computeSeconds + memorySeconds : Math.max(computeSeconds, memorySeconds);
    }
}
