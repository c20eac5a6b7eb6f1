package org.laudnet.core.net;

import org.laudnet.core.gate.GumbelTemperature;

/**
 * One position in a backbone's block sequence, with everything a {@link BlockFamily} needs to build the block there.
 *
 * @param stage the stage index, from 0
 * @param indexInStage the block index within the stage, from 0 (block 0 strides)
 * @param spec the stage's spec (width, output channels, gates)
 * @param inChannels channels of the block input
 * @param inSize side of the (square) block input
 * @param stride the block's stride: {@code spec.stride()} for the first block of a stage, 1 otherwise
 * @param batchNormEpsilon epsilon of every BatchNorm
 * @param seed seed of the block's gate noise
 * @param temperature the Gumbel temperature shared by the network's gates
 */
public record BlockSlot(
        int stage,
        int indexInStage,
        StageSpec spec,
        int inChannels,
        int inSize,
        int stride,
        float batchNormEpsilon,
        long seed,
        GumbelTemperature temperature) {}
