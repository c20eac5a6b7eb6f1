package org.laudnet.models.train;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.latency.BlockLatencyQuery;
import org.laudnet.core.latency.LatencyPredictor;
import org.laudnet.core.util.Checks;
import org.laudnet.models.latency.MeasuredBlockLatency;
import org.laudnet.models.latency.NetworkLatencyEstimator;
import org.laudnet.core.net.GatedNetwork;
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
 * evaluated on the segment {@code [floor(d K), floor(d K) + 1] / K} that holds the density (the last one at
 * {@code d = 1}), so its gradient is that segment's slope everywhere, also at the knots: a fully open gate
 * ({@code d = 1}, where hard masks start) sees the slope of the last segment rather than the kinks' zero. Static blocks cost their static latency. The fixed
 * cost is the stem convolution, the stem pooling, the global pooling and the classifier. The knots' values come from
 * a {@link LatencyPredictor} of the target hardware, or from measurements on this machine
 * ({@link #of(MeasuredBlockLatency)}).
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
    public static LatencyCostModel of(GatedNetwork net, LatencyPredictor predictor, int batchSize, int intervals) {
        if (net == null || predictor == null) {
            throw new IllegalArgumentException("net and predictor must not be null");
        }
        Checks.positive("batchSize", batchSize);
        Checks.positive("intervals", intervals);
        List<BlockTable> tables = new ArrayList<>();
        for (AbstractGatedBlock block : net.getBlocks()) {
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

    /**
     * Builds the latency cost model from latency tables measured on this machine through the inference engine
     * ({@link MeasuredBlockLatency}): the knots' values are the measured medians, interpolated as above; the dense
     * cost of a block is its measured static latency, the fixed cost the measured stem and head.
     *
     * @param measured the measured tables, one per block of the trained network
     * @return the cost model
     */
    public static LatencyCostModel of(MeasuredBlockLatency measured) {
        if (measured == null) {
            throw new IllegalArgumentException("measured must not be null");
        }
        List<BlockTable> tables = new ArrayList<>();
        for (MeasuredBlockLatency.BlockTable t : measured.blocks()) {
            tables.add(new BlockTable(t.denseMs(), t.ms()));
        }
        return new LatencyCostModel(tables, measured.fixedMs(), measured.intervals());
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
        Segment si = segment(y.length, d3);
        Segment sj = segment(y[0].length, dc);
        double fi = si.fraction(d3);
        double fj = sj.fraction(dc);
        return (1 - fi) * (1 - fj) * y[si.lo][sj.lo] + fi * (1 - fj) * y[si.hi][sj.lo]
                + (1 - fi) * fj * y[si.lo][sj.hi] + fi * fj * y[si.hi][sj.hi];
    }

    /** {@inheritDoc} Milliseconds; uses {@code d3} and {@code dc} (d1 and d2 follow from d3 for a given mask). */
    @Override
    public NDArray dynamicCost(int block, NDArray d1, NDArray d2, NDArray d3, NDArray dc) {
        double[][] y = tables.get(block).values();
        Segment si = segment(y.length, d3.getFloat());
        Segment sj = segment(y[0].length, dc.getFloat());
        // fractions within the segment, linear in the densities: the gradient is the segment's slope
        NDArray fi = si.lo == si.hi ? null : ScalarOps.mul(d3, intervals).sub((float) si.lo);
        NDArray fj = sj.lo == sj.hi ? null : ScalarOps.mul(dc, intervals).sub((float) sj.lo);
        NDArray cost = ScalarOps.constant(d3, y[si.lo][sj.lo]);
        if (fi != null) {
            cost = cost.add(ScalarOps.mul(fi, y[si.hi][sj.lo] - y[si.lo][sj.lo]));
        }
        if (fj != null) {
            cost = cost.add(ScalarOps.mul(fj, y[si.lo][sj.hi] - y[si.lo][sj.lo]));
        }
        if (fi != null && fj != null) {
            double twist = y[si.hi][sj.hi] - y[si.hi][sj.lo] - y[si.lo][sj.hi] + y[si.lo][sj.lo];
            cost = cost.add(ScalarOps.mul(fi.mul(fj), twist));
        }
        return cost;
    }

    /** The knots {@code lo, hi} around a density; a single knot ({@code lo = hi}) along an axis without knots. */
    private record Segment(int lo, int hi, int intervals) {
        double fraction(double x) {
            return lo == hi ? 0 : x * intervals - lo;
        }
    }

    /**
     * The segment of a density among {@code knots} knots: {@code [floor(x K), floor(x K) + 1]}, the last one at
     * {@code x = 1} (so a density at a knot takes the slope towards the next knot, and an open gate at 1 the slope of
     * the last segment). Densities outside [0, 1] extrapolate the first or last segment.
     */
    private Segment segment(int knots, double x) {
        if (knots == 1) {
            return new Segment(0, 0, intervals);
        }
        int lo = (int) Math.floor(x * intervals);
        lo = Math.max(0, Math.min(intervals - 1, lo));
        return new Segment(lo, lo + 1, intervals);
    }

    /** {@inheritDoc} Milliseconds of stem, pooling and classifier. */
    @Override
    public double fixedCost() {
        return fixedMs;
    }
}
