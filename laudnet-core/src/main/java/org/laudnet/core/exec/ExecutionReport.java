package org.laudnet.core.exec;

import java.util.List;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.cost.BlockDensities;

/**
 * What an executor did for one block in one call, and why.
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
        double predictedSparseMs,
        double predictedDenseMs) {

    /** Copies the per-sample list. */
    public ExecutionReport {
        sampleDensities = List.copyOf(sampleDensities);
    }
}
