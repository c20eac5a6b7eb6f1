package org.laudnet.models.resnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.laudnet.core.block.ResidualBlockLayers;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.exec.StemExecutor;

/**
 * A LAUD backbone as the eval-mode executors and tools see it: a stem, a sequence of gated residual blocks and a
 * classification head (implemented by {@link LaudResNet} and {@code LaudRegNet}).
 *
 * <pre>
 *   x (B, C, S, S) -> stem -> block_1 .. block_n -> global average pool + fc -> logits (B, classes)
 *   F_dyn = stemMacs + headMacs + sum_b blockDynamicMacs(b, d_b)        (method section 3)
 * </pre>
 */
public interface GatedNetwork extends Block {

    /** Returns the stem settings (input channels and stem shape). */
    StemSpec getStem();

    /** Returns the stem convolution and its BatchNorm (the stem's shape is {@link #getStem()}). */
    ResidualBlockLayers.ConvBn stemLayers();

    /**
     * Returns the stem as an eval-mode executor (BatchNorm folded into the convolution, ReLU, the max pool when the
     * stem has one).
     *
     * @param ps the parameter store the folded weights are read from
     * @param manager owner of the folded weights
     * @return the executor; the caller closes it
     */
    default StemExecutor stemExecutor(ParameterStore ps, NDManager manager) {
        StemSpec spec = getStem();
        return spec.maxPool()
                ? StemExecutor.withMaxPool(stemLayers(), spec.stride(), spec.maxPoolPadding(), ps, manager)
                : StemExecutor.of(stemLayers(), spec.stride(), ps, manager);
    }

    /** Returns the square input size {@code S}. */
    int getInputSize();

    /** Returns the number of classes of the head. */
    int getNumClasses();

    /**
     * Runs the stem.
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
     */
    NetworkResult run(ParameterStore ps, NDArray x, boolean training);

    /** Returns the MACs of the stem. */
    long stemMacs();

    /** Returns the MACs of the head. */
    long headMacs();

    /** Returns the MACs of the static network (every density 1, maskers excluded). */
    long staticMacs();

    /** Returns the layers of every residual block, in network order, as the block executors read them. */
    List<ResidualBlockLayers> blockLayers();

    /**
     * Returns the dynamic MACs of one block at given densities (maskers included).
     *
     * @param block the block index, in network order
     * @param densities the block's densities
     * @return the MACs
     */
    double blockDynamicMacs(int block, BlockDensities densities);
}
