package org.laudnet.models.train;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.latency.BlockLatencyQuery;
import org.laudnet.core.latency.LatencyPredictor;
import org.laudnet.core.util.Checks;
import org.laudnet.models.latency.NetworkLatencyEstimator;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.core.util.ScalarOps;

/**
 * A latency cost model for the training loss: each block's cost is its <em>predicted latency</em> on a target
 * hardware, as a piecewise-linear function of its densities, so training budgets what users pay for rather than MACs.
 *
 * <p>For every block the predictor is sampled at the knots {@code 0, 1/K, ..., 1} of the spatial (or layer)
 * density {@code d3} and, in CHANNEL and BOTH modes, of the channel density {@code dc}; the dynamic cost is the
 * (bi)linear interpolation of those samples with hat functions,
 *
 * <pre>
 *   cost_b(d, c) = sum_ij y_ij * hat_i(d) * hat_j(c),   hat_i(x) = max(0, 1 - |x - x_i| * K)
 * </pre>
 *
 * which is differentiable almost everywhere in the densities. Static blocks cost their static latency. The fixed
 * cost is the stem convolution, the stem pooling, the global pooling and the classifier.
 */
public final class LatencyCostModel implements CostModel {

    /** Default number of intervals between knots. */
    public static final int DEFAULT_INTERVALS = 8;

    /** Per-block table of predicted latencies: rows over d3 knots, columns over dc knots. */
    private record BlockTable(double denseMs, double[][] values) {}

    private final List<BlockTable> tables;
    private final double fixedMs;
    private final int intervals;

    private LatencyCostModel(List<BlockTable> tables, double fixedMs, int intervals) {
        this.tables = List.copyOf(tables);
        this.fixedMs = fixedMs;
        this.intervals = intervals;
    }

    /**
     * Builds the latency cost model of a network.
     *
     * @param net the network (its stage specs decide each block's mode and granularities)
     * @param predictor the latency predictor of the target hardware
     * @param batchSize the batch size the latency is predicted at
     * @param intervals number of intervals between knots in each density, positive
     * @return the cost model
     */
    public static LatencyCostModel of(LaudResNet net, LatencyPredictor predictor, int batchSize, int intervals) {
        if (net == null || predictor == null) {
            throw new IllegalArgumentException("net and predictor must not be null");
        }
        Checks.positive("batchSize", batchSize);
        Checks.positive("intervals", intervals);
        List<BlockTable> tables = new ArrayList<>();
        for (GatedResidualBlock block : net.getBlocks()) {
            BlockGeometry g = block.getGeometry();
            GateSpec spec = block.getGateSpec();
            GateMode mode = spec.mode();
            double dense = predictor.staticLatencyMs(g, batchSize);
            int rows = mode.hasSpatialGate() ? intervals + 1 : 1;
            int cols = mode.hasChannelGate() ? intervals + 1 : 1;
            double[][] y = new double[rows][cols];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    if (mode == GateMode.NONE) {
                        y[i][j] = dense;
                        continue;
                    }
                    double d = rows == 1 ? 1 : i / (double) intervals;
                    double c = cols == 1 ? 1 : j / (double) intervals;
                    int s = mode == GateMode.SPATIAL || mode == GateMode.BOTH ? spec.spatialGranularity() : 1;
                    int groups = mode.hasChannelGate() ? spec.channelGroups() : 1;
                    y[i][j] = predictor.dynamicLatencyMs(new BlockLatencyQuery(g, mode, s, groups, d, c, batchSize));
                }
            }
            tables.add(new BlockTable(dense, y));
        }
        return new LatencyCostModel(tables, NetworkLatencyEstimator.of(net, predictor).fixedLatencyMs(batchSize),
                intervals);
    }

    /** {@inheritDoc} */
    @Override
    public int numBlocks() {
        return tables.size();
    }

    /** {@inheritDoc} Milliseconds of the static block. */
    @Override
    public double denseCost(int block) {
        return tables.get(block).denseMs();
    }

    /**
     * Returns the predicted latency of a block at plain (non-array) densities, by the same interpolation as
     * {@link #dynamicCost(int, NDArray, NDArray, NDArray, NDArray)}.
     *
     * @param block block index
     * @param d3 spatial (or layer) density
     * @param dc channel density
     * @return milliseconds
     */
    public double dynamicCost(int block, double d3, double dc) {
        double[][] y = tables.get(block).values();
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            double hi = y.length == 1 ? 1 : Math.max(0, 1 - Math.abs(d3 - i / (double) intervals) * intervals);
            for (int j = 0; j < y[i].length; j++) {
                double hj = y[i].length == 1 ? 1 : Math.max(0, 1 - Math.abs(dc - j / (double) intervals) * intervals);
                sum += y[i][j] * hi * hj;
            }
        }
        return sum;
    }

    /** {@inheritDoc} Milliseconds; uses {@code d3} and {@code dc} (d1 and d2 follow from d3 for a given mask). */
    @Override
    public NDArray dynamicCost(int block, NDArray d1, NDArray d2, NDArray d3, NDArray dc) {
        double[][] y = tables.get(block).values();
        NDArray total = null;
        for (int i = 0; i < y.length; i++) {
            NDArray hi = y.length == 1 ? null : hat(d3, i);
            for (int j = 0; j < y[i].length; j++) {
                NDArray hj = y[i].length == 1 ? null : hat(dc, j);
                NDArray weight = hi == null ? hj : hj == null ? hi : hi.mul(hj);
                NDArray term = weight == null ? d3.zerosLike().add((float) y[i][j]) : ScalarOps.mul(weight, y[i][j]);
                total = total == null ? term : total.add(term);
            }
        }
        return total;
    }

    private NDArray hat(NDArray x, int knot) {
        return ScalarOps.maximum(ScalarOps.mul(x.sub((float) (knot / (double) intervals)).abs(), -intervals).add(1f), 0);
    }

    /** {@inheritDoc} Milliseconds of stem, pooling and classifier. */
    @Override
    public double fixedCost() {
        return fixedMs;
    }
}
