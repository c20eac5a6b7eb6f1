package org.laudnet.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.Optional;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.util.Checks;

/**
 * Eval-mode executor of one gated block on engine arrays, through the same gate evaluation, path selection and paths
 * as a {@link NetworkExecutor} (method section 4): for benchmarks and tools that study a block alone, and for
 * imposing masks ({@link #runWithMasks}).
 *
 * <p>The block's layers are folded into a {@link BlockPlan} when the executor is built (parameter changes afterwards
 * are not seen). It runs on the DJL/PyTorch backend, created under the builder's manager, unless another backend is
 * given. Calibrations are the executor's own (one per batch size). Not thread-safe: one executor per thread. Every
 * call works in a scope closed before it returns; the output is owned by the input's manager.
 *
 * <p>Inputs are checked for shape (an empty batch is refused) but their values are not scanned: the executor times
 * blocks for calibration and benchmarks, where a scan per call would bias the measurement. Untrusted inputs enter
 * through {@link NetworkExecutor#run(NDArray)}, which refuses NaN and infinite values once per call.
 *
 * <p>A call on an {@link NDArray} converts the input into the backend's layout and the output back (for the oneDNN
 * backend: NCHW arrays to {@code nhwc} native buffers and back), work that a block inside a network never does: there
 * the previous block's output already is in the backend's layout. To time a block as it runs inside a network,
 * {@link #importInput import} the input once and run on the {@link ResidentInput}: such a call converts nothing and
 * returns only the report (its output stays in the backend and is released before the call returns). Inside a
 * network the engine also hands a block its input to overwrite (the previous block's ReLU output, which no later
 * operation reads): {@link #handOverInput} models that, with {@link ResidentInput#refresh} restoring the input
 * between calls.
 */
public final class BlockExecutor implements AutoCloseable {

    private final Impl<?> impl;
    private final BlockPlan plan;
    private final PathPolicy policy;
    private final boolean reusableReluInput;
    private boolean closed;

