package org.laudnet.core.exec;

import java.util.List;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.cost.BlockDensities;

/**
 * What an executor did for one block in one call, and why. Immutable and thread-safe.
 *
 * @param mode the block's gate mode
 * @param path the path taken
 * @param batch the batch size {@code B}
 * @param activeUnits active gate units: open cells (SPATIAL, BOTH, LAYER: over the batch and mask groups) or active
 *     channel groups summed over the batch (CHANNEL); 0 for NONE
 * @param totalUnits the number of gate units ({@code B gs m^2} or {@code B G}; 0 for NONE)
 * @param patternGroups number of distinct channel patterns the batch was split into (1 without a channel gate)
 * @param densities the call's densities {@code d1, d2, d3, dc} (means over the batch)
 * @param sampleDensities each sample's densities, in batch order
 * @param macsRatio the block's dynamic over dense MACs at these densities (maskers included, as in the training loss)
 * @param sampleMacsRatios each sample's block MACs ratio (at its own densities), in batch order
 * @param predictedSparseMs the cost model's prediction for the best sparse path, NaN when not predicted
 * @param predictedDenseMs the measured cost of the dense path, NaN when not used
 */
public record ExecutionReport(
        GateMode mode,
        ExecutionPath path,
        int batch,
        int activeUnits,
        int totalUnits,
        int patternGroups,
        BlockDensities densities,
        List<BlockDensities> sampleDensities,
        double macsRatio,
        List<Double> sampleMacsRatios,
        double predictedSparseMs,
        double predictedDenseMs) {

    /**
     * Validates and copies the per-sample lists.
     *
     * @throws IllegalArgumentException if a per-sample list does not have {@code batch} entries
     */
    public ExecutionReport {
        sampleDensities = List.copyOf(sampleDensities);
        sampleMacsRatios = List.copyOf(sampleMacsRatios);
        if (sampleDensities.size() != batch || sampleMacsRatios.size() != batch) {
            throw new IllegalArgumentException("sampleDensities and sampleMacsRatios must have one entry per sample ("
                    + batch + "), got " + sampleDensities.size() + " and " + sampleMacsRatios.size());
        }
    }

    /**
     * Returns the report of one sample, as for a batch of that sample alone: its densities, MACs ratio and gate units
     * (its open cells, or open channel groups, of its {@code gs m^2} or {@code G}; one channel pattern). The path and
     * the predicted times stay the batch's.
     *
     * @param sample the sample's index in the batch
     * @return the single-sample report
     * @throws IllegalArgumentException if {@code sample} is not in {@code [0, batch)}
     */
    public ExecutionReport sample(int sample) {
        if (sample < 0 || sample >= batch) {
            throw new IllegalArgumentException("sample must be in [0, " + batch + "), got " + sample);
        }
        BlockDensities d = sampleDensities.get(sample);
        int units = totalUnits / batch;
        // a sample's density is its open units over its units, so this count is exact
        double open = mode.hasSpatialGate() ? d.d3() : mode.hasChannelGate() ? d.dc() : 0;
        double ratio = sampleMacsRatios.get(sample);
        return new ExecutionReport(mode, path, 1, (int) Math.round(open * units), units, 1, d, List.of(d), ratio,
                List.of(ratio), predictedSparseMs, predictedDenseMs);
    }
}
