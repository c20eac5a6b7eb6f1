package org.laudnet.models.latency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.BlockExecutor;
import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.exec.Kernels;
import org.laudnet.core.exec.Nchw;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.latency.cpu.CpuCalibrator;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.util.Checks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Latency tables of a network's blocks <em>measured</em> on this machine through the inference engine, for a latency
 * cost model on the hardware that trains (and serves) the network, where no prediction is needed.
 *
 * <p>Every block runs through a {@link BlockExecutor} on the DJL backend as a {@code NetworkExecutor} runs it
 * (BatchNorm folded, the ReLU input handed over, the path chosen by the executor's calibrated cost model, the maskers
 * evaluated), at a
 * fixed batch size, under imposed masks whose densities lie on the knots {@code 0, 1/K, ..., 1}: the spatial (or layer)
 * density {@code d} along rows and, for channel gates, the channel density {@code c} along columns. A mask of density
 * {@code d} opens {@code round(d * cells)} cells of every sample at random (as the CPU calibrator does), and a layer
 * mask at batch {@code B} computes {@code round(d B)} samples. Each entry is the median of the timed runs, the knots
 * interleaved run by run. The dense cost of a block is the same block run densely without its maskers (the static block).
 * Measured latency can stay flat or even dip as density grows (timing noise; the executor's fallback to the dense
 * path near full density), which would give the loss a zero or wrong-signed gradient, so each table is made strictly
 * increasing along both axes from its fully open end down ({@link #increasing}): the open end stays as measured,
 * lower densities are capped below it. The fixed cost is the stem (folded convolution, ReLU, optional max pool) and
 * the head (global average pool, classifier), run through the same backend's kernels.
 *
 * <p>The tables hold for the batch size, thread count and machine they were measured on. Instances are immutable and
 * thread-safe; {@link #measure} uses the calling thread only.
 */
public final class MeasuredBlockLatency {

    private static final Logger LOG = LoggerFactory.getLogger(MeasuredBlockLatency.class);
    private static final int WARMUP_ROUNDS = 3;
    /** Least slope of a table, as a fraction of its mean slope between the first and the last knot. */
    static final double MIN_SLOPE_FRACTION = 0.25;

    /**
     * One block's measurements.
     *
     * @param mode the block's gate mode
     * @param denseMs median latency of the static block (dense, no maskers)
     * @param ms median latency at the knots: {@code ms[i][j]} at spatial (layer) density {@code i / K} and channel
     *     density {@code j / K}; a single row without a spatial gate, a single column without a channel gate, a
     *     {@code 1 x 1} table holding the dense latency for a static block
     */
    public record BlockTable(GateMode mode, double denseMs, double[][] ms) {

        /** Validates and copies the table. */
        public BlockTable {
            if (mode == null || ms == null || ms.length == 0) {
                throw new IllegalArgumentException("mode and a non-empty table are required");
            }
            double[][] copy = new double[ms.length][];
            for (int i = 0; i < ms.length; i++) {
                if (ms[i] == null || ms[i].length != ms[0].length) {
                    throw new IllegalArgumentException("table rows must have equal lengths, row " + i + " differs");
                }
                copy[i] = ms[i].clone();
            }
            ms = copy;
            if (!(denseMs > 0) || !Double.isFinite(denseMs)) {
                throw new IllegalArgumentException("denseMs must be positive and finite, got " + denseMs);
            }
        }

        /** Returns a copy of the table. */
        @Override
        public double[][] ms() {
            double[][] copy = new double[ms.length][];
            for (int i = 0; i < ms.length; i++) {
                copy[i] = ms[i].clone();
            }
            return copy;
        }
    }

    private final List<BlockTable> blocks;
    private final double fixedMs;
    private final int batch;
    private final int intervals;

    private MeasuredBlockLatency(List<BlockTable> blocks, double fixedMs, int batch, int intervals) {
        this.blocks = List.copyOf(blocks);
        this.fixedMs = fixedMs;
        this.batch = batch;
        this.intervals = intervals;
    }

    /**
     * Measures every block of a network.
     *
     * @param net the initialised network (its gates decide which tables are measured; its weights do not matter)
     * @param batch batch size of the measurements, positive
     * @param intervals number of intervals {@code K} between density knots, positive
     * @param runs timed runs per knot, positive (after {@value #WARMUP_ROUNDS} warm-up rounds)
     * @param seed seed of the random inputs and masks
     * @return the tables
     * @throws IllegalArgumentException for a null or uninitialised network or a non-positive count
     */
    public static MeasuredBlockLatency measure(GatedNetwork net, int batch, int intervals, int runs, long seed) {
        if (net == null || !net.isInitialized()) {
            throw new IllegalArgumentException("net must be an initialised network");
        }
        Checks.positive("batch", batch);
        Checks.positive("intervals", intervals);
        Checks.positive("runs", runs);
        long t0 = System.nanoTime();
        Random random = new Random(seed);
        List<BlockTable> tables = new ArrayList<>();
        double fixed;
        try (NDManager m = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            fixed = measureStemAndHead(net, m, ps, batch, runs, random);
            for (AbstractGatedBlock block : net.getBlocks()) {
                try (NDManager bm = m.newSubManager();
                        BlockExecutor ex = BlockExecutor.builder().setBlock(block).setManager(bm)
                                .optParameterStore(ps).optReusableReluInput(true).build()) {
                    tables.add(measureBlock(ex, bm, batch, intervals, runs, random));
                }
            }
        }
        LOG.info("measured {} block latency tables at batch {} in {} s", tables.size(), batch,
                String.format("%.1f", (System.nanoTime() - t0) / 1e9));
        return new MeasuredBlockLatency(tables, fixed, batch, intervals);
    }

    /**
     * Creates tables from given values (for example read back from a file, or for tests).
     *
     * @param blocks one table per block, in network order, each with {@code K + 1} rows (spatial gate) and
     *     {@code K + 1} columns (channel gate)
     * @param fixedMs stem and head latency, non-negative
     * @param batch batch size the values hold for, positive
     * @param intervals number of intervals {@code K} between knots, positive
     * @return the tables
     * @throws IllegalArgumentException if a table's size does not match its mode and {@code K}
     */
    public static MeasuredBlockLatency of(List<BlockTable> blocks, double fixedMs, int batch, int intervals) {
        if (blocks == null || blocks.isEmpty()) {
            throw new IllegalArgumentException("blocks must not be empty");
        }
        Checks.positive("batch", batch);
        Checks.positive("intervals", intervals);
        if (!(fixedMs >= 0) || !Double.isFinite(fixedMs)) {
            throw new IllegalArgumentException("fixedMs must be non-negative and finite, got " + fixedMs);
        }
        for (int b = 0; b < blocks.size(); b++) {
            BlockTable t = blocks.get(b);
            int rows = t.mode().hasSpatialGate() ? intervals + 1 : 1;
            int cols = t.mode().hasChannelGate() ? intervals + 1 : 1;
            double[][] ms = t.ms();
            if (ms.length != rows || ms[0].length != cols) {
                throw new IllegalArgumentException("block " + b + " (" + t.mode() + ") needs a " + rows + " x " + cols
                        + " table, got " + ms.length + " x " + ms[0].length);
            }
        }
        return new MeasuredBlockLatency(blocks, fixedMs, batch, intervals);
    }

    /** Returns one table per block, in network order. */
    public List<BlockTable> blocks() {
        return blocks;
    }

    /** Returns the latency of the stem and the head (global pooling and classifier) in ms. */
    public double fixedMs() {
        return fixedMs;
    }

    /** Returns the batch size of the measurements. */
    public int batch() {
        return batch;
    }

    /** Returns the number of intervals {@code K} between density knots. */
    public int intervals() {
        return intervals;
    }

    private static double measureStemAndHead(
            GatedNetwork net, NDManager m, ParameterStore ps, int batch, int runs, Random random) {
        StemSpec stem = net.getStem();
        FoldedConv stemConv = FoldedConv.fold(net.getStemConv(), net.getStemBn(), ps, stem.stride(), 1);
        FoldedConv head = FoldedConv.of(net.getHead(), 1, 1);
        int size = net.getInputSize();
        int convSize = stemConv.outSize(size);
        List<AbstractGatedBlock> blocks = net.getBlocks();
        BlockGeometry last = blocks.isEmpty() ? null : blocks.get(blocks.size() - 1).getGeometry();
        int stemSize = stem.outputSize(size);
        Nchw xs = new Nchw(batch, stem.inChannels(), size, size);
        Nchw cs = new Nchw(batch, stem.channels(), convSize, convSize);
        // the head's input: an array of the last block's output shape (the head's cost depends on the shape only)
        Nchw fs = last == null ? new Nchw(batch, stem.channels(), stemSize, stemSize)
                : new Nchw(batch, last.outChannels(), last.outHeight(), last.outWidth());
        try (NDManager sm = m.newSubManager(); DjlBackend backend = DjlBackend.create(sm);
                Kernels<NDArray> k = backend.newKernels()) {
            ConvWeights stemW = backend.upload(stemConv);
            ConvWeights headW = backend.upload(head);
            NDArray x = uniform(sm, random, new Shape(batch, stem.inChannels(), size, size));
            NDArray features = sm.zeros(new Shape(fs.batch(), fs.channels(), fs.height(), fs.width()));
            double[] t = new double[runs];
            for (int r = -WARMUP_ROUNDS; r < runs; r++) {
                long a = System.nanoTime();
                try (Kernels.Scope<NDArray> scope = k.openScope()) {
                    NDArray h = k.conv(k.importArray(x, xs), xs, stemW, null, true);
                    if (stem.maxPool()) {
                        h = k.maxPool(h, cs, 3, 2, stem.maxPoolPadding());
                    }
                    NDArray pooled = k.mean(k.importArray(features, fs), fs);
                    NDArray logits = k.conv(pooled, new Nchw(batch, fs.channels(), 1, 1), headW, null, false);
                    k.exportHost(h, 1);
                    k.exportHost(logits, 1);
                }
                double ms = (System.nanoTime() - a) / 1e6;
                if (r >= 0) {
                    t[r] = ms;
                }
            }
            return CpuCalibrator.median(t);
        }
    }

    private static BlockTable measureBlock(
            BlockExecutor ex, NDManager m, int batch, int intervals, int runs, Random random) {
        BlockGeometry g = ex.getGeometry();
        GateMode mode = ex.getGateSpec().mode();
        NDArray x = uniform(m, random, new Shape(batch, g.inChannels(), g.inHeight(), g.inWidth()));
        ex.calibrate(batch);
        ex.prepareChannelPatterns();
        Shape spatial = ex.spatialMaskShape(batch).orElse(null);
        Shape channel = ex.channelMaskShape(batch).orElse(null);
        int rows = spatial != null ? intervals + 1 : 1;
        int cols = channel != null ? intervals + 1 : 1;
        boolean gated = spatial != null || channel != null;
        // knot masks; the dense (static) run uses open masks, the DENSE path and no maskers
        NDArray[][] sm = new NDArray[rows][cols];
        NDArray[][] cm = new NDArray[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                sm[i][j] = spatial == null ? null : mask(m, random, spatial, i / (double) intervals);
                cm[i][j] = channel == null ? null : mask(m, random, channel, j / (double) intervals);
            }
        }
        NDArray openS = spatial == null ? null : m.ones(spatial);
        NDArray openC = channel == null ? null : m.ones(channel);
        double[][][] t = new double[rows][cols][runs];
        double[] dense = new double[runs];
        for (int r = -WARMUP_ROUNDS; r < runs; r++) {
            double d = time(x, in -> ex.runWithMasks(in, openS, openC, PathPolicy.DENSE, false));
            if (r >= 0) {
                dense[r] = d;
            }
            if (!gated) {
                continue;
            }
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    NDArray s = sm[i][j];
                    NDArray c = cm[i][j];
                    double ms = time(x, in -> ex.runWithMasks(in, s, c, PathPolicy.AUTO, true));
                    if (r >= 0) {
                        t[i][j][r] = ms;
                    }
                }
            }
        }
        double denseMs = CpuCalibrator.median(dense);
        double[][] table = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                table[i][j] = gated ? CpuCalibrator.median(t[i][j]) : denseMs;
            }
        }
        increasing(table);
        return new BlockTable(mode, denseMs, table);
    }

    /** Times one call on a private copy of {@code x} (the executor may overwrite its input); the copy is untimed. */
    private static double time(NDArray x, Function<NDArray, ?> call) {
        try (NDManager step = x.getManager().newSubManager()) {
            NDArray in = x.duplicate();
            in.attach(step);
            long a = System.nanoTime();
            call.apply(in);
            return (System.nanoTime() - a) / 1e6;
        }
    }

    /**
     * A 0/1 mask of the given shape {@code (B, ...)} with exactly {@code round(d * units)} ones per sample at random
     * positions, or, for one unit per sample (a layer mask), {@code round(d * B)} open samples.
     */
    static NDArray mask(NDManager m, Random random, Shape shape, double d) {
        int batch = (int) shape.get(0);
        int units = (int) (shape.size() / batch);
        return m.create(CpuCalibrator.exactMask(batch, units, d, units == 1, random), shape);
    }

    private static NDArray uniform(NDManager m, Random random, Shape shape) {
        float[] v = new float[(int) shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextFloat();
        }
        return m.create(v, shape);
    }

    /**
     * Makes a table strictly increasing along both axes, from the fully open end down: walking from the last knot
     * towards density 0, each value is at most the next one minus {@code MIN_SLOPE_FRACTION} of the axis' mean step
     * {@code (last - first) / K} (when positive). The open end stays exact; a plateau (more work that costs no more,
     * common next to the dense end, where the executor falls back to the dense path) becomes a gentle slope, so the
     * loss's gradient at an open gate is never zero. Values stay non-negative.
     */
    static void increasing(double[][] t) {
        int rows = t.length;
        int cols = t[0].length;
        if (rows > 1) {
            for (int j = 0; j < cols; j++) {
                double step = Math.max(0, (t[rows - 1][j] - t[0][j]) / (rows - 1)) * MIN_SLOPE_FRACTION;
                for (int i = rows - 2; i >= 0; i--) {
                    t[i][j] = Math.max(0, Math.min(t[i][j], t[i + 1][j] - step));
                }
            }
        }
        if (cols > 1) {
            for (int i = 0; i < rows; i++) {
                double step = Math.max(0, (t[i][cols - 1] - t[i][0]) / (cols - 1)) * MIN_SLOPE_FRACTION;
                for (int j = cols - 2; j >= 0; j--) {
                    t[i][j] = Math.max(0, Math.min(t[i][j], t[i][j + 1] - step));
                }
            }
        }
    }
}
