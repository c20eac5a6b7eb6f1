package org.laudnet.core.net;

import org.laudnet.core.block.BatchNormBuilder;
import org.laudnet.core.gate.GumbelTemperature;

/**
 * One position in a backbone's block sequence, with everything a {@link BlockFamily} needs to build the block there.
 * Immutable and thread-safe.
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
        GumbelTemperature temperature) {

    /**
     * Gives a block builder the settings every block of the network shares: the BatchNorm epsilon, the seed of the
     * block's gate noise and the Gumbel temperature. Families call it so that no block misses one of them.
     *
     * @param builder the block's builder
     * @param <T> the builder's type
     * @return {@code builder}, for chaining
     */
    public <T extends BatchNormBuilder<T>> T configure(T builder) {
        return builder.optBatchNormEpsilon(batchNormEpsilon).optTemperature(temperature).optSeed(seed);
    }
}
