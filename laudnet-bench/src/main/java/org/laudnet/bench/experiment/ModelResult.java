package org.laudnet.bench.experiment;

import java.util.List;
import org.laudnet.core.block.GateMode;

/**
 * The measurements of one network of the experiment.
 *
 * @param name display name (e.g. {@code spatial t=0.50})
 * @param mode gate mode (NONE for the static network)
 * @param target target ratio {@code t} (1 for the static network)
 * @param cost the cost the target applies to (MACS for the static network)
 * @param top1 top-1 accuracy on the evaluated test images, in [0, 1]
 * @param macsRatio mean {@code F_dyn / F_static} in eval mode (maskers included)
 * @param stageDensity per stage, mean of {@code d3 * dc} over its blocks and the test images (fraction of the
 *     stage's residual-branch outputs computed)
 * @param msBatch1 median eval latency at batch 1 in ms (through the inference engine)
 * @param latencyRatio1 median latency at batch 1 over the static network's, measured interleaved
 * @param msBatch64 median eval latency at batch 64 in ms
 * @param latencyRatio64 median latency at batch 64 over the static network's
 * @param maxLogitDiff maximum absolute difference between the engine's logits and the masked dense logits
 *     on one test batch
 * @param trainSeconds wall time of the training run
 * @param staticMsBatch1 the static network's median latency at batch 1 measured interleaved with this network
 * @param staticMsBatch64 the static network's median latency at batch 64 measured interleaved with this network
 * @param paths64 the executors' path per block at batch 64 (e.g. {@code DENSE,SPATIAL_WINDOWS,...})
 */
public record ModelResult(
        String name,
        GateMode mode,
        float target,
        TrainingCost cost,
        double top1,
        double macsRatio,
        List<Double> stageDensity,
        double msBatch1,
        double latencyRatio1,
        double msBatch64,
        double latencyRatio64,
        double maxLogitDiff,
        double trainSeconds,
        double staticMsBatch1,
        double staticMsBatch64,
        String paths64) {}