    private BlockExecutor(Builder b, BlockPlan plan) {
        this.plan = plan;
        this.policy = b.policy;
        this.reusableReluInput = b.reusableReluInput;
        boolean ownsBackend = b.backend == null;
        Backend<?> backend = ownsBackend ? DjlBackend.create(b.manager) : b.backend;
        try {
            this.impl = new Impl<>(backend, ownsBackend, plan, b.calibrationRuns, b.seed);
        } catch (RuntimeException | Error e) {
            // a backend the executor created is its own to release, also when the executor cannot be built
            if (ownsBackend) {
                try {
                    backend.close();
                } catch (RuntimeException c) {
                    e.addSuppressed(c);
                }
            }
            throw e;
        }
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the executed block's plan (folded weights, gate, cost). */
    public BlockPlan plan() {
        return plan;
    }

    /** Returns the geometry of the executed block. */
    public BlockGeometry getGeometry() {
        return plan.geometry();
    }

    /** Returns the gate spec of the executed block. */
    public GateSpec getGateSpec() {
        return plan.gate();
    }

    /**
     * Sets (or, with null, removes) a timer that receives the time of each execution phase of later calls.
     *
     * @param timer the timer, or null
     */
    public void setPhaseTimer(PhaseTimer timer) {
        impl.timer = timer;
    }

    /**
     * Returns the shape of the spatial (or layer) mask that {@link #runWithMasks} expects for a batch.
     *
     * @param batch the batch size, positive
     * @return {@code (B, gs, m, m)}, or empty when the block has no spatial gate
     */
    public Optional<Shape> spatialMaskShape(int batch) {
        Checks.positive("batch", batch);
        return plan.spatialMasker() == null ? Optional.empty()
                : Optional.of(new Shape(batch, plan.spatialGroups(), plan.maskSize(), plan.maskSize()));
    }

    /**
     * Returns the shape of the channel mask that {@link #runWithMasks} expects for a batch.
     *
     * @param batch the batch size, positive
     * @return {@code (B, G)}, or empty when the block has no channel gate
     */
    public Optional<Shape> channelMaskShape(int batch) {
        Checks.positive("batch", batch);
        return plan.channelMasker() == null ? Optional.empty() : Optional.of(new Shape(batch, plan.channelGroups()));
    }

    /**
     * Measures the block's path costs for a batch size, unless done already (the first AUTO call of a batch size does
     * it otherwise).
     *
     * @param batch the batch size, positive
     */
    public void calibrate(int batch) {
        checkOpen();
        Checks.positive("batch", batch);
        impl.calibration(batch);
    }

    /**
     * Uploads the weight slices of every channel pattern of the block (at most 4 groups) and runs each pattern once
     * through the block's sparse paths, so that no call pays for a pattern's first use; see
     * {@link PlanRuntime#prepareChannelPatterns()}. Idempotent.
     *
     * @return the floats of the slices' weights cut by this call (0 without a channel gate or when already prepared)
     * @throws IllegalStateException if the executor is closed
     */
    public long prepareChannelPatterns() {
        checkOpen();
        return impl.engine.preparePatterns(impl.k);
    }

    /**
     * Runs the block: gates by the eval rule, then the path the executor's policy allows.
     *
     * @param x block input {@code (B, Cin, Hin, Win)}
     * @return output {@code (B, Cout, Hout, Wout)} and report
     * @throws IllegalArgumentException if {@code x} does not match the geometry
     */
    public ExecutionResult run(NDArray x) {
        return run(x, policy);
    }

    /**
     * Runs the block with a path policy for this call.
     *
     * @param x block input {@code (B, Cin, Hin, Win)}
     * @param callPolicy the policy
     * @return output and report
     * @throws IllegalArgumentException if {@code x} does not match the geometry or the policy is unavailable
     */
    public ExecutionResult run(NDArray x, PathPolicy callPolicy) {
        Nchw xs = checkInput(x, callPolicy);
        return impl.run(x, xs, null, reusableReluInput, callPolicy, false);
    }

    /**
     * Runs the block with given masks instead of the gates' (for equivalence tests and benchmarks that impose a
     * density).
     *
     * @param x block input {@code (B, Cin, Hin, Win)}
     * @param spatialMask 0/1 spatial (or layer) mask {@code (B, gs, m, m)}; required exactly when the block has a
     *     spatial gate
     * @param channelMask 0/1 channel mask {@code (B, G)}; required exactly when the block has a channel gate
     * @param callPolicy the path policy of this call
     * @return output and report
     * @throws IllegalArgumentException for a missing, superfluous or mis-shaped mask
     */
    public ExecutionResult runWithMasks(NDArray x, NDArray spatialMask, NDArray channelMask, PathPolicy callPolicy) {
        return runWithMasks(x, spatialMask, channelMask, callPolicy, false);
    }

    /**
     * As {@link #runWithMasks(NDArray, NDArray, NDArray, PathPolicy)}, optionally also evaluating the block's gates and
     * discarding their decisions: a benchmark that imposes a density then still pays the maskers' cost.
     *
     * @param x block input {@code (B, Cin, Hin, Win)}
     * @param spatialMask 0/1 spatial (or layer) mask {@code (B, gs, m, m)}, or null without a spatial gate
     * @param channelMask 0/1 channel mask {@code (B, G)}, or null without a channel gate
     * @param callPolicy the path policy of this call
     * @param evaluateGates whether to run the maskers as {@link #run(NDArray)} does
     * @return output and report
     * @throws IllegalArgumentException for a missing, superfluous or mis-shaped mask
     */
    public ExecutionResult runWithMasks(NDArray x, NDArray spatialMask, NDArray channelMask, PathPolicy callPolicy,
            boolean evaluateGates) {
        Nchw xs = checkInput(x, callPolicy);
        int batch = xs.batch();
        float[] cells = mask("spatialMask", spatialMask, spatialMaskShape(batch));
        float[] channels = mask("channelMask", channelMask, channelMaskShape(batch));
        Masks masks = new Masks(plan, batch, cells, channels);
        return impl.run(x, xs, masks, reusableReluInput, callPolicy, evaluateGates);
    }

    /**
     * Imports an input into this executor's backend once, for calls that time the block as it runs inside a network
     * ({@link #run(ResidentInput, PathPolicy)}, {@link #runWithMasks(ResidentInput, NDArray, NDArray, PathPolicy,
     * boolean)}). At most one input is resident per executor at a time; close it before importing the next (closing
     * the executor closes it too). Calls never modify it.
     *
     * @param x block input {@code (B, Cin, Hin, Win)}
     * @return the resident input
     * @throws IllegalArgumentException if {@code x} does not match the geometry
     * @throws IllegalStateException if another input is resident
     */
    public ResidentInput importInput(NDArray x) {
        Nchw xs = checkInput(x, policy);
        impl.importResident(x, xs, null);
        return new ResidentInput(this, xs, false);
    }

    /**
     * Imports a non-negative input that each call may overwrite, as a block's input inside a network (the previous
     * block's ReLU output, handed over because no later operation reads it): an identity block then accumulates its
     * output into the input instead of copying it first. After each call the input is consumed; {@link
     * ResidentInput#refresh} restores it from an untouched copy kept in the backend (outside any timing), and a call
     * on a consumed input is refused. At most one input is resident per executor at a time.
     *
     * @param x block input {@code (B, Cin, Hin, Win)}, every value non-negative
     * @return the resident input
     * @throws IllegalArgumentException if {@code x} does not match the geometry or holds a negative or NaN value
     *     (named with its index)
     * @throws IllegalStateException if another input is resident
     */
    public ResidentInput handOverInput(NDArray x) {
        Nchw xs = checkInput(x, policy);
        float[] values = hostValues(x);
        for (int i = 0; i < values.length; i++) {
            if (!(values[i] >= 0)) {
                throw new IllegalArgumentException("a handed-over input must be non-negative (a ReLU output), got "
                        + values[i] + " at index " + i);
            }
        }
        impl.importResident(x, xs, values);
        return new ResidentInput(this, xs, true);
    }

    /**
     * Runs the block on a resident input: gates by the eval rule, then the path the call's policy allows; nothing is
     * converted, and the output is released before the call returns (its computation has completed).
     *
     * @param x an input resident in this executor
     * @param callPolicy the path policy of this call
     * @return the report
     * @throws IllegalArgumentException if {@code x} is closed or belongs to another executor
     * @throws IllegalStateException if {@code x} is a handed-over input that a call consumed and that was not
     *     {@link ResidentInput#refresh refreshed} since
     */
    public ExecutionReport run(ResidentInput x, PathPolicy callPolicy) {
        Nchw xs = checkResident(x, callPolicy);
        return impl.runResident(xs, null, callPolicy, false);
    }

    /**
     * As {@link #runWithMasks(NDArray, NDArray, NDArray, PathPolicy, boolean)} on a resident input: nothing is
     * converted, and the output is released before the call returns (its computation has completed).
     *
     * @param x an input resident in this executor
     * @param spatialMask 0/1 spatial (or layer) mask {@code (B, gs, m, m)}, or null without a spatial gate
     * @param channelMask 0/1 channel mask {@code (B, G)}, or null without a channel gate
     * @param callPolicy the path policy of this call
     * @param evaluateGates whether to run the maskers as {@link #run(NDArray)} does
     * @return the report
     * @throws IllegalArgumentException if {@code x} is closed or belongs to another executor, or for a missing,
     *     superfluous or mis-shaped mask
     * @throws IllegalStateException if {@code x} is a handed-over input that a call consumed and that was not
     *     {@link ResidentInput#refresh refreshed} since
     */
    public ExecutionReport runWithMasks(ResidentInput x, NDArray spatialMask, NDArray channelMask,
            PathPolicy callPolicy, boolean evaluateGates) {
        Nchw xs = checkResident(x, callPolicy);
        int batch = xs.batch();
        float[] cells = mask("spatialMask", spatialMask, spatialMaskShape(batch));
        float[] channels = mask("channelMask", channelMask, channelMaskShape(batch));
        return impl.runResident(xs, new Masks(plan, batch, cells, channels), callPolicy, evaluateGates);
    }

    private Nchw checkResident(ResidentInput x, PathPolicy callPolicy) {
        checkOpen();
        if (callPolicy == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
        if (x == null || x.owner != this) {
            throw new IllegalArgumentException("x must be an input imported by this executor");
        }
        if (x.closed) {
            throw new IllegalArgumentException("x is closed");
        }
        return x.shape;
    }

    /**
     * A block input held in the executor's backend, in the layout its primitives read ({@link #importInput}, or
     * {@link #handOverInput} for one that calls may overwrite). Not thread-safe: it belongs to its executor's thread.
     */
    public static final class ResidentInput implements AutoCloseable {
        private final BlockExecutor owner;
        private final Nchw shape;
        private final boolean handedOver;
        private boolean closed;

        private ResidentInput(BlockExecutor owner, Nchw shape, boolean handedOver) {
            this.owner = owner;
            this.shape = shape;
            this.handedOver = handedOver;
        }

        /** Returns whether calls may overwrite this input ({@link BlockExecutor#handOverInput}). */
        public boolean isHandedOver() {
            return handedOver;
        }

        /**
         * Restores a handed-over input that a call consumed from its untouched copy in the backend, so that the next
         * call sees the values it was imported with; nothing to do otherwise (an input that calls never overwrite, or
         * one not used since).
         *
         * @throws IllegalStateException if the input or its executor is closed
         */
        public void refresh() {
            if (closed) {
                throw new IllegalStateException("the resident input is closed");
            }
            owner.checkOpen();
            owner.impl.refreshResident(shape);
        }

        /** Returns the input's shape {@code (B, Cin, Hin, Win)}. */
        public Shape getShape() {
            return new Shape(shape.batch(), shape.channels(), shape.height(), shape.width());
        }

        /** Releases the input's backend memory; the executor may then import another. Idempotent. */
        @Override
        public void close() {
            if (!closed) {
                closed = true;
                owner.impl.releaseResident();
            }
        }
    }

    /** The values of an array as float32 on the host (a converted copy closed again). */
    private static float[] hostValues(NDArray a) {
        NDArray f = a.toType(DataType.FLOAT32, false);
        try {
            return f.toFloatArray();
        } finally {
            if (f != a) {
                f.close();
            }
        }
    }

    private static float[] mask(String name, NDArray mask, Optional<Shape> want) {
        if (want.isEmpty()) {
            if (mask != null) {
                throw new IllegalArgumentException(name + " must be null for this block's gate mode");
            }
            return null;
        }
        if (mask == null || !mask.getShape().equals(want.get())) {
            throw new IllegalArgumentException(name + " must have shape " + want.get() + ", got "
                    + (mask == null ? "null" : mask.getShape()));
        }
        return BlockEngine.requireBinary(name, hostValues(mask));
    }

    private Nchw checkInput(NDArray x, PathPolicy callPolicy) {
        checkOpen();
        if (callPolicy == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
        Checks.rank("x", x, 4, "(B, Cin, Hin, Win)");
        Shape s = x.getShape();
        if (s.get(0) == 0) {
            throw new IllegalArgumentException("empty batch: batch size 0 in x of shape " + s);
        }
        BlockGeometry g = plan.geometry();
        if (s.get(1) != g.inChannels() || s.get(2) != g.inHeight() || s.get(3) != g.inWidth()) {
            throw new IllegalArgumentException("x must have shape (B, " + g.inChannels() + ", " + g.inHeight() + ", "
                    + g.inWidth() + "), got " + s);
        }
        return new Nchw((int) s.get(0), g.inChannels(), g.inHeight(), g.inWidth());
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the executor is closed");
        }
    }

    /** Releases the executor's workspaces and, for its own backend, the folded weights. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            impl.close();
        }
    }

    /** The executor bound to its backend's tensor type. */
    private static final class Impl<T> {
        private static final String UNSAVED = "block executor (not saved)";
        private final Backend<T> backend;
        private final boolean ownsBackend;
        private final Kernels<T> k;
        private final BlockEngine engine;
        private final CalibrationStore calibrations;
        private final Calibrator calibrator;
        private PhaseTimer timer;
        private Kernels.Scope<T> residentScope;
        /** The tensor calls read (and, handed over, overwrite). */
        private T resident;
        /** The untouched copy a handed-over input is restored from; null for an input calls never overwrite. */
        private T residentSource;
        private boolean residentConsumed;

        Impl(Backend<T> backend, boolean ownsBackend, BlockPlan plan, int runs, long seed) {
            this.backend = backend;
            this.ownsBackend = ownsBackend;
            this.engine = new BlockEngine(new BlockWeights(plan, backend), backend);
            this.k = backend.newKernels();
            // the executor's own calibrations are never saved: no machine or structure fingerprint is needed
            this.calibrations = new CalibrationStore(backend.id(), UNSAVED, UNSAVED, 1,
                    CalibrationStore.DEFAULT_CAPACITY);
            this.calibrator = new Calibrator(runs, seed);
        }

        BlockCalibration calibration(int batch) {
            return calibrations.getOrCompute(batch, () -> measure(batch)).get(0);
        }

        private List<BlockCalibration> measure(int batch) {
            return List.of(calibrator.calibrate(k, engine.weights, engine.candidates, batch));
        }

        ExecutionResult run(NDArray x, Nchw xs, Masks imposed, boolean reuse, PathPolicy policy,
                boolean evaluateGates) {
            BlockCalibration cal = callCalibration(xs.batch(), policy);
            NDManager owner = x.getManager();
            if (timer != null) {
                timer.start();
            }
            try (Kernels.Scope<T> scope = k.openScope()) {
                T in = reuse ? k.adoptArray(x, xs) : k.importArray(x, xs);
                BlockEngine.Outcome<T> o = execute(in, xs, imposed, reuse, policy, evaluateGates, cal);
                BlockGeometry g = engine.weights.plan.geometry();
                Nchw os = new Nchw(xs.batch(), g.outChannels(), g.outHeight(), g.outWidth());
                NDArray y = o.output() == in && in == (Object) x ? x : k.exportArray(o.output(), os, owner);
                return new ExecutionResult(y, o.report());
            }
        }

        /** The calibration a call of this policy needs, measured on first need; null when it needs none. */
        private BlockCalibration callCalibration(int batch, PathPolicy policy) {
            List<BlockCalibration> cals = calibrations.forCall(batch, policy, !engine.candidates.isEmpty(),
                    () -> measure(batch));
            return cals == null ? null : cals.get(0);
        }

        /** The gates (evaluated and discarded when masks are imposed, if asked) and the block on a backend input. */
        private BlockEngine.Outcome<T> execute(T in, Nchw xs, Masks imposed, boolean reuse, PathPolicy policy,
                boolean evaluateGates, BlockCalibration cal) {
            if (imposed != null && evaluateGates) {
                GateEvaluator.evaluate(k, engine.weights, in, xs);
            }
            return engine.run(k, in, xs, imposed, reuse, policy, cal, timer, null, 0);
        }

        void importResident(NDArray x, Nchw xs, float[] handedOverValues) {
            if (residentScope != null) {
                throw new IllegalStateException("another input is resident in this executor; close it first");
            }
            Kernels.Scope<T> scope = k.openScope();
            try {
                if (handedOverValues == null) {
                    resident = k.importArray(x, xs);
                } else {
                    // calls overwrite the working copy; the source stays as imported (ReLU copies a non-negative input)
                    residentSource = k.importHost(handedOverValues, xs);
                    resident = k.relu(residentSource, xs);
                }
            } catch (RuntimeException | Error e) {
                resident = null;
                residentSource = null;
                scope.close();
                throw e;
            }
            residentScope = scope;
            residentConsumed = false;
        }

        void refreshResident(Nchw xs) {
            if (!residentConsumed) {
                return;
            }
            // between calls no inner scope is open: the fresh copy belongs to the resident input's scope
            k.release(resident);
            resident = k.relu(residentSource, xs);
            residentConsumed = false;
        }

        void releaseResident() {
            if (residentScope != null) {
                Kernels.Scope<T> scope = residentScope;
                residentScope = null;
                resident = null;
                residentSource = null;
                scope.close();
            }
        }

        ExecutionReport runResident(Nchw xs, Masks imposed, PathPolicy policy, boolean evaluateGates) {
            boolean handedOver = residentSource != null;
            if (handedOver && residentConsumed) {
                throw new IllegalStateException("the handed-over input was consumed by the previous call; refresh it"
                        + " first");
            }
            BlockCalibration cal = callCalibration(xs.batch(), policy);
            if (timer != null) {
                timer.start();
            }
            try (Kernels.Scope<T> scope = k.openScope()) {
                // a preserved input serves many calls; a handed-over one is the network engine's case
                residentConsumed = handedOver;
                BlockEngine.Outcome<T> o = execute(resident, xs, imposed, handedOver, policy, evaluateGates, cal);
                // one value read back: the call has completed also on a backend that queues its work
                k.exportHost(o.output(), 1);
                return o.report();
            }
        }

        void close() {
            releaseResident();
            k.close();
            if (ownsBackend) {
                backend.close();
            }
        }
    }

    /** Builder of a {@link BlockExecutor}. */
    public static final class Builder {
        private AbstractGatedBlock block;
        private BlockPlan blockPlan;
        private NDManager manager;
        private ParameterStore parameterStore;
        private Backend<?> backend;
        private PathPolicy policy = PathPolicy.AUTO;
        private int calibrationRuns = 5;
        private long seed = 7L;
        private boolean reusableReluInput;

        private Builder() {}

        /**
         * Sets the trained, initialised block to execute (this or {@link #setPlan} is required).
         *
         * @param block the block
         * @return this builder
         */
        public Builder setBlock(AbstractGatedBlock block) {
            this.block = block;
            return this;
        }

        /**
         * Sets an already folded block to execute (this or {@link #setBlock} is required).
         *
         * @param plan the block plan
         * @return this builder
         */
        public Builder setPlan(BlockPlan plan) {
            this.blockPlan = plan;
            return this;
        }

        /**
         * Sets the manager under which the executor creates its DJL backend (required unless a backend is given).
         *
         * @param manager the parent manager
         * @return this builder
         */
        public Builder setManager(NDManager manager) {
            this.manager = manager;
            return this;
        }

        /**
         * Sets the parameter store the block's BatchNorms are evaluated through when folding (default: a
         * non-copying store on a temporary manager).
         *
         * @param parameterStore the store
         * @return this builder
         */
        public Builder optParameterStore(ParameterStore parameterStore) {
            this.parameterStore = parameterStore;
            return this;
        }

        /**
         * Runs on a given backend (not closed by the executor) instead of a DJL backend of its own.
         *
         * @param backend the backend
         * @return this builder
         */
        public Builder optBackend(Backend<?> backend) {
            this.backend = backend;
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
         * Sets the seed of the synthetic calibration inputs and masks (default 7).
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
         * it is not used after the call. Then, for a block without downsample, a skipped batch passes its input through
         * as its own output and the LAYER and CHANNEL paths write their samples into the input. Default false: inputs
         * are never modified.
         *
         * @param reusableReluInput whether inputs are non-negative and may be overwritten or returned
         * @return this builder
         */
        public Builder optReusableReluInput(boolean reusableReluInput) {
            this.reusableReluInput = reusableReluInput;
            return this;
        }

        /**
         * Validates, folds the block and builds the executor.
         *
         * @return the executor
         * @throws IllegalArgumentException naming the first missing or invalid field
         */
        public BlockExecutor build() {
            if ((block == null) == (blockPlan == null)) {
                throw new IllegalArgumentException("exactly one of block and plan must be set");
            }
            if (backend == null && manager == null) {
                throw new IllegalArgumentException("manager must be set (or a backend given)");
            }
            if (policy == null) {
                throw new IllegalArgumentException("policy must not be null");
            }
            Checks.positive("calibrationRuns", calibrationRuns);
            BlockPlan p = blockPlan;
            if (p == null) {
                if (parameterStore != null) {
                    p = BlockPlan.of(block, 0, parameterStore);
                } else {
                    try (NDManager m = NDManager.newBaseManager()) {
                        p = BlockPlan.of(block, 0, new ParameterStore(m, false));
                    }
                }
            }
            return new BlockExecutor(this, p);
        }
    }
}
