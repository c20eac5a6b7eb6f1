package org.laudnet.core.net;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.cost.BlockDensities;

/**
 * A LAUD backbone: a stem, a sequence of gated residual blocks in stages, and a classification head. Training, the
 * losses and cost models, latency estimation, inference plans and model files all work on this interface, whatever
 * the block family ({@link GatedBackbone} is the implementation; ResNet and RegNetY are factories of it).
 *
 * <pre>
 *   x (B, C, S, S) -> stem -> block_1 .. block_n -> global average pool + fc -> logits (B, classes)
 *   F_dyn = stemMacs + headMacs + sum_b blockDynamicMacs(b, d_b)        (method section 3)
 * </pre>
 *
 * <p>As a DJL {@link Block}, {@code forward} returns the logits only (a singleton list), so a network works inside a
 * DJL {@code Model} and {@code Predictor} with standard translators; {@link #run} returns the typed result with the
 * per-block densities and the dynamic MACs that training needs. Thread safety: as every DJL block, a network may be
 * read by many threads (eval-mode forward), and trained by one.
 */
public interface GatedNetwork extends Block {

    /** Returns the block family (the architecture a model file records, and how blocks are built). */
    BlockFamily getFamily();

    /** Returns the stem settings (input channels and stem shape). */
    StemSpec getStem();

    /** Returns the stage specs, one per stage, in order. */
    List<StageSpec> getStages();

    /** Returns the square input size {@code S}. */
    int getInputSize();

    /** Returns the number of classes of the head. */
    int getNumClasses();

    /** Returns the BatchNorm epsilon of every BatchNorm. */
    float getBatchNormEpsilon();

    /** Returns the base seed of the gates' noise. */
    long getSeed();

    /** Returns the stem convolution. */
    Conv2d getStemConv();

    /** Returns the stem BatchNorm. */
    BatchNorm getStemBn();

    /** Returns the classifier, a linear layer on the pooled features. */
    Linear getHead();

    /** Returns the residual blocks in network order. */
    List<AbstractGatedBlock> getBlocks();

    /** Returns the stage index (from 0) of every block, in network order. */
    default int[] stageOfBlocks() {
        List<StageSpec> stages = getStages();
        int[] r = new int[getBlocks().size()];
        int b = 0;
        for (int s = 0; s < stages.size(); s++) {
            for (int k = 0; k < stages.get(s).blocks(); k++) {
                r[b++] = s;
            }
        }
        return r;
    }

    /**
     * Runs the stem: {@code conv -> BN -> ReLU [-> maxPool 3x3/2]}.
     *
     * @param ps the parameter store
     * @param x images {@code (B, C, S, S)}
     * @param training training or eval mode
     * @return the first block's input
     */
    NDArray runStem(ParameterStore ps, NDArray x, boolean training);

    /**
     * Runs the head: global average pool and the fully connected layer.
     *
     * @param ps the parameter store
     * @param features the last block's output {@code (B, C', H', W')}
     * @param training training or eval mode
     * @return logits {@code (B, classes)}
     */
    NDArray runHead(ParameterStore ps, NDArray features, boolean training);

    /**
     * Runs the whole network (training form: masked dense).
     *
     * @param ps the parameter store
     * @param x images {@code (B, C, S, S)}
     * @param training training mode (Gumbel gates, batch statistics) or eval mode
     * @return logits, per-block densities and the network's dynamic MACs
     * @throws IllegalArgumentException if {@code x} does not have the network's input shape
     */
    NetworkResult run(ParameterStore ps, NDArray x, boolean training);

    /** Returns the MACs of the stem: its convolution and, with one, the max pool's {@code 9 C Hp Wp}. */
    long stemMacs();

    /** Returns the MACs of the head: the global average pool's {@code C H W}, the classifier's {@code C K + K}. */
    long headMacs();

    /** Returns the MACs of the static network (every density 1, maskers excluded). */
    long staticMacs();

    /**
     * Returns the dynamic MACs of one block at given densities (maskers and squeeze-excitation included).
     *
     * @param block the block index, in network order
     * @param densities the block's densities
     * @return the MACs
     */
    default double blockDynamicMacs(int block, BlockDensities densities) {
        return getBlocks().get(block).getCost().dynamicMacs(densities);
    }
}
