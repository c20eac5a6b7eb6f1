package org.laudnet.models.train;

import java.util.List;

/**
 * What one training epoch did; training values are means over the epoch's samples.
 *
 * @param epoch the epoch index (from 0)
 * @param updates optimizer updates completed at the end of the epoch (whole run)
 * @param images training images seen in the epoch
 * @param loss mean total loss
 * @param ce mean cross entropy
 * @param kd mean distillation divergence (0 without a teacher)
 * @param cost mean cost loss {@code L_cost}
 * @param accuracy training top-1 accuracy (Gumbel-sampled gates)
 * @param density mean over gated blocks of the spatial density {@code d3} times the channel density {@code dc} (1
 *     when no block is gated)
 * @param macsRatio mean network ratio {@code F_dyn / F_static} under the loss's cost model
 * @param temperature the Gumbel temperature at the end of the epoch (NaN when not driven)
 * @param imagesPerSecond training throughput
 * @param valAccuracy validation top-1 accuracy in eval mode (NaN without validation data)
 * @param valMacsRatio validation network ratio in eval mode (NaN without validation data)
 * @param stages density and MACs ratio per stage, in stage order
 */
public record EpochStats(
        int epoch,
        int updates,
        long images,
        double loss,
        double ce,
        double kd,
        double cost,
        double accuracy,
        double density,
        double macsRatio,
        double temperature,
        double imagesPerSecond,
        double valAccuracy,
        double valMacsRatio,
        List<StageStats> stages) {

    /** Copies the stage list. */
    public EpochStats {
        stages = List.copyOf(stages);
    }
}
