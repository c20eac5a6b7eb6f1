package org.laudnet.core.latency;

import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.util.Checks;

/**
 * Predicts the latency of convolutions, residual blocks (static or gated) and whole networks on one target. All
 * latencies are in milliseconds for the whole batch (divide by the batch size for per-image figures).
 *
 * <p>A static block is {@code conv1 + conv2 + conv3 + downsample}; a gated block adds its maskers and, for spatial
 * gating, the gather and scatter-add kernels (see {@link LatencyBreakdown}). A network is {@code stem conv + stem pool +
 * blocks + global pool + fc}.
 */
public interface LatencyPredictor {

    /** Returns a short description of the predictor and its target. */
    String name();

    /**
     * Predicts one dense convolution.
     *
     * @param conv the convolution
     * @param batchSize {@code N}
     * @return latency in ms
     */
    double convLatencyMs(ConvShape conv, int batchSize);

    /**
     * Predicts one pooling.
     *
     * @param pool the pooling
     * @param batchSize {@code N}
     * @return latency in ms
     */
    double poolLatencyMs(PoolShape pool, int batchSize);

    /**
     * Predicts the static block, split into its kernels ({@code masker = gather = scatter = 0}).
     *
     * @param geometry the block
     * @param batchSize {@code N}
     * @return the breakdown in ms
     */
    LatencyBreakdown staticBreakdown(BlockGeometry geometry, int batchSize);

    /**
     * Predicts a gated block at the densities of the query, split into its kernels. Mode {@code NONE} gives {@link
     * #staticBreakdown}.
     *
     * @param query the block, mode, granularities, densities and batch
     * @return the breakdown in ms
     */
    LatencyBreakdown dynamicBreakdown(BlockLatencyQuery query);

    /**
     * Predicts the static block: {@code conv1 + conv2 + conv3 + downsample}.
     *
     * @param geometry the block
     * @param batchSize {@code N}
     * @return latency in ms
     */
    default double staticLatencyMs(BlockGeometry geometry, int batchSize) {
        return staticBreakdown(geometry, batchSize).totalMs();
    }

    /**
     * Predicts a gated block.
     *
     * @param query the block, mode, granularities, densities and batch
     * @return latency in ms
     */
    default double dynamicLatencyMs(BlockLatencyQuery query) {
        return dynamicBreakdown(query).totalMs();
    }

    /**
     * Predicts a whole network: {@code stem conv + stem pool + sum of blocks + global pool + fc}.
     *
     * @param network the stem, block geometries and head
     * @param blocks one query per block of {@code network}, with the same geometry, in order, all with the same batch
     * @return the per-part latencies and the total, in ms
     * @throws IllegalArgumentException if the queries do not match the network's blocks or mix batch sizes
     */
    default NetworkLatency networkLatency(NetworkSpec network, List<BlockLatencyQuery> blocks) {
        if (network == null) {
            throw new IllegalArgumentException("network must not be null");
        }
        if (blocks == null || blocks.size() != network.blocks().size()) {
            throw new IllegalArgumentException("blocks must hold one query per block of " + network.name() + " ("
                    + network.blocks().size() + "), got " + (blocks == null ? null : blocks.size()));
        }
        int batch = blocks.get(0).batchSize();
        List<LatencyBreakdown> parts = new ArrayList<>(blocks.size());
        for (int i = 0; i < blocks.size(); i++) {
            BlockLatencyQuery q = blocks.get(i);
            if (!q.geometry().equals(network.blocks().get(i))) {
                throw new IllegalArgumentException("blocks[" + i + "].geometry must equal the network's block " + i
                        + " " + network.blocks().get(i) + ", got " + q.geometry());
            }
            if (q.batchSize() != batch) {
                throw new IllegalArgumentException(
                        "blocks[" + i + "].batchSize must equal " + batch + ", got " + q.batchSize());
            }
            parts.add(dynamicBreakdown(q));
        }
        double stem = convLatencyMs(network.stem(), batch) + poolLatencyMs(network.stemPool(), batch);
        double head = poolLatencyMs(network.headPool(), batch) + convLatencyMs(network.classifier(), batch);
        return NetworkLatency.of(batch, stem, parts, head);
    }

    /**
     * Predicts the static network.
     *
     * @param network the network
     * @param batchSize {@code N}
     * @return the per-part latencies and the total, in ms
     */
    default NetworkLatency staticNetworkLatency(NetworkSpec network, int batchSize) {
        Checks.positive("batchSize", batchSize);
        return networkLatency(network, network.staticQueries(batchSize));
    }
}
