package org.laudnet.models.latency;

import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.latency.BlockLatencyQuery;
import org.laudnet.core.latency.ConvShape;
import org.laudnet.core.latency.LatencyPredictor;
import org.laudnet.core.latency.PoolShape;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.util.Checks;

/**
 * Network-level latency prediction for any {@link GatedNetwork} configuration (LAUD-ResNet, LAUD-RegNetY, ...): the
 * sum over its blocks of each block's predicted latency, plus the stem convolution, the stem pooling, the global
 * pooling and the classifier, on any {@link LatencyPredictor} (the analytical GPU model or the calibrated CPU model).
 *
 * <p>Densities are given per stage (the network's stages, {@link GatedNetwork#stageOfBlocks()}). A stage density
 * {@code d} is the spatial (or layer) density of SPATIAL and LAYER blocks and the channel density of CHANNEL blocks;
 * BOTH blocks run at spatial and channel density {@code sqrt(d)} each, so that their product is {@code d} (as the
 * training loss steers them). Static blocks ignore it. The RegNet blocks' squeeze-excitation is not part of the
 * block latency model (it is small: two linear layers on pooled features). Immutable and thread-safe when the
 * predictor is.
 */
public final class NetworkLatencyEstimator {

    /** One block as the estimator sees it. */
    private record BlockEntry(BlockGeometry geometry, GateSpec gate) {}

    private final LatencyPredictor predictor;
    private final StemSpec stem;
    private final int inputSize;
    private final int numClasses;
    private final List<BlockEntry> blocks;
    private final List<Integer> stageOfBlock;
    private final int stages;

    private NetworkLatencyEstimator(LatencyPredictor predictor, GatedNetwork net) {
        if (predictor == null || net == null) {
            throw new IllegalArgumentException("net and predictor must not be null");
        }
        this.predictor = predictor;
        this.stem = net.getStem();
        this.inputSize = net.getInputSize();
        this.numClasses = net.getNumClasses();
        List<BlockEntry> list = new ArrayList<>();
        for (AbstractGatedBlock b : net.getBlocks()) {
            list.add(new BlockEntry(b.getGeometry(), b.getGateSpec()));
        }
        if (list.isEmpty()) {
            throw new IllegalArgumentException("net must have at least one block");
        }
        this.blocks = List.copyOf(list);
        List<Integer> stageIndex = new ArrayList<>();
        for (int s : net.stageOfBlocks()) {
            stageIndex.add(s);
        }
        this.stageOfBlock = List.copyOf(stageIndex);
        this.stages = net.getStages().size();
    }

    /**
     * An estimator for a gated network.
     *
     * @param net the network (its stage specs give each block's mode and granularities; its weights do not matter)
     * @param predictor the latency predictor
     * @return the estimator
     */
    public static NetworkLatencyEstimator of(GatedNetwork net, LatencyPredictor predictor) {
        return new NetworkLatencyEstimator(predictor, net);
    }

    /** Returns the number of stages a density vector must have. */
    public int stages() {
        return stages;
    }

    /**
     * Returns the predicted latency of everything outside the blocks: stem convolution, stem pooling (if any), global
     * pooling and classifier.
     *
     * @param batchSize batch size
     * @return milliseconds
     */
    public double fixedLatencyMs(int batchSize) {
        Checks.positive("batchSize", batchSize);
        ConvShape stemConv = ConvShape.of(stem.inChannels(), stem.channels(), inputSize, stem.kernel(), stem.stride());
        double ms = predictor.convLatencyMs(stemConv, batchSize);
        if (stem.maxPool()) {
            int out = stem.outputSize(inputSize);
            ms += predictor.poolLatencyMs(
                    new PoolShape(stem.channels(), stemConv.outHeight(), stemConv.outWidth(), out, out), batchSize);
        }
        BlockGeometry last = blocks.get(blocks.size() - 1).geometry();
        ms += predictor.poolLatencyMs(PoolShape.global(last.outChannels(), last.outHeight(), last.outWidth()),
                batchSize);
        ms += predictor.convLatencyMs(ConvShape.linear(last.outChannels(), numClasses), batchSize);
        return ms;
    }

    /**
     * Predicts the static network's latency (every block dense).
     *
     * @param batchSize batch size
     * @return milliseconds
     */
    public double staticLatencyMs(int batchSize) {
        double ms = fixedLatencyMs(batchSize);
        for (BlockEntry b : blocks) {
            ms += predictor.staticLatencyMs(b.geometry(), batchSize);
        }
        return ms;
    }

    /**
     * Predicts the gated network's latency at a per-stage density vector.
     *
     * @param stageDensities one density in {@code [0, 1]} per stage
     * @param batchSize batch size
     * @return milliseconds
     * @throws IllegalArgumentException if the vector has the wrong length or a density is out of range
     */
    public double dynamicLatencyMs(double[] stageDensities, int batchSize) {
        if (stageDensities == null || stageDensities.length != stages) {
            throw new IllegalArgumentException("stageDensities must have " + stages + " entries, got "
                    + (stageDensities == null ? "null" : stageDensities.length));
        }
        for (int s = 0; s < stages; s++) {
            Checks.inRange("stageDensities[" + s + "]", stageDensities[s], 0, 1);
        }
        double ms = fixedLatencyMs(batchSize);
        for (int i = 0; i < blocks.size(); i++) {
            ms += blockLatencyMs(i, stageDensities[stageOfBlock.get(i)], batchSize);
        }
        return ms;
    }

    /**
     * Predicts one block's latency at a stage density (see the class comment for its meaning per mode).
     *
     * @param block block index in network order
     * @param density the stage density
     * @param batchSize batch size
     * @return milliseconds
     */
    public double blockLatencyMs(int block, double density, int batchSize) {
        BlockEntry b = blocks.get(block);
        GateSpec gate = b.gate();
        GateMode mode = gate.mode();
        return switch (mode) {
            case NONE -> predictor.staticLatencyMs(b.geometry(), batchSize);
            case SPATIAL -> predictor.dynamicLatencyMs(new BlockLatencyQuery(
                    b.geometry(), mode, gate.spatialGranularity(), 1, density, 1, batchSize));
            case LAYER -> predictor.dynamicLatencyMs(new BlockLatencyQuery(
                    b.geometry(), mode, 1, 1, density, 1, batchSize));
            case CHANNEL -> predictor.dynamicLatencyMs(new BlockLatencyQuery(
                    b.geometry(), mode, 1, gate.channelGroups(), 1, density, batchSize));
            case BOTH -> predictor.dynamicLatencyMs(new BlockLatencyQuery(b.geometry(), mode,
                    gate.spatialGranularity(), gate.channelGroups(), Math.sqrt(density), Math.sqrt(density),
                    batchSize));
        };
    }
}
