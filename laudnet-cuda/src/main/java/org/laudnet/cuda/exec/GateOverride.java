package org.laudnet.cuda.exec;

import org.laudnet.cuda.plan.PlanBlock;

/**
 * Replaces the keep decisions of the gates after the maskers ran (the maskers still run and are read back, so timings
 * include their cost). Used to measure latency at controlled densities.
 */
public interface GateOverride {

    /**
     * Returns the spatial decisions to apply.
     *
     * @param blockIndex index of the block in the plan
     * @param block the block
     * @param batch {@code B}
     * @param computed the masker's decisions {@code (B, m, m)} ({@code m = 1} for a layer gate)
     * @return decisions of the same length (1 = keep)
     */
    int[] spatialMask(int blockIndex, PlanBlock block, int batch, int[] computed);

    /**
     * Returns the channel-group decisions to apply.
     *
     * @param blockIndex index of the block in the plan
     * @param block the block
     * @param batch {@code B}
     * @param computed the masker's decisions {@code (B, G)}
     * @return decisions of the same length (1 = keep)
     */
    int[] channelMask(int blockIndex, PlanBlock block, int batch, int[] computed);
}
