package org.laudnet.core.exec;

import org.laudnet.core.block.GateMode;
import org.laudnet.core.cost.BlockDensities;

/**
 * What a {@link BlockExecutor} did for one call, and why.
 *
 * @param mode the block's gate mode
 * @param path the path taken
 * @param batch the batch size {@code B}
 * @param activeUnits active gate units: open patches (SPATIAL, BOTH, over the batch), open samples (LAYER), active
 *     channel groups summed over the batch (CHANNEL); 0 for NONE
 * @param totalUnits the number of gate units ({@code B m^2}, {@code B} or {@code B G})
 * @param patternGroups number of distinct channel patterns the batch was split into (1 without a channel gate)
 * @param densities the call's densities {@code d1, d2, d3, dc}
 * @param macsRatio dynamic over dense MACs of the block (maskers excluded) at these densities
 * @param predictedSparseMs the cost model's prediction for the best sparse schedule, NaN when not predicted
 * @param predictedDenseMs the measured cost of the dense path, NaN when not predicted
 */
public record ExecutionReport(
        GateMode mode,
        ExecutionPath path,
        int batch,
        int activeUnits,
        int totalUnits,
        int patternGroups,
        BlockDensities densities,
        double macsRatio,
        double predictedSparseMs,
        double predictedDenseMs) {}
