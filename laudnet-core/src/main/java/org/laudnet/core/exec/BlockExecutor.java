package org.laudnet.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.block.ResidualBlockLayers;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.gate.ChannelGate;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.gate.SpatialGate;
import org.laudnet.core.util.Checks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Eval-mode executor of a trained gated residual block that turns its gate masks into saved time (method section 4):
 * a {@link GatedResidualBlock}, or any block described by {@link ResidualBlockLayers} (such as a RegNetY bottleneck
 * with squeeze-excitation). BatchNorm is folded into the convolutions ({@link FoldedConv}); the folded weights, their
 * channel slices and index tables belong to the executor's own {@link NDManager} and are released by
 * {@link #close()}.
 *
 * <p>Per call, on input {@code x: (B, Cin, Hin, Win)}, the executor evaluates the gates with the eval rule
 * ({@code keep >= skip}), reads the masks back, and runs one of the {@link ExecutionPath}s:
 *
 * <ul>
 *   <li>SPATIAL / BOTH: the active patches {@code (b, i, j)} of {@code S x S} output pixels are listed; every patch's
 *       receptive field ({@code K = s (S - 1) + 3} pixels of conv1's output, zero outside the image) is gathered as
 *       rows of channels-last conv1 activations and conv2 runs without padding ({@code K x K -> S x S}). Bottlenecks:
 *       conv2 carries one extra output channel that is 1 at every computed pixel; its rows are gathered into a dense
 *       row map (zero rows at inactive pixels) and conv3 runs as one GEMM with its bias as an extra column, which
 *       yields the masked branch directly in NCHW, added to the identity before the ReLU (no output scatter). Basic
 *       blocks add conv2's rows to the identity rows at the patch positions. Inactive positions output
 *       {@code ReLU(identity)}. conv1 runs either densely ({@link ExecutionPath#SPATIAL_WINDOWS}) or only on the
 *       pixels of the dilated mask {@code M1} ({@link ExecutionPath#SPATIAL_M1}, bottlenecks only). Index tables are
 *       cached per mask pattern (a small LRU cache).
 *   <li>LAYER: the branch runs on the samples whose gate is open; the others output {@code ReLU(identity)}.
 *   <li>CHANNEL: samples are grouped by their active-group pattern; each group runs the branch with the pattern's
 *       weight slices (conv1 outputs, conv2 inputs and outputs, conv3 inputs), cached per pattern.
 *   <li>DENSE: the folded dense block, masks applied by multiplication; the static block and the fallback.
 * </ul>
 *
 * <p>Squeeze-excitation (between conv2 and conv3 of a bottleneck, see {@link ResidualBlockLayers}): every path
 * computes {@code h * sigmoid(fc2(ReLU(fc1(pooled))))} with {@code pooled} the mean of conv2's output over the
 * positions the block computes. DENSE pools {@code h * M2} and divides by {@code max(sum M2, 1)}; LAYER and CHANNEL
 * pool every position of the samples they run (CHANNEL with fc1's input columns and fc2's output rows sliced to the
 * pattern's channels); the spatial schedules sum, per sample, the conv2 rows of the active pixels (the unit column
 * counts them) and scale the rows before conv3, leaving the unit column at 1. The layers run on cached weights.
 *
 * <p>Gates: the spatial masker is an average pool and a 1x1 convolution on cached weights; the layer masker (a 1x1
 * mask) and an MLP channel masker take the global mean of {@code x} on the engine and run their few dot products on
 * the host. The keep decisions ({@code keep >= skip}) are read back once per call. When every gate is open the call runs exactly the dense block (no mask arithmetic).
 *
 * <p>Path choice ({@link PathPolicy#AUTO}): at the first call with a batch size, the executor times its dense path
 * (fastest of the calibration runs) and each sparse schedule on synthetic masks at several densities (and, with a
 * channel gate and a batch above 1, with shared and per-sample channel patterns) and fits a {@link LinearCostModel}
 * per schedule ({@code t = c0 + c_g * patternGroups + sum_k c_k f_k}; the pattern term only with a channel gate;
 * features = MACs of the convolutions the schedule runs). Each call
 * then takes the path with the lowest predicted cost at its actual densities. The choice is logged at debug level
 * and returned in the {@link ExecutionReport}.
 *
 * <p>Equivalence: the output equals {@code block.run(ps, x, false).output()} up to float rounding (method section 4,
 * relative error {@code <= 1e-4}). Not supported sparsely (these calls run the masked dense path): spatial gates
 * with more than one mask group; channel gates on grouped 3x3 convolutions unless every channel-gate group consists
 * of whole convolution groups ({@code (w / G) % groupWidth == 0}, then conv2 is sliced to the active convolution
 * groups) of a bottleneck.
 *
 * <p>Memory: every call works in a sub-manager of the input's manager that is closed before returning; only the
 * output is attached to the input's manager. With {@link Builder#optReusableReluInput(boolean)} the output of a
 * block without downsample may be the input array itself (skipped batch) or the input with the computed samples
 * written into it. Not thread-safe: use one executor per thread.
 */
public final class BlockExecutor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BlockExecutor.class);
    private static final int SLICE_CACHE_CAPACITY = 256;
    private static final int TAIL_CACHE_CAPACITY = 16;

    private final NDManager manager;
    private final BlockGeometry g;
    private final GateSpec spec;
    private final GateMode mode;
    private final boolean bottleneck;
    private final BlockCost cost;
    private final Weights full;
    private final FoldedConv down;
    /** Spatial masker as a matrix {@code (2 gs, Cin)} on the engine and on the host, and its host bias. */
    private final NDArray maskerMatrix;
    private final float[] maskerHost;
    private final float[] maskerBias;
    private final ChannelGate channelGate;
    /** Eval-mode channel masker on the host: {@code [W1, b1]} (MLP-1) or {@code [W1, b1, W2, b2]} (MLP-2). */
    private final float[][] channelMlp;
    private final ParameterStore ps;
    private final int maskSize;
    private final int spatialGroups;
    private final int channelGroups;
    private final int granularity;
    /** Dense MACs of the squeeze-excitation's two fully connected layers, {@code 2 w q} (0 without one). */
    private final long seMacs;
    /** Whether channel patterns can run with weight slices (ungrouped conv2, or whole conv groups per gate group). */
    private final boolean channelSlicing;
    private final PathPolicy policy;
    private final boolean reusableReluInput;
    private final int calibrationRuns;
    private final long calibrationSeed;
    private final Map<BitSet, Weights> slices;
    private final Map<Integer, Calibration> calibrations = new HashMap<>();
    private final Map<String, NDArray> indexCache = new HashMap<>();
    private final Map<TailKey, TailIndex> tailCache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<TailKey, TailIndex> eldest) {
            if (size() > TAIL_CACHE_CAPACITY) {
                eldest.getValue().close();
                return true;
            }
            return false;
        }
    };
    private PhaseTimer timer;
    private boolean closed;

    private BlockExecutor(Builder b) {
        ResidualBlockLayers block = b.layers;
        this.g = block.geometry();
        this.spec = block.gateSpec();
        this.mode = spec.mode();
        this.bottleneck = g.type() == BlockType.BOTTLENECK;
        this.cost = BlockCost.of(g, 0);
        this.policy = b.policy;
        this.reusableReluInput = b.reusableReluInput;
        this.calibrationRuns = b.calibrationRuns;
        this.calibrationSeed = b.seed;
        this.manager = b.manager.newSubManager();
        this.ps = b.parameterStore == null ? new ParameterStore(manager, false) : b.parameterStore;
        try {
            FoldedConv c1 = FoldedConv.fold(
                    block.conv1().conv(), block.conv1().bn(), ps, manager, g.conv1Stride(), 1);
            FoldedConv c2 = FoldedConv.fold(
                    block.conv2().conv(), block.conv2().bn(), ps, manager, g.conv2Stride(), g.convGroups());
            FoldedConv c3 = bottleneck
                    ? FoldedConv.fold(block.conv3().orElseThrow().conv(), block.conv3().orElseThrow().bn(), ps,
                            manager, 1, 1)
                    : null;
            CachedSqueezeExcitation se = block.squeezeExcitation()
                    .map(l -> CachedSqueezeExcitation.of(l, g.width(), manager))
                    .orElse(null);
            this.seMacs = se == null ? 0 : 2L * g.width() * se.squeezeChannels();
            this.full = new Weights(c1, c2, c3, se, false, 1.0);
            this.down = block.downsample()
                    .map(d -> FoldedConv.fold(d.conv(), d.bn(), ps, manager, g.stride(), 1))
                    .orElse(null);
            SpatialGate sg = block.spatialGate().orElse(null);
            if (sg != null) {
                Conv2d masker = (Conv2d) sg.getChildren().values().get(0);
                NDArray mw = masker.getParameters().get("weight").getArray();
                this.maskerHost = mw.toFloatArray();
                this.maskerMatrix = manager.create(maskerHost, new Shape(mw.getShape().get(0), g.inChannels()));
                this.maskerBias = masker.getParameters().get("bias").getArray().toFloatArray();
                this.maskSize = sg.getMaskSize();
                this.spatialGroups = sg.getGroups();
            } else {
                this.maskerMatrix = null;
                this.maskerHost = null;
                this.maskerBias = null;
                this.maskSize = 0;
                this.spatialGroups = 1;
            }
            this.channelGate = block.channelGate().orElse(null);
            this.channelMlp = channelGate == null ? null : cachedChannelMlp(channelGate);
            this.channelGroups = channelGate == null ? 1 : channelGate.getGroups();
            int groupWidth = g.width() / g.convGroups();
            this.channelSlicing = g.convGroups() == 1
                    || (bottleneck && (g.width() / channelGroups) % groupWidth == 0);
            this.granularity = maskSize == 0 ? 0 : g.outHeight() / maskSize;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        this.slices = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<BitSet, Weights> eldest) {
                if (size() > SLICE_CACHE_CAPACITY) {
                    eldest.getValue().close();
                    return true;
                }
                return false;
            }
        };
    }

    /**
     * Host copies of the linear layers of an MLP channel masker ({@link ChannelMaskerKind#MLP_1} or
     * {@link ChannelMaskerKind#MLP_2}): {@code [W1, b1]} or {@code [W1, b1, W2, b2]}, {@code W} row-major
     * {@code (out, in)}, so that eval-mode gating is {@code mean -> linear [-> relu -> linear]} on the host; null for
     * other maskers (they run through the gate).
     */
    private static float[][] cachedChannelMlp(ChannelGate gate) {
        List<Linear> layers = new ArrayList<>();
        collectLinears(gate, layers);
        boolean mlp1 = gate.getKind() == ChannelMaskerKind.MLP_1 && layers.size() == 1;
        boolean mlp2 = gate.getKind() == ChannelMaskerKind.MLP_2 && layers.size() == 2;
        if (!mlp1 && !mlp2) {
            return null;
        }
        float[][] r = new float[layers.size() * 2][];
        for (int i = 0; i < layers.size(); i++) {
            r[2 * i] = layers.get(i).getParameters().get("weight").getArray().toFloatArray();
            r[2 * i + 1] = layers.get(i).getParameters().get("bias").getArray().toFloatArray();
        }
        return r;
    }

    /**
     * A linear layer on the host: {@code out[b, o] = bias[o] + sum_i w[o, i] in[b, i]} for {@code batch} rows, with
     * an optional ReLU.
     */
    private static float[] hostLinear(float[] in, int batch, float[] w, float[] bias, boolean relu) {
        int outs = bias.length;
        int ins = w.length / outs;
        float[] out = new float[batch * outs];
        for (int b = 0; b < batch; b++) {
            for (int o = 0; o < outs; o++) {
                float v = bias[o] + dot(w, o * ins, in, b * ins, ins);
                out[b * outs + o] = relu ? Math.max(v, 0f) : v;
            }
        }
        return out;
    }

    private static void collectLinears(ai.djl.nn.Block b, List<Linear> out) {
        for (ai.djl.nn.Block child : b.getChildren().values()) {
            if (child instanceof Linear l) {
                out.add(l);
            } else {
                collectLinears(child, out);
            }
        }
    }

    /**
     * Sets (or, with null, removes) a timer that receives the time of each execution phase of later calls; a
     * profiling aid that adds two {@code System.nanoTime()} reads per phase.
     *
     * @param phaseTimer the timer, or null
     */
    public void setPhaseTimer(PhaseTimer phaseTimer) {
        this.timer = phaseTimer;
    }

    private void lap(String phase) {
        if (timer != null) {
            timer.lap(phase);
        }
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the geometry of the executed block. */
    public BlockGeometry getGeometry() {
        return g;
    }

    /** Returns the gate spec of the executed block. */
    public GateSpec getGateSpec() {
        return spec;
    }

    /**
     * Returns the shape of the spatial (or layer) mask that {@link #runWithMasks} expects for a batch.
     *
     * @param batch the batch size, positive
     * @return {@code (B, gs, m, m)}, or empty when the block has no spatial gate
     */
    public Optional<Shape> spatialMaskShape(int batch) {
        Checks.positive("batch", batch);
        return mode.hasSpatialGate() ? Optional.of(new Shape(batch, spatialGroups, maskSize, maskSize))
                : Optional.empty();
    }

    /**
     * Returns the shape of the channel mask that {@link #runWithMasks} expects for a batch.
     *
     * @param batch the batch size, positive
     * @return {@code (B, G)}, or empty when the block has no channel gate
     */
    public Optional<Shape> channelMaskShape(int batch) {
        Checks.positive("batch", batch);
        return mode.hasChannelGate() ? Optional.of(new Shape(batch, channelGroups)) : Optional.empty();
    }

    /**
     * Runs the block in eval mode with the executor's default policy.
     *
     * @param x block input {@code (B, Cin, Hin, Win)}
     * @return output {@code (B, Cout, Hout, Wout)} and report
     * @throws IllegalArgumentException if {@code x} does not match the geometry
     */
    public ExecutionResult run(NDArray x) {
        return run(x, policy);
    }

    /**
     * Runs the block in eval mode: gates by the eval rule, then the path the policy allows.
     *
     * @param x block input {@code (B, Cin, Hin, Win)}
     * @param callPolicy the path policy of this call
     * @return output {@code (B, Cout, Hout, Wout)} and report
     * @throws IllegalArgumentException if {@code x} does not match the geometry, or a spatial schedule is forced on a
     *     block without a spatial gate
     */
    public ExecutionResult run(NDArray x, PathPolicy callPolicy) {
        checkInput(x);
        checkPolicy(callPolicy);
        if (timer != null) {
            timer.start();
        }
        NDManager caller = x.getManager();
        try (NDManager sub = caller.newSubManager()) {
            x.tempAttach(sub);
            Masks masks = gate(x);
            return finish(x, caller, masks, callPolicy, reusableReluInput && down == null);
        }
    }

    /**
     * Runs the block with given masks instead of the gates' (for equivalence tests and benchmarks that impose a
     * density). The masks have the shapes the gates produce. With {@link Builder#optReusableReluInput(boolean)} the
     * input is handed over as in {@link #run(NDArray)}.
     *
     * @param x block input {@code (B, Cin, Hin, Win)}
     * @param spatialMask 0/1 spatial (or layer) mask {@code (B, gs, m, m)}; required exactly when the mode has a
     *     spatial gate
     * @param channelMask 0/1 channel mask {@code (B, G)}; required exactly when the mode has a channel gate
     * @param callPolicy the path policy of this call
     * @return output {@code (B, Cout, Hout, Wout)} and report
     * @throws IllegalArgumentException for a missing, superfluous or mis-shaped mask
     */
    public ExecutionResult runWithMasks(
            NDArray x, NDArray spatialMask, NDArray channelMask, PathPolicy callPolicy) {
        return runWithMasks(x, spatialMask, channelMask, callPolicy, false);
    }

    /**
     * As {@link #runWithMasks(NDArray, NDArray, NDArray, PathPolicy)}, optionally also evaluating the block's gates
     * and discarding their masks: a benchmark that imposes a density then still pays the maskers' cost.
     *
     * @param x block input {@code (B, Cin, Hin, Win)}
     * @param spatialMask 0/1 spatial (or layer) mask {@code (B, gs, m, m)}, or null without a spatial gate
     * @param channelMask 0/1 channel mask {@code (B, G)}, or null without a channel gate
     * @param callPolicy the path policy of this call
     * @param evaluateGates whether to run the gates as {@link #run(NDArray)} does
     * @return output {@code (B, Cout, Hout, Wout)} and report
     * @throws IllegalArgumentException for a missing, superfluous or mis-shaped mask
     */
    public ExecutionResult runWithMasks(
            NDArray x, NDArray spatialMask, NDArray channelMask, PathPolicy callPolicy, boolean evaluateGates) {
        checkInput(x);
        checkPolicy(callPolicy);
        if (timer != null) {
            timer.start();
        }
        int batch = (int) x.getShape().get(0);
        float[] cells = null;
        if (mode.hasSpatialGate()) {
            Shape want = new Shape(batch, spatialGroups, maskSize, maskSize);
            if (spatialMask == null || !spatialMask.getShape().equals(want)) {
                throw new IllegalArgumentException("spatialMask must have shape " + want + ", got "
                        + (spatialMask == null ? "null" : spatialMask.getShape()));
            }
            cells = spatialMask.toFloatArray();
        } else if (spatialMask != null) {
            throw new IllegalArgumentException("spatialMask must be null for mode " + mode);
        }
        boolean[][] channels = null;
        if (mode.hasChannelGate()) {
            Shape want = new Shape(batch, channelGroups);
            if (channelMask == null || !channelMask.getShape().equals(want)) {
                throw new IllegalArgumentException("channelMask must have shape " + want + ", got "
                        + (channelMask == null ? "null" : channelMask.getShape()));
            }
            channels = toPatterns(channelMask.toFloatArray(), batch);
        } else if (channelMask != null) {
            throw new IllegalArgumentException("channelMask must be null for mode " + mode);
        }
        NDManager caller = x.getManager();
        try (NDManager sub = caller.newSubManager()) {
            x.tempAttach(sub);
            lap("index");
            if (evaluateGates) {
                gate(x);
            }
            return finish(x, caller, new Masks(batch, cells, channels), callPolicy, reusableReluInput && down == null);
        }
    }

    private ExecutionResult finish(NDArray x, NDManager caller, Masks masks, PathPolicy callPolicy, boolean reuse) {
        Decision d = decide(x, masks, callPolicy);
        lap("index");
        NDArray y = compute(x, masks, d.path, reuse);
        if (y != x) {
            y.attach(caller);
        }
        lap("scatter");
        ExecutionReport report = new ExecutionReport(mode, d.path, masks.batch, masks.activeUnits(),
                masks.totalUnits(), d.patternGroups, masks.densities, macsRatio(masks.densities),
                d.predictedSparse, d.predictedDense);
        if (LOG.isDebugEnabled()) {
            LOG.debug("block {} {}: path {} active {}/{} densities {} predicted sparse {} ms dense {} ms",
                    g.type(), mode, d.path, report.activeUnits(), report.totalUnits(), masks.densities,
                    d.predictedSparse, d.predictedDense);
        }
        return new ExecutionResult(y, report);
    }

    /**
     * The block's MACs ratio at densities {@code d}, squeeze-excitation included (maskers excluded):
     * {@code (cost.dynamicMacs(d) + dc * seMacs) / (cost.denseMacs() + seMacs)}.
     */
    private double macsRatio(BlockDensities d) {
        return (cost.dynamicMacs(d) + d.dc() * seMacs) / (cost.denseMacs() + seMacs);
    }

    // ------------------------------------------------------------------------------------------------ gates

    private Masks gate(NDArray x) {
        int batch = (int) x.getShape().get(0);
        float[] cells = null;
        if (maskerMatrix != null && maskSize == 1) {
            // layer gate: the global mean of x is a (B, Cin) table; the 1x1 masker's 2 gs dot products per sample
            // run on the host (for small Cin this is far cheaper than a batched GEMM and a pool on the engine)
            int cin = g.inChannels();
            float[] pooled = x.reshape(batch, cin, (long) g.inHeight() * g.inWidth()).mean(new int[] {2})
                    .toFloatArray();
            cells = new float[batch * spatialGroups];
            for (int b = 0; b < batch; b++) {
                for (int q = 0; q < spatialGroups; q++) {
                    float keep = maskerBias[q] + dot(maskerHost, q * cin, pooled, b * cin, cin);
                    float skip = maskerBias[spatialGroups + q]
                            + dot(maskerHost, (spatialGroups + q) * cin, pooled, b * cin, cin);
                    cells[b * spatialGroups + q] = keep >= skip ? 1f : 0f;
                }
            }
        } else if (maskerMatrix != null) {
            // the 1x1 masker commutes with the average pool: pool(W x) = W pool(x); the product first reads x once
            // in a GEMM with 2 gs rows and leaves a 2 gs channel map to pool (four times cheaper than pooling x)
            int kh = g.inHeight() / maskSize;
            int kw = g.inWidth() / maskSize;
            int outs = 2 * spatialGroups;
            NDArray map = maskerMatrix.matMul(x.reshape(batch, g.inChannels(), (long) g.inHeight() * g.inWidth()));
            map.attach(x.getManager());
            NDArray pooled = kh == 1 && kw == 1
                    ? map
                    : Pool.avgPool2d(map.reshape(batch, outs, g.inHeight(), g.inWidth()), new Shape(kh, kw),
                            new Shape(kh, kw), new Shape(0, 0), false, true);
            float[] logits = pooled.toFloatArray();
            int cellsPerGroup = maskSize * maskSize;
            cells = new float[batch * spatialGroups * cellsPerGroup];
            for (int b = 0; b < batch; b++) {
                for (int q = 0; q < spatialGroups; q++) {
                    float keepBias = maskerBias[q];
                    float skipBias = maskerBias[spatialGroups + q];
                    for (int c = 0; c < cellsPerGroup; c++) {
                        float keep = logits[((b * 2) * spatialGroups + q) * cellsPerGroup + c] + keepBias;
                        float skip = logits[((b * 2 + 1) * spatialGroups + q) * cellsPerGroup + c] + skipBias;
                        cells[(b * spatialGroups + q) * cellsPerGroup + c] = keep >= skip ? 1f : 0f;
                    }
                }
            }
        }
        boolean[][] channels = null;
        if (channelGate != null) {
            if (channelMlp != null) {
                // the global mean of x on the engine, the MLP's small layers on the host
                float[] pooled = x.reshape(batch, g.inChannels(), (long) g.inHeight() * g.inWidth())
                        .mean(new int[] {2}).toFloatArray();
                float[] logits = hostLinear(pooled, batch, channelMlp[0], channelMlp[1], channelMlp.length == 4);
                if (channelMlp.length == 4) {
                    logits = hostLinear(logits, batch, channelMlp[2], channelMlp[3], false);
                }
                channels = new boolean[batch][channelGroups];
                for (int b = 0; b < batch; b++) {
                    for (int q = 0; q < channelGroups; q++) {
                        channels[b][q] = logits[(2 * b) * channelGroups + q]
                                >= logits[(2 * b + 1) * channelGroups + q];
                    }
                }
            } else {
                channels = toPatterns(channelGate.gate(ps, x, false).mask().toFloatArray(), batch);
            }
        }
        lap("gate");
        return new Masks(batch, cells, channels);
    }

    private static float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        float sum = 0;
        for (int i = 0; i < n; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    private boolean[][] toPatterns(float[] mask, int batch) {
        boolean[][] p = new boolean[batch][channelGroups];
        for (int b = 0; b < batch; b++) {
            for (int q = 0; q < channelGroups; q++) {
                p[b][q] = mask[b * channelGroups + q] > 0.5f;
            }
        }
        return p;
    }

    // ------------------------------------------------------------------------------------------------ decision

    private record Decision(ExecutionPath path, int patternGroups, double predictedSparse, double predictedDense) {}

    private Decision decide(NDArray x, Masks mk, PathPolicy callPolicy) {
        int groups = mk.patternGroups();
        if (mode == GateMode.NONE || mk.allOpen()) {
            return new Decision(ExecutionPath.DENSE, groups, Double.NaN, Double.NaN);
        }
        if (mk.cells != null && mk.activeCells == 0) {
            return new Decision(ExecutionPath.SKIP, groups, Double.NaN, Double.NaN);
        }
        boolean sparseSupported = !(mk.cells != null && spatialGroups > 1)
                && !(mk.channels != null && !channelSlicing);
        if (!sparseSupported || callPolicy == PathPolicy.DENSE) {
            return new Decision(ExecutionPath.DENSE, groups, Double.NaN, Double.NaN);
        }
        List<ExecutionPath> candidates = candidates();
        switch (callPolicy) {
            case SPATIAL_WINDOWS:
                return new Decision(ExecutionPath.SPATIAL_WINDOWS, groups, Double.NaN, Double.NaN);
            case SPATIAL_M1:
                return new Decision(ExecutionPath.SPATIAL_M1, groups, Double.NaN, Double.NaN);
            case SPARSE: {
                Calibration cal = calibrations.get(mk.batch);
                if (cal == null || candidates.size() == 1) {
                    return new Decision(candidates.get(0), groups, Double.NaN, Double.NaN);
                }
                ExecutionPath best = candidates.get(0);
                double bestT = Double.POSITIVE_INFINITY;
                for (ExecutionPath p : candidates) {
                    double t = cal.predict(p, features(p, mk));
                    if (t < bestT) {
                        bestT = t;
                        best = p;
                    }
                }
                return new Decision(best, groups, bestT, cal.denseMillis);
            }
            default: {
                Calibration cal = calibrate(x, mk.batch);
                ExecutionPath best = ExecutionPath.DENSE;
                double bestSparse = Double.POSITIVE_INFINITY;
                ExecutionPath bestSparsePath = null;
                for (ExecutionPath p : candidates) {
                    double t = cal.predict(p, features(p, mk));
                    if (t < bestSparse) {
                        bestSparse = t;
                        bestSparsePath = p;
                    }
                }
                if (bestSparsePath != null && bestSparse < cal.denseMillis) {
                    best = bestSparsePath;
                }
                return new Decision(best, groups, bestSparse, cal.denseMillis);
            }
        }
    }

    private void checkPolicy(PathPolicy p) {
        if (p == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
        if ((p == PathPolicy.SPATIAL_WINDOWS || p == PathPolicy.SPATIAL_M1)
                && !(mode == GateMode.SPATIAL || mode == GateMode.BOTH)) {
            throw new IllegalArgumentException("policy " + p + " needs a SPATIAL or BOTH block, mode is " + mode);
        }
        if (p == PathPolicy.SPATIAL_M1 && !bottleneck) {
            throw new IllegalArgumentException("policy SPATIAL_M1 needs a bottleneck block, type is " + g.type());
        }
    }

    private List<ExecutionPath> candidates() {
        return switch (mode) {
            case SPATIAL, BOTH -> bottleneck
                    ? List.of(ExecutionPath.SPATIAL_WINDOWS, ExecutionPath.SPATIAL_M1)
                    : List.of(ExecutionPath.SPATIAL_WINDOWS);
            case LAYER -> List.of(ExecutionPath.LAYER);
            case CHANNEL -> List.of(ExecutionPath.CHANNEL);
            case NONE -> List.of();
        };
    }

    /**
     * Features of a sparse path for the cost model: with a channel gate, the number of pattern groups (each runs as
     * its own sub-batch), then the MACs of the convolutions the path runs (summed over the batch), split into the terms
     * whose counts vary independently.
     */
    private double[] features(ExecutionPath p, Masks mk) {
        double[] work = workFeatures(p, mk);
        if (!mode.hasChannelGate()) {
            return work;
        }
        // each distinct channel pattern runs as its own sub-batch: a fixed cost per pattern group
        double[] f = new double[work.length + 1];
        f[0] = mk.patternGroups();
        System.arraycopy(work, 0, f, 1, work.length);
        return f;
    }

    private double[] workFeatures(ExecutionPath p, Masks mk) {
        double w = g.width();
        int s2 = g.conv2Stride();
        switch (p) {
            case LAYER:
                return new double[] {mk.activeCells * (double) (cost.denseMacs() + seMacs)};
            case CHANNEL: {
                double macs = 0;
                for (int b = 0; b < mk.batch; b++) {
                    double dc = fraction(mk.channels[b]);
                    macs += cost.dynamicMacs(BlockDensities.channel(dc)) - cost.downsampleMacs() + dc * seMacs;
                }
                return new double[] {macs};
            }
            default: {
                int s = granularity;
                int k = s2 * (s - 1) + 3;
                double win = 0;
                double c1 = 0;
                SpatialIndex idx = mk.spatialIndex(this);
                for (int b = 0; b < mk.batch; b++) {
                    double dc = mk.channels == null ? 1 : fraction(mk.channels[b]);
                    int patches = idx.patchesPerSample[b];
                    double perPatch;
                    if (bottleneck) {
                        perPatch = (double) s * s * w * w * 9 / g.convGroups() * dc * dc + (double) s * s * w
                                * g.outChannels() * dc + (double) k * k * w * dc;
                    } else {
                        perPatch = (double) s * s * w * g.outChannels() * 9 * dc + (double) k * k * w * dc;
                    }
                    win += patches * perPatch;
                    if (seMacs > 0) {
                        // squeeze-excitation: its two layers, and pooling and rescaling the sample's row map
                        win += dc * (seMacs + (double) g.outPixels() * w);
                    }
                    c1 += idx.m1PerSample[b] * (double) g.inChannels() * w * dc;
                }
                return p == ExecutionPath.SPATIAL_M1 ? new double[] {win, c1} : new double[] {win};
            }
        }
    }

    private static double fraction(boolean[] pattern) {
        int n = 0;
        for (boolean v : pattern) {
            n += v ? 1 : 0;
        }
        return n / (double) pattern.length;
    }

    // ------------------------------------------------------------------------------------------------ calibration

    /** Timed cost models of one batch size. */
    private static final class Calibration {
        private final double denseMillis;
        private final Map<ExecutionPath, LinearCostModel> models;

        Calibration(double denseMillis, Map<ExecutionPath, LinearCostModel> models) {
            this.denseMillis = denseMillis;
            this.models = models;
        }

        double predict(ExecutionPath p, double[] features) {
            LinearCostModel m = models.get(p);
            return m == null ? Double.POSITIVE_INFINITY : m.predict(features);
        }
    }

    /**
     * Measures the dense path and fits the cost models of the sparse schedules for batch size {@code batch} on
     * synthetic data, unless done already. Called by the first {@link PathPolicy#AUTO} call of a batch size; may be
     * called ahead of time to keep the measurement out of a timed loop.
     *
     * @param batch the batch size
     * @throws IllegalArgumentException if {@code batch} is not positive
     */
    public void calibrate(int batch) {
        Checks.positive("batch", batch);
        if (calibrations.containsKey(batch) || mode == GateMode.NONE) {
            return;
        }
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = sub.randomNormal(0, 1, new Shape(batch, g.inChannels(), g.inHeight(), g.inWidth()),
                    ai.djl.ndarray.types.DataType.FLOAT32);
            calibrate(x, batch);
        }
    }

    private Calibration calibrate(NDArray anyInput, int batch) {
        Calibration cal = calibrations.get(batch);
        if (cal != null) {
            return cal;
        }
        Random r = new Random(calibrationSeed + batch);
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = sub.randomNormal(0, 1, new Shape(batch, g.inChannels(), g.inHeight(), g.inWidth()),
                    ai.djl.ndarray.types.DataType.FLOAT32);
            double[][] settings = calibrationSettings(batch);
            Masks half = syntheticMasks(batch, 0.5, false, 0.5, false, r);
            double dense = time(x, half, ExecutionPath.DENSE);
            Map<ExecutionPath, LinearCostModel> models = new HashMap<>();
            for (ExecutionPath p : candidates()) {
                List<double[]> feats = new ArrayList<>();
                List<Double> times = new ArrayList<>();
                for (double[] st : settings) {
                    Masks mk = syntheticMasks(batch, st[0], st[1] > 0, st[2], st[3] > 0, r);
                    if (mk.cells != null && mk.activeCells == 0) {
                        continue;
                    }
                    feats.add(features(p, mk));
                    times.add(time(x, mk, p));
                }
                if (!feats.isEmpty()) {
                    double[] t = times.stream().mapToDouble(Double::doubleValue).toArray();
                    models.put(p, LinearCostModel.fit(feats.toArray(new double[0][]), t));
                }
            }
            cal = new Calibration(dense, models);
            LOG.debug("calibrated block {} {} batch {}: dense {} ms, models {}", g.type(), mode, batch, dense, models);
        }
        calibrations.put(batch, cal);
        return cal;
    }

    /**
     * Rows of {spatial density, clustered (1) or random (0), channel density, per-sample channel patterns (1) or one
     * shared pattern (0)}. With a batch above 1, per-sample patterns make the number of pattern groups vary, so the
     * per-group cost can be fitted.
     */
    private double[][] calibrationSettings(int batch) {
        if (mode == GateMode.LAYER) {
            return batch == 1 ? new double[][] {{1, 0, 1, 0}}
                    : new double[][] {{0.25, 0, 1, 0}, {0.5, 0, 1, 0}, {0.75, 0, 1, 0}};
        }
        if (mode == GateMode.CHANNEL) {
            return batch == 1
                    ? new double[][] {{1, 0, 0.25, 0}, {1, 0, 0.5, 0}, {1, 0, 0.75, 0}}
                    : new double[][] {{1, 0, 0.25, 0}, {1, 0, 0.5, 0}, {1, 0, 0.75, 0}, {1, 0, 0.5, 1},
                        {1, 0, 0.75, 1}};
        }
        double dcLow = mode == GateMode.BOTH ? 0.5 : 1;
        double mixed = mode == GateMode.BOTH && batch > 1 ? 1 : 0;
        return new double[][] {{0.2, 0, 1, 0}, {0.5, 0, dcLow, 0}, {0.8, 0, 1, 0}, {0.3, 1, dcLow, mixed},
            {0.7, 1, 1, 0}};
    }

    private Masks syntheticMasks(int batch, double spatialDensity, boolean clustered, double channelDensity,
            boolean perSamplePatterns, Random r) {
        float[] cells = null;
        if (mode.hasSpatialGate()) {
            int per = spatialGroups * maskSize * maskSize;
            cells = new float[batch * per];
            if (mode == GateMode.LAYER) {
                int open = Math.max(1, (int) Math.round(spatialDensity * batch));
                for (int b = 0; b < open; b++) {
                    cells[b] = 1;
                }
            } else {
                int open = Math.max(1, (int) Math.round(spatialDensity * per));
                for (int b = 0; b < batch; b++) {
                    int[] order = clustered ? identityOrder(per) : shuffled(per, r);
                    for (int c = 0; c < open; c++) {
                        cells[b * per + order[c]] = 1;
                    }
                }
            }
        }
        boolean[][] channels = null;
        if (mode.hasChannelGate()) {
            channels = new boolean[batch][channelGroups];
            int open = Math.max(1, (int) Math.round(channelDensity * channelGroups));
            int[] order = shuffled(channelGroups, r);
            for (int b = 0; b < batch; b++) {
                if (perSamplePatterns && b > 0) {
                    order = shuffled(channelGroups, r);
                }
                for (int c = 0; c < open; c++) {
                    channels[b][order[c]] = true;
                }
            }
        }
        return new Masks(batch, cells, channels);
    }

    private static int[] identityOrder(int n) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) {
            o[i] = i;
        }
        return o;
    }

    private static int[] shuffled(int n, Random r) {
        int[] o = identityOrder(n);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = o[i];
            o[i] = o[j];
            o[j] = t;
        }
        return o;
    }

    private double time(NDArray x, Masks mk, ExecutionPath p) {
        int runs = calibrationRuns;
        double[] t = new double[runs];
        for (int i = -1; i < runs; i++) {
            try (NDManager call = x.getManager().newSubManager()) {
                x.tempAttach(call);
                long t0 = System.nanoTime();
                // eager CPU operations have completed when compute returns
                compute(x, mk, p, false);
                long t1 = System.nanoTime();
                if (i >= 0) {
                    t[i] = (t1 - t0) / 1e6;
                }
            }
        }
        // the fastest run: the least disturbed by other processes on shared cores, for dense and sparse alike
        Arrays.sort(t);
        return t[0];
    }

    // ------------------------------------------------------------------------------------------------ compute

    /**
     * Runs a path; with {@code reuse} (a non-negative input without downsample that the caller hands over) the skipped
     * samples' output {@code ReLU(x) = x} is {@code x} itself, and LAYER and CHANNEL write their samples into it.
     */
    private NDArray compute(NDArray x, Masks mk, ExecutionPath path, boolean reuse) {
        return switch (path) {
            case DENSE -> dense(x, mk);
            case SKIP -> reuse ? x : Activation.relu(identity(x));
            case LAYER -> layer(x, mk, reuse);
            case CHANNEL -> channel(x, mk, reuse);
            case SPATIAL_WINDOWS, SPATIAL_M1 -> spatial(x, mk, path);
        };
    }

    private NDArray identity(NDArray x) {
        if (down == null) {
            return x;
        }
        NDArray id = down.conv(x);
        lap("identity");
        return id;
    }

    /**
     * The dense residual branch on NCHW data; {@code cm} multiplies conv1's (and conv2's) activated output; the
     * squeeze-excitation (if any) pools conv2's output over the positions where {@code m2 (B, 1, Hout, Wout)} is 1,
     * or over every position when {@code m2} is null.
     */
    private NDArray branch(NDArray x, Weights w, NDArray cm, NDArray m2) {
        NDArray h = Activation.relu(w.c1.conv(x));
        if (cm != null) {
            h = h.muli(cm);
        }
        lap("conv1");
        h = w.c2.conv(h);
        lap("conv2");
        if (w.c3 != null) {
            h = Activation.relu(h);
            if (cm != null) {
                h = h.muli(cm);
            }
            if (w.se != null) {
                h = squeezeExcite(h, w.se, m2);
                lap("se");
            }
            h = w.c3.conv(h);
            lap("conv3");
        }
        return h;
    }

    /**
     * The squeeze-excitation on NCHW data: {@code h * scale(pooled)} with
     * {@code pooled[b, c] = sum_p h[b, c, p] m2[b, p] / max(sum_p m2[b, p], 1)} (the plain mean when {@code m2} is
     * null).
     *
     * @param h conv2's activated output {@code (N, w, Hout, Wout)}
     * @param se the layers
     * @param m2 0/1 positions {@code (N, 1, Hout, Wout)}, or null for all
     * @return the rescaled activations, same shape
     */
    private static NDArray squeezeExcite(NDArray h, CachedSqueezeExcitation se, NDArray m2) {
        Shape s = h.getShape();
        NDArray pooled;
        if (m2 == null) {
            pooled = h.reshape(s.get(0), s.get(1), -1).mean(new int[] {2});
        } else {
            NDArray count = m2.sum(new int[] {2, 3}).maximum(1f);
            pooled = h.mul(m2).sum(new int[] {2, 3}).div(count);
        }
        return h.muli(se.scale(pooled).reshape(s.get(0), s.get(1), 1, 1));
    }

    private NDArray dense(NDArray x, Masks mk) {
        NDManager sub = x.getManager();
        NDArray cm = null;
        if (mk.channels != null && !mk.allChannelsOpen()) {
            int w = g.width();
            int per = w / channelGroups;
            float[] v = new float[mk.batch * w];
            for (int b = 0; b < mk.batch; b++) {
                for (int c = 0; c < w; c++) {
                    v[b * w + c] = mk.channels[b][c / per] ? 1f : 0f;
                }
            }
            cm = sub.create(v, new Shape(mk.batch, w, 1, 1));
            lap("index");
        }
        NDArray m3 = null;
        NDArray m2 = null;
        if (mk.cells != null && mk.activeCells < mk.cells.length) {
            m3 = spatialMaskArray(sub, mk);
            if (full.se != null) {
                m2 = spatialGroups == 1 ? m3 : positionMaskArray(sub, mk);
            }
        }
        NDArray z = branch(x, full, cm, m2);
        if (m3 != null) {
            z = z.muli(m3);
        }
        return Activation.relu(z.addi(identity(x)));
    }

    /**
     * Builds {@code M2 (B, 1, Hout, Wout)}: 1 at the output positions where any spatial mask group is open (the
     * positions whose conv2 output the block computes).
     */
    private NDArray positionMaskArray(NDManager sub, Masks mk) {
        int ho = g.outHeight();
        int wo = g.outWidth();
        int s = ho / maskSize;
        int sw = wo / maskSize;
        int mm = maskSize * maskSize;
        float[] v = new float[mk.batch * ho * wo];
        for (int b = 0; b < mk.batch; b++) {
            for (int i = 0; i < ho; i++) {
                for (int j = 0; j < wo; j++) {
                    float open = 0;
                    for (int q = 0; q < spatialGroups; q++) {
                        open = Math.max(open, mk.cells[(b * spatialGroups + q) * mm + (i / s) * maskSize + j / sw]);
                    }
                    v[(b * ho + i) * wo + j] = open;
                }
            }
        }
        return sub.create(v, new Shape(mk.batch, 1, ho, wo));
    }

    /** Builds {@code M3} broadcastable against the branch output {@code (B, Cout, Hout, Wout)}. */
    private NDArray spatialMaskArray(NDManager sub, Masks mk) {
        int ho = g.outHeight();
        int wo = g.outWidth();
        int s = ho / maskSize;
        int sw = wo / maskSize;
        float[] v = new float[mk.batch * spatialGroups * ho * wo];
        for (int bq = 0; bq < mk.batch * spatialGroups; bq++) {
            for (int i = 0; i < ho; i++) {
                for (int j = 0; j < wo; j++) {
                    v[(bq * ho + i) * wo + j] = mk.cells[(bq * maskSize + i / s) * maskSize + j / sw];
                }
            }
        }
        if (spatialGroups == 1) {
            return sub.create(v, new Shape(mk.batch, 1, ho, wo));
        }
        int per = g.outChannels() / spatialGroups;
        float[] e = new float[mk.batch * g.outChannels() * ho * wo];
        int px = ho * wo;
        for (int b = 0; b < mk.batch; b++) {
            for (int c = 0; c < g.outChannels(); c++) {
                System.arraycopy(v, (b * spatialGroups + c / per) * px, e, (b * g.outChannels() + c) * px, px);
            }
        }
        return sub.create(e, new Shape(mk.batch, g.outChannels(), ho, wo));
    }

    private NDArray layer(NDArray x, Masks mk, boolean reuse) {
        NDManager sub = x.getManager();
        int n = mk.activeCells;
        long[] active = new long[n];
        int p = 0;
        for (int b = 0; b < mk.batch; b++) {
            if (mk.cells[b] > 0.5f) {
                active[p++] = b;
            }
        }
        List<Part> parts = List.of(new Part(active, null));
        return combineSamples(x, sub, parts, reuse);
    }

    /** One pattern group of samples with its weights ({@code null} = full weights). */
    private record Part(long[] samples, Weights weights) {}

    private NDArray channel(NDArray x, Masks mk, boolean reuse) {
        NDManager sub = x.getManager();
        List<Part> parts = new ArrayList<>();
        for (Map.Entry<BitSet, long[]> e : mk.patterns().entrySet()) {
            parts.add(new Part(e.getValue(), slice(e.getKey())));
        }
        return combineSamples(x, sub, parts, reuse);
    }

    /**
     * Runs the branch per part on its samples and writes {@code ReLU(branch + identity)} there; the other samples
     * output {@code ReLU(identity)} ({@code x} itself with {@code reuse}, written in place). Parts are disjoint, so
     * every part reads its samples of {@code x} before anything is written to them.
     */
    private NDArray combineSamples(NDArray x, NDManager sub, List<Part> parts, boolean reuse) {
        NDArray id = identity(x);
        int batch = (int) x.getShape().get(0);
        if (parts.size() == 1 && parts.get(0).samples.length == batch) {
            NDArray z = partBranch(x, parts.get(0).weights, batch);
            return Activation.relu(z.getShape().equals(id.getShape()) ? z.addi(id) : id.add(z));
        }
        NDArray y = reuse ? x : Activation.relu(id);
        for (Part part : parts) {
            NDIndex index = new NDIndex("{}", sub.create(part.samples));
            NDArray xs = x.get(index);
            NDArray ids = down == null ? xs : id.get(index);
            lap("gather");
            NDArray z = partBranch(xs, part.weights, part.samples.length);
            y.set(index, Activation.relu(z.getShape().equals(ids.getShape()) ? z.addi(ids) : ids.addi(z)));
            lap("scatter");
        }
        return y;
    }

    private NDArray partBranch(NDArray xs, Weights w, int samples) {
        Weights ww = w == null ? full : w;
        if (ww.empty) {
            return xs.getManager().create(ww.lastBias(), new Shape(1, g.outChannels(), 1, 1));
        }
        return branch(xs, ww, null, null);
    }

    private Weights slice(BitSet pattern) {
        Weights w = slices.get(pattern);
        if (w != null) {
            return w;
        }
        int per = g.width() / channelGroups;
        int count = pattern.cardinality();
        if (count == 0) {
            w = new Weights(null, null, null, null, true, 0);
        } else {
            int[] idx = new int[count * per];
            int p = 0;
            for (int q = pattern.nextSetBit(0); q >= 0; q = pattern.nextSetBit(q + 1)) {
                for (int c = 0; c < per; c++) {
                    idx[p++] = q * per + c;
                }
            }
            FoldedConv c1 = full.c1.slice(idx, null, manager);
            FoldedConv c2;
            if (!bottleneck) {
                c2 = full.c2.slice(null, idx, manager);
            } else if (full.c2.groups() == 1) {
                c2 = full.c2.slice(idx, idx, manager);
            } else {
                // every gate group covers whole conv groups (channelSlicing): keep the active conv groups
                int groupWidth = g.width() / g.convGroups();
                int perGroup = per / groupWidth;
                int[] convGroups = new int[count * perGroup];
                int j = 0;
                for (int q = pattern.nextSetBit(0); q >= 0; q = pattern.nextSetBit(q + 1)) {
                    for (int c = 0; c < perGroup; c++) {
                        convGroups[j++] = q * perGroup + c;
                    }
                }
                c2 = full.c2.sliceGroups(convGroups, manager);
            }
            FoldedConv c3 = bottleneck ? full.c3.slice(null, idx, manager) : null;
            CachedSqueezeExcitation se = full.se == null ? null : full.se.slice(idx, manager);
            w = new Weights(c1, c2, c3, se, false, count / (double) channelGroups);
        }
        slices.put((BitSet) pattern.clone(), w);
        return w;
    }

    /**
     * Folded weights of one channel pattern (with the squeeze-excitation's layers sliced to the pattern, if the block
     * has one); {@code empty} when no group is active.
     */
    private final class Weights {
        private final FoldedConv c1;
        private final FoldedConv c2;
        private final FoldedConv c3;
        private final CachedSqueezeExcitation se;
        private final boolean empty;
        private final double density;

        Weights(FoldedConv c1, FoldedConv c2, FoldedConv c3, CachedSqueezeExcitation se, boolean empty,
                double density) {
            this.c1 = c1;
            this.c2 = c2;
            this.c3 = c3;
            this.se = se;
            this.empty = empty;
            this.density = density;
        }

        /** The bias the branch outputs when no channel is active: the last folded convolution's bias. */
        float[] lastBias() {
            return (full.c3 != null ? full.c3 : full.c2).hostBias();
        }

        int innerChannels() {
            return c1.outChannels();
        }

        /** conv2 with a unit output channel (null for grouped conv2, whose unit column is concatenated instead). */
        private FoldedConv c2Unit;
        /** conv3's {@code [W' | b']}. */
        private NDArray w3Bias;
        private boolean extended;

        /** Prepares the spatial bottleneck tail's weights once: conv2 with a unit channel, conv3 with a bias column. */
        void extend() {
            if (!extended) {
                c2Unit = c2.groups() == 1 ? c2.withUnitChannel(manager) : null;
                w3Bias = c3.matrixWithBiasColumn(manager);
                extended = true;
            }
        }

        void close() {
            if (c1 != null) {
                c1.close();
                c2.close();
            }
            if (c3 != null) {
                c3.close();
            }
            if (se != null) {
                se.close();
            }
            if (c2Unit != null) {
                c2Unit.close();
            }
            if (w3Bias != null) {
                w3Bias.close();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ spatial

    /** Host-side index tables of the active patches of one mask. */
    static final class SpatialIndex {
        final int[] patchesPerSample;
        final int[] m1PerSample;
        final int[][] patches; // per sample: cell ids

        SpatialIndex(int[] patchesPerSample, int[] m1PerSample, int[][] patches) {
            this.patchesPerSample = patchesPerSample;
            this.m1PerSample = m1PerSample;
            this.patches = patches;
        }
    }

    SpatialIndex buildSpatialIndex(Masks mk) {
        return buildSpatialIndex(mk.cells, mk.batch, spatialGroups);
    }

    /** Lists the open cells per sample (a cell is open if any of its {@code groups} mask groups is) and counts M1. */
    private SpatialIndex buildSpatialIndex(float[] cellMask, int batch, int groups) {
        int m = maskSize;
        int s = granularity;
        int s2 = g.conv2Stride();
        int k = s2 * (s - 1) + 3;
        int h1 = bottleneck ? g.conv1OutHeight() : g.outHeight();
        int w1 = bottleneck ? g.conv1OutWidth() : g.outWidth();
        int[] pps = new int[batch];
        int[] m1 = new int[batch];
        int[][] patches = new int[batch][];
        boolean[] mark = new boolean[h1 * w1];
        for (int b = 0; b < batch; b++) {
            int[] list = new int[m * m];
            int n = 0;
            Arrays.fill(mark, false);
            int count = 0;
            for (int c = 0; c < m * m; c++) {
                boolean open = false;
                for (int q = 0; q < groups; q++) {
                    open |= cellMask[(b * groups + q) * m * m + c] > 0.5f;
                }
                if (!open) {
                    continue;
                }
                list[n++] = c;
                int r0 = s2 * (c / m) * s - 1;
                int c0 = s2 * (c % m) * s - 1;
                for (int a = 0; a < k; a++) {
                    int rr = r0 + a;
                    if (rr < 0 || rr >= h1) {
                        continue;
                    }
                    for (int bb = 0; bb < k; bb++) {
                        int cc = c0 + bb;
                        if (cc >= 0 && cc < w1 && !mark[rr * w1 + cc]) {
                            mark[rr * w1 + cc] = true;
                            count++;
                        }
                    }
                }
            }
            pps[b] = n;
            m1[b] = count;
            patches[b] = Arrays.copyOf(list, n);
        }
        return new SpatialIndex(pps, m1, patches);
    }

    private NDArray spatial(NDArray x, Masks mk, ExecutionPath path) {
        return bottleneck ? spatialBottleneck(x, mk, path) : spatialRows(x, mk, path);
    }

    /** Cache key of a spatial tail's index tables: schedule, samples and their open cells. */
    private record TailKey(ExecutionPath path, String samples, BitSet cells) {}

    /**
     * Index tables of a spatial tail, uploaded as one array on the executor's manager: window rows into conv1's rows
     * (zero row last), the rows of the dense conv3 input taken from conv2's rows (zero row last), and for
     * {@link ExecutionPath#SPATIAL_M1} the input rows conv1 runs on; {@code ends} are the three parts' end offsets.
     */
    private record TailIndex(NDArray all, int[] ends, int patches) {
        /** Part {@code i} of the tables as an index array owned by {@code sub}. */
        NDIndex part(int i, NDManager sub) {
            NDArray v = all.get(new NDIndex((i == 0 ? 0 : ends[i - 1]) + ":" + ends[i]));
            v.attach(sub);
            return new NDIndex("{}", v);
        }

        void close() {
            all.close();
        }
    }

    /**
     * Index plan of the conv1-on-M1 schedule: the distinct conv1 output pixels that the active patches' windows read
     * (the dilated mask {@code M1}) become a compact row list; {@code winIdx} receives, for every active patch in order
     * and every position of its {@code k x k} window, the row of that pixel in the list, or the list's length (one
     * extra zero row) outside the image.
     *
     * @param samples the samples whose patches run
     * @param renumber whether rows refer to the samples' positions in {@code samples} (their input was gathered) or
     *     to the samples' indices in the batch
     * @param idx the active patches per sample
     * @param winIdx output, {@code activePatches * k * k} entries
     * @return for every listed conv1 pixel, the row of the channels-last input it is computed from
     */
    private long[] m1Windows(long[] samples, boolean renumber, SpatialIndex idx, long[] winIdx) {
        int s = granularity;
        int m = maskSize;
        int s2 = g.conv2Stride();
        int k = s2 * (s - 1) + 3;
        int h1 = g.conv1OutHeight();
        int w1 = g.conv1OutWidth();
        int st1 = g.conv1Stride();
        int rowsPerSample = renumber ? samples.length : (int) (Arrays.stream(samples).max().orElse(0) + 1);
        int[] compact = new int[rowsPerSample * h1 * w1];
        Arrays.fill(compact, -1);
        long[] xsel = new long[winIdx.length];
        int n1 = 0;
        int q = 0;
        for (int i = 0; i < samples.length; i++) {
            int b = (int) samples[i];
            int r = renumber ? i : b;
            for (int c : idx.patches[b]) {
                int r0 = s2 * (c / m) * s - 1;
                int c0 = s2 * (c % m) * s - 1;
                for (int a = 0; a < k; a++) {
                    for (int bb = 0; bb < k; bb++) {
                        int rr = r0 + a;
                        int cc = c0 + bb;
                        if (rr < 0 || rr >= h1 || cc < 0 || cc >= w1) {
                            winIdx[q++] = -1;
                            continue;
                        }
                        int key = (r * h1 + rr) * w1 + cc;
                        if (compact[key] < 0) {
                            compact[key] = n1;
                            xsel[n1++] = ((long) r * g.inHeight() + (long) rr * st1) * g.inWidth() + (long) cc * st1;
                        }
                        winIdx[q++] = compact[key];
                    }
                }
            }
        }
        for (int j = 0; j < winIdx.length; j++) {
            if (winIdx[j] < 0) {
                winIdx[j] = n1;
            }
        }
        return Arrays.copyOf(xsel, n1);
    }

    private TailIndex tailIndex(long[] samples, ExecutionPath path, SpatialIndex idx) {
        int m = maskSize;
        int mm = m * m;
        BitSet cells = new BitSet(samples.length * mm);
        int n = 0;
        for (int i = 0; i < samples.length; i++) {
            for (int c : idx.patches[(int) samples[i]]) {
                cells.set(i * mm + c);
                n++;
            }
        }
        TailKey key = new TailKey(path, Arrays.toString(samples), cells);
        TailIndex t = tailCache.get(key);
        if (t != null) {
            return t;
        }
        int p = samples.length;
        int s = granularity;
        int s2 = g.conv2Stride();
        int k = s2 * (s - 1) + 3;
        int h1 = g.conv1OutHeight();
        int w1 = g.conv1OutWidth();
        int ho = g.outHeight();
        int wo = g.outWidth();
        long[] winIdx = new long[n * k * k];
        long[] xsel = null;
        int q = 0;
        if (path == ExecutionPath.SPATIAL_M1) {
            xsel = m1Windows(samples, true, idx, winIdx);
        } else {
            long zero = (long) p * h1 * w1;
            for (int i = 0; i < p; i++) {
                for (int c : idx.patches[(int) samples[i]]) {
                    int r0 = s2 * (c / m) * s - 1;
                    int c0 = s2 * (c % m) * s - 1;
                    for (int a = 0; a < k; a++) {
                        for (int bb = 0; bb < k; bb++) {
                            int rr = r0 + a;
                            int cc = c0 + bb;
                            winIdx[q++] = rr < 0 || rr >= h1 || cc < 0 || cc >= w1
                                    ? zero
                                    : ((long) i * h1 + rr) * w1 + cc;
                        }
                    }
                }
            }
        }
        long[] map = new long[p * ho * wo];
        Arrays.fill(map, (long) n * s * s);
        int row = 0;
        for (int i = 0; i < p; i++) {
            for (int c : idx.patches[(int) samples[i]]) {
                int i0 = (c / m) * s;
                int j0 = (c % m) * s;
                for (int u = 0; u < s; u++) {
                    for (int v = 0; v < s; v++) {
                        map[(i * ho + i0 + u) * wo + j0 + v] = row++;
                    }
                }
            }
        }
        int nx = xsel == null ? 0 : xsel.length;
        long[] all = new long[winIdx.length + map.length + nx];
        System.arraycopy(winIdx, 0, all, 0, winIdx.length);
        System.arraycopy(map, 0, all, winIdx.length, map.length);
        if (xsel != null) {
            System.arraycopy(xsel, 0, all, winIdx.length + map.length, nx);
        }
        int[] ends = {winIdx.length, winIdx.length + map.length, all.length};
        t = new TailIndex(manager.create(all), ends, n);
        tailCache.put(key, t);
        return t;
    }

    /**
     * Spatial bottleneck: per channel pattern, conv1 (dense, or on M1's rows), windows of the active patches gathered
     * as channels-last rows, conv2 without padding (with a unit channel marking computed pixels), then the conv2 rows
     * are gathered back into a dense row map (zero rows at inactive pixels) and conv3 runs as one GEMM with its bias as
     * an extra column, so that its output is already the masked branch in NCHW: {@code y = ReLU(identity + z)}.
     */
    private NDArray spatialBottleneck(NDArray x, Masks mk, ExecutionPath path) {
        NDManager sub = x.getManager();
        int batch = mk.batch;
        int cout = g.outChannels();
        int ho = g.outHeight();
        int wo = g.outWidth();
        SpatialIndex idx = mk.spatialIndex(this);
        Map<BitSet, long[]> groups = mk.channels == null ? Map.of(new BitSet(), allSamples(batch)) : mk.patterns();
        NDArray id = identity(x);
        if (groups.size() == 1) {
            Map.Entry<BitSet, long[]> e = groups.entrySet().iterator().next();
            Weights w = mk.channels == null ? full : slice(e.getKey());
            NDArray z = spatialTail(x, e.getValue(), w, path, idx);
            NDArray y = z == null
                    ? Activation.relu(id)
                    : Activation.relu(z.addi(id.reshape(batch, cout, ho * wo))).reshape(batch, cout, ho, wo);
            lap("scatter");
            return y;
        }
        NDArray y = Activation.relu(id);
        for (Map.Entry<BitSet, long[]> e : groups.entrySet()) {
            long[] samples = e.getValue();
            NDIndex at = new NDIndex("{}", sub.create(samples));
            NDArray xs = x.get(at);
            lap("gather");
            NDArray z = spatialTail(xs, samples, slice(e.getKey()), path, idx);
            if (z == null) {
                continue;
            }
            NDArray ids = id.get(at).reshape(samples.length, cout, ho * wo);
            y.set(at, Activation.relu(z.addi(ids)).reshape(samples.length, cout, ho, wo));
            lap("scatter");
        }
        return y;
    }

    /**
     * The masked residual branch of a bottleneck on samples {@code xs (P, Cin, Hin, Win)} (global ids
     * {@code samples}): {@code (P, Cout, Hout * Wout)}, zero at inactive pixels; null when no patch is active.
     */
    private NDArray spatialTail(NDArray xs, long[] samples, Weights w, ExecutionPath path, SpatialIndex idx) {
        NDManager sub = xs.getManager();
        int p = samples.length;
        int cout = g.outChannels();
        int ho = g.outHeight();
        int wo = g.outWidth();
        int s = granularity;
        int k = g.conv2Stride() * (s - 1) + 3;
        int n = 0;
        for (long b : samples) {
            n += idx.patchesPerSample[(int) b];
        }
        if (n == 0) {
            return null;
        }
        if (w.empty) {
            float[] bias = w.lastBias();
            float[] z = new float[p * cout * ho * wo];
            int m = maskSize;
            for (int i = 0; i < p; i++) {
                for (int c : idx.patches[(int) samples[i]]) {
                    for (int u = 0; u < s; u++) {
                        for (int v = 0; v < s; v++) {
                            int px = ((c / m) * s + u) * wo + (c % m) * s + v;
                            for (int o = 0; o < cout; o++) {
                                z[(i * cout + o) * ho * wo + px] = bias[o];
                            }
                        }
                    }
                }
            }
            return sub.create(z, new Shape(p, cout, ho * wo));
        }
        w.extend();
        TailIndex t = tailIndex(samples, path, idx);
        lap("index");
        int inner = w.innerChannels();
        NDArray h1rows;
        if (path == ExecutionPath.SPATIAL_M1) {
            NDArray sel = xs.transpose(0, 2, 3, 1).reshape(-1, g.inChannels()).get(t.part(2, sub));
            lap("gather");
            h1rows = Activation.relu(w.c1.gemm(sel));
        } else {
            h1rows = Activation.relu(w.c1.conv(xs)).transpose(0, 2, 3, 1).reshape(-1, inner);
        }
        lap("conv1");
        NDArray padded = NDArrays.concat(new NDList(h1rows, sub.zeros(new Shape(1, inner))), 0);
        NDArray h2 = windowsConv2(padded, t, w, n, k, inner, sub);
        NDArray dense = NDArrays.concat(new NDList(h2, sub.zeros(new Shape(1, inner + 1))), 0)
                .get(t.part(1, sub));
        lap("scatter");
        if (w.se != null) {
            dense = squeezeExciteRows(dense, w.se, p, ho * wo, inner);
            lap("se");
        }
        NDArray rhs = p == 1 ? dense.transpose() : dense.reshape(p, ho * wo, inner + 1).transpose(0, 2, 1);
        NDArray z = w.w3Bias.matMul(rhs);
        z.attach(sub);
        z = z.reshape(p, cout, ho * wo);
        lap("conv3");
        return z;
    }

    /**
     * The squeeze-excitation on the dense row map of a spatial tail: per sample, the sum of its rows (zero at
     * inactive pixels) divided by its count of computed pixels, which the unit column sums to, gives the masked mean
     * of the training form; the rows are multiplied by the sample's scales, the unit column by 1.
     *
     * @param rows the row map {@code (P Hout Wout, inner + 1)}, sample-major, unit column last
     * @param se the (pattern-sliced) layers
     * @param p samples
     * @param pixels {@code Hout * Wout}
     * @param inner active inner channels
     * @return the rescaled row map, same shape
     */
    private static NDArray squeezeExciteRows(NDArray rows, CachedSqueezeExcitation se, int p, int pixels, int inner) {
        NDManager sub = rows.getManager();
        NDArray perSample = rows.reshape(p, pixels, inner + 1);
        NDArray sums = perSample.sum(new int[] {1});
        NDArray count = sums.get(new NDIndex(":, " + inner + ":")).maximum(1f);
        NDArray pooled = sums.get(new NDIndex(":, :" + inner)).div(count);
        NDArray scale = NDArrays.concat(new NDList(se.scale(pooled), sub.ones(new Shape(p, 1))), 1);
        return perSample.mul(scale.reshape(p, 1, inner + 1)).reshape(-1, inner + 1);
    }

    /** conv2 on gathered {@code K x K} windows without padding, as rows {@code (n S S, inner + 1)} with a unit column. */
    private NDArray windowsConv2(NDArray padded, TailIndex t, Weights w, int n, int k, int inner, NDManager sub) {
        NDArray windows = padded.get(t.part(0, sub)).reshape(n, k, k, inner).transpose(0, 3, 1, 2);
        lap("gather");
        NDArray h2;
        if (w.c2Unit != null) {
            h2 = Activation.relu(w.c2Unit.conv(windows, 0)).transpose(0, 2, 3, 1).reshape(-1, inner + 1);
        } else {
            h2 = Activation.relu(w.c2.conv(windows, 0)).transpose(0, 2, 3, 1).reshape(-1, inner);
            h2 = NDArrays.concat(new NDList(h2, sub.ones(new Shape(h2.getShape().get(0), 1))), 1);
        }
        lap("conv2");
        return h2;
    }

    private NDArray spatialRows(NDArray x, Masks mk, ExecutionPath path) {
        NDManager sub = x.getManager();
        int batch = mk.batch;
        int cin = g.inChannels();
        int ho = g.outHeight();
        int wo = g.outWidth();
        int cout = g.outChannels();
        int s = granularity;
        int m = maskSize;
        int s2 = g.conv2Stride();
        int k = s2 * (s - 1) + 3;
        int h1 = bottleneck ? g.conv1OutHeight() : ho;
        int w1 = bottleneck ? g.conv1OutWidth() : wo;
        int st1 = g.conv1Stride();
        SpatialIndex idx = mk.spatialIndex(this);

        NDArray xrows = x.transpose(0, 2, 3, 1).reshape(-1, cin);
        NDArray idRows;
        if (down == null) {
            idRows = xrows;
        } else {
            NDArray src = g.stride() == 1 ? xrows : xrows.get(new NDIndex("{}", stridedRows(batch, g.stride())));
            idRows = down.gemm(src);
        }
        List<NDArray> zs = new ArrayList<>();
        List<long[]> outs = new ArrayList<>();
        Map<BitSet, long[]> groups = mk.channels == null ? Map.of(new BitSet(), allSamples(batch)) : mk.patterns();
        NDArray denseH1Full = null;
        for (Map.Entry<BitSet, long[]> e : groups.entrySet()) {
            Weights w = mk.channels == null ? full : slice(e.getKey());
            long[] samples = e.getValue();
            int n = 0;
            for (long b : samples) {
                n += idx.patchesPerSample[(int) b];
            }
            if (n == 0) {
                continue;
            }
            long[] outIdx = new long[n * s * s];
            int q = 0;
            for (long bl : samples) {
                int b = (int) bl;
                for (int c : idx.patches[b]) {
                    int i0 = (c / m) * s;
                    int j0 = (c % m) * s;
                    for (int u = 0; u < s; u++) {
                        for (int v = 0; v < s; v++) {
                            outIdx[q++] = ((long) b * ho + i0 + u) * wo + j0 + v;
                        }
                    }
                }
            }
            outs.add(outIdx);
            if (w.empty) {
                zs.add(sub.zeros(new Shape(outIdx.length, cout)).addi(
                        sub.create(w.lastBias(), new Shape(1, cout))));
                continue;
            }
            int inner = w.innerChannels();
            // window indices into the conv1 rows (last row = zeros, for pixels outside the image)
            long[] winIdx = new long[n * k * k];
            NDArray h1rows;
            if (path == ExecutionPath.SPATIAL_M1) {
                long[] xsel = m1Windows(samples, false, idx, winIdx);
                NDArray sel = xrows.get(new NDIndex("{}", sub.create(xsel)));
                h1rows = Activation.relu(w.c1.gemm(sel));
            } else {
                int p = 0;
                long zero = (long) batch * h1 * w1;
                for (long bl : samples) {
                    int b = (int) bl;
                    for (int c : idx.patches[b]) {
                        int r0 = s2 * (c / m) * s - 1;
                        int c0 = s2 * (c % m) * s - 1;
                        for (int a = 0; a < k; a++) {
                            for (int bb = 0; bb < k; bb++) {
                                int rr = r0 + a;
                                int cc = c0 + bb;
                                winIdx[p++] = rr < 0 || rr >= h1 || cc < 0 || cc >= w1
                                        ? zero
                                        : ((long) b * h1 + rr) * w1 + cc;
                            }
                        }
                    }
                }
                if (bottleneck) {
                    NDArray src = st1 == 1 ? xrows : xrows.get(new NDIndex("{}", stridedRows(batch, st1)));
                    h1rows = Activation.relu(w.c1.gemm(src));
                } else {
                    h1rows = Activation.relu(w.c1.conv(x)).transpose(0, 2, 3, 1).reshape(-1, inner);
                }
            }
            NDArray padded = NDArrays.concat(new NDList(h1rows, sub.zeros(new Shape(1, inner))), 0);
            NDArray windows = padded.get(new NDIndex("{}", sub.create(winIdx)))
                    .reshape(n, k, k, inner)
                    .transpose(0, 3, 1, 2);
            NDArray h2 = w.c2.conv(windows, 0);
            NDArray z;
            if (bottleneck) {
                NDArray rows2 = Activation.relu(h2).transpose(0, 2, 3, 1).reshape(-1, inner);
                z = w.c3.gemm(rows2);
            } else {
                z = h2.transpose(0, 2, 3, 1).reshape(-1, cout);
            }
            zs.add(z);
        }
        NDArray y = Activation.relu(idRows);
        if (!zs.isEmpty()) {
            NDArray z = zs.size() == 1 ? zs.get(0) : NDArrays.concat(new NDList(zs.toArray(new NDArray[0])), 0);
            long[] outIdx = outs.size() == 1 ? outs.get(0) : concat(outs);
            NDIndex at = new NDIndex("{}", sub.create(outIdx));
            y.set(at, Activation.relu(idRows.get(at).addi(z)));
        }
        return y.reshape(batch, ho, wo, cout).transpose(0, 3, 1, 2);
    }

    private static long[] concat(List<long[]> parts) {
        int n = 0;
        for (long[] a : parts) {
            n += a.length;
        }
        long[] r = new long[n];
        int p = 0;
        for (long[] a : parts) {
            System.arraycopy(a, 0, r, p, a.length);
            p += a.length;
        }
        return r;
    }

    private static long[] allSamples(int batch) {
        long[] r = new long[batch];
        for (int b = 0; b < batch; b++) {
            r[b] = b;
        }
        return r;
    }

    /** Rows of the stride-{@code s} grid of the input, in output raster order; cached per batch size. */
    private NDArray stridedRows(int batch, int stride) {
        String key = batch + "/" + stride;
        NDArray a = indexCache.get(key);
        if (a == null) {
            int hin = g.inHeight();
            int win = g.inWidth();
            int ho = (hin - 1) / stride + 1;
            int wo = (win - 1) / stride + 1;
            long[] r = new long[batch * ho * wo];
            int p = 0;
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        r[p++] = ((long) b * hin + (long) i * stride) * win + (long) j * stride;
                    }
                }
            }
            a = manager.create(r);
            indexCache.put(key, a);
        }
        return a;
    }

    // ------------------------------------------------------------------------------------------------ masks

    /** Host copy of one call's masks. */
    final class Masks {
        final int batch;
        final float[] cells;
        final boolean[][] channels;
        final int activeCells;
        final BlockDensities densities;
        private SpatialIndex spatialIndex;
        private Map<BitSet, long[]> patterns;

        Masks(int batch, float[] cells, boolean[][] channels) {
            this.batch = batch;
            this.cells = cells;
            this.channels = channels;
            int a = 0;
            if (cells != null) {
                for (float c : cells) {
                    a += c > 0.5f ? 1 : 0;
                }
            }
            this.activeCells = a;
            double dc = 1;
            if (channels != null) {
                int on = 0;
                for (boolean[] row : channels) {
                    for (boolean v : row) {
                        on += v ? 1 : 0;
                    }
                }
                dc = on / (double) (batch * channelGroups);
            }
            double d1 = 1;
            double d3 = 1;
            if (cells != null) {
                d3 = a / (double) cells.length;
                if (mode == GateMode.LAYER) {
                    d1 = d3;
                } else {
                    SpatialIndex idx = spatialIndex(BlockExecutor.this);
                    long m1 = 0;
                    for (int v : idx.m1PerSample) {
                        m1 += v;
                    }
                    long px = bottleneck ? g.conv1Pixels() : g.outPixels();
                    d1 = spatialGroups == 1 ? m1 / (double) (batch * px) : Math.min(1, expandedGroupsDensity());
                }
            }
            this.densities = new BlockDensities(d1, d3, d3, dc);
        }

        /** d1 for multi-group spatial masks: the mean over groups of each group's dilated mask. */
        private double expandedGroupsDensity() {
            double total = 0;
            for (int q = 0; q < spatialGroups; q++) {
                float[] one = new float[batch * maskSize * maskSize];
                for (int b = 0; b < batch; b++) {
                    System.arraycopy(cells, (b * spatialGroups + q) * maskSize * maskSize, one,
                            b * maskSize * maskSize, maskSize * maskSize);
                }
                SpatialIndex idx = buildSpatialIndex(one, batch, 1);
                long m1 = 0;
                for (int v : idx.m1PerSample) {
                    m1 += v;
                }
                long px = bottleneck ? g.conv1Pixels() : g.outPixels();
                total += m1 / (double) (batch * px);
            }
            return total / spatialGroups;
        }

        SpatialIndex spatialIndex(BlockExecutor ex) {
            if (spatialIndex == null) {
                spatialIndex = ex.buildSpatialIndex(this);
            }
            return spatialIndex;
        }

        boolean allChannelsOpen() {
            if (channels == null) {
                return true;
            }
            for (boolean[] row : channels) {
                for (boolean v : row) {
                    if (!v) {
                        return false;
                    }
                }
            }
            return true;
        }

        boolean allOpen() {
            return (cells == null || activeCells == cells.length) && allChannelsOpen();
        }

        /** Samples grouped by channel pattern, in first-seen order. */
        Map<BitSet, long[]> patterns() {
            if (patterns == null) {
                Map<BitSet, List<Long>> byPattern = new LinkedHashMap<>();
                for (int b = 0; b < batch; b++) {
                    BitSet key = new BitSet(channelGroups);
                    for (int q = 0; q < channelGroups; q++) {
                        if (channels[b][q]) {
                            key.set(q);
                        }
                    }
                    byPattern.computeIfAbsent(key, kk -> new ArrayList<>()).add((long) b);
                }
                Map<BitSet, long[]> r = new LinkedHashMap<>();
                byPattern.forEach((kk, v) -> r.put(kk, v.stream().mapToLong(Long::longValue).toArray()));
                patterns = r;
            }
            return patterns;
        }

        int patternGroups() {
            return channels == null ? 1 : patterns().size();
        }

        int activeUnits() {
            if (cells != null) {
                return activeCells;
            }
            if (channels != null) {
                int on = 0;
                for (boolean[] row : channels) {
                    for (boolean v : row) {
                        on += v ? 1 : 0;
                    }
                }
                return on;
            }
            return 0;
        }

        int totalUnits() {
            if (cells != null) {
                return cells.length;
            }
            return channels != null ? batch * channelGroups : 0;
        }
    }

    private void checkInput(NDArray x) {
        if (closed) {
            throw new IllegalStateException("executor is closed");
        }
        Checks.rank("x", x, 4, "(B, Cin, Hin, Win)");
        Shape s = x.getShape();
        if (s.get(1) != g.inChannels() || s.get(2) != g.inHeight() || s.get(3) != g.inWidth()) {
            throw new IllegalArgumentException("x must have shape (B, " + g.inChannels() + ", " + g.inHeight() + ", "
                    + g.inWidth() + "), got " + s);
        }
    }

    /** Returns the number of arrays the executor's manager holds (weights, slices, index tables). */
    int managedArrayCount() {
        return manager.getManagedArrays().size();
    }

    /** Releases the folded weights, cached slices and index tables. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            slices.clear();
            calibrations.clear();
            indexCache.clear();
            tailCache.clear();
            manager.close();
        }
    }

    /** Builder of a {@link BlockExecutor}. */
    public static final class Builder {
        private ResidualBlockLayers layers;
        private NDManager manager;
        private ParameterStore parameterStore;
        private PathPolicy policy = PathPolicy.AUTO;
        private int calibrationRuns = 5;
        private long seed = 7L;
        private boolean reusableReluInput;

        private Builder() {}

        /**
         * Sets the trained, initialized block to execute (this or {@link #setLayers} is required); the same as
         * {@code setLayers(block.getLayers())}.
         *
         * @param block the block
         * @return this builder
         */
        public Builder setBlock(GatedResidualBlock block) {
            this.layers = block == null ? null : block.getLayers();
            return this;
        }

        /**
         * Sets the layers of the trained, initialized block to execute (this or {@link #setBlock} is required): any
         * gated residual block that describes itself as {@link ResidualBlockLayers}, e.g. a bottleneck with
         * squeeze-excitation.
         *
         * @param layers the block's layers
         * @return this builder
         */
        public Builder setLayers(ResidualBlockLayers layers) {
            this.layers = layers;
            return this;
        }

        /**
         * Sets the manager under which the executor creates its own sub-manager (required).
         *
         * @param manager the parent manager
         * @return this builder
         */
        public Builder setManager(NDManager manager) {
            this.manager = manager;
            return this;
        }

        /**
         * Sets the parameter store used to read the block's BatchNorms and run its channel gate (default: a new
         * non-copying store on the executor's manager).
         *
         * @param parameterStore the store
         * @return this builder
         */
        public Builder optParameterStore(ParameterStore parameterStore) {
            this.parameterStore = parameterStore;
            return this;
        }

        /**
         * Sets the default path policy (default {@link PathPolicy#AUTO}).
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder optPolicy(PathPolicy policy) {
            this.policy = policy;
            return this;
        }

        /**
         * Sets the timed runs per calibration point (the fastest is taken; default 5).
         *
         * @param runs positive run count
         * @return this builder
         */
        public Builder optCalibrationRuns(int runs) {
            this.calibrationRuns = runs;
            return this;
        }

        /**
         * Sets the seed of the synthetic calibration masks.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Declares that every input of {@link #run} is the output of a ReLU ({@code >= 0}) that the caller hands over:
         * it is not used after the call. Then, for a block without downsample, where {@code ReLU(identity) = x}, the
         * executor passes a skipped batch through as its own output and writes the computed samples of the LAYER and
         * CHANNEL paths into {@code x} in place, which saves a copy of the whole activation per call. The network
         * executor sets this (the stem and every block end with a ReLU). Default false: inputs are never modified.
         *
         * @param reusableReluInput whether inputs are non-negative and may be overwritten or returned
         * @return this builder
         */
        public Builder optReusableReluInput(boolean reusableReluInput) {
            this.reusableReluInput = reusableReluInput;
            return this;
        }

        /**
         * Validates and builds the executor (folds the BatchNorms).
         *
         * @return the executor
         * @throws IllegalArgumentException naming the first missing or invalid field
         */
        public BlockExecutor build() {
            if (layers == null) {
                throw new IllegalArgumentException("block (or its layers) must be set");
            }
            if (manager == null) {
                throw new IllegalArgumentException("manager must be set");
            }
            if (policy == null) {
                throw new IllegalArgumentException("policy must not be null");
            }
            Checks.positive("calibrationRuns", calibrationRuns);
            return new BlockExecutor(this);
        }
    }
}
