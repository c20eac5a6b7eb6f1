package org.laudnet.models.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SGD with momentum and AdamW whose state can be saved and restored ({@link #exportState()},
 * {@link #importState(OptimizerState)}), so that a resumed run continues exactly where a checkpoint left it. DJL's own
 * optimizers keep their buffers private and keyed by random parameter ids; this one keys them by parameter name.
 *
 * <p>Per update of a parameter {@code w} with gradient {@code g} (after {@code g &lt;- clip(rescale * g)}), its
 * {@code t}-th update, at learning rate {@code lr = tracker(id, t)} and weight decay {@code wd}:
 *
 * <pre>
 *   SGD:   v &lt;- mu v + (g + wd w);         w &lt;- w - lr v                     (mu = 0: no buffer)
 *   AdamW: m &lt;- b1 m + (1 - b1) g;  s &lt;- b2 s + (1 - b2) g^2
 *          w &lt;- w (1 - lr wd) - lr (m / (1 - b1^t)) / (sqrt(s / (1 - b2^t)) + eps)   (decoupled weight decay)
 * </pre>
 *
 * <p>After an update the parameter's gradient is set to zero (the engine accumulates gradients across backward
 * passes; DJL's built-in optimizers clear them the same way).
 *
 * <p>The state arrays live in a sub-manager of the manager given to the builder; {@link #close()} releases them.
 * Not thread-safe (DJL calls {@link #update} from the training thread).
 */
public final class StatefulOptimizer extends Optimizer implements AutoCloseable {

    private static final NDIndex ALL = new NDIndex("...");

    private final OptimizerKind kind;
    private final ParameterTracker learningRate;
    private final float momentum;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float weightDecay;
    private final int beginUpdate;
    /** Parameter id -> name. */
    private final Map<String, String> names = new HashMap<>();
    /** Parameter name -> shape, in the block's order. */
    private final Map<String, Shape> shapes = new LinkedHashMap<>();
    private final Map<String, Slots> state = new HashMap<>();
    private final NDManager manager;

    /** Mutable per-parameter state. */
    private static final class Slots {
        int updates;
        final NDArray[] arrays;

        Slots(int updates, NDArray[] arrays) {
            this.updates = updates;
            this.arrays = arrays;
        }
    }

    private StatefulOptimizer(Builder b) {
        super(b);
        this.kind = b.kind;
        this.learningRate = b.learningRate;
        this.momentum = b.momentum;
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.epsilon = b.epsilon;
        this.weightDecay = b.weightDecay;
        this.beginUpdate = b.beginUpdate;
        for (Pair<String, Parameter> p : b.block.getParameters()) {
            names.put(p.getValue().getId(), p.getKey());
            if (p.getValue().isInitialized()) {
                shapes.put(p.getKey(), p.getValue().getArray().getShape());
            }
        }
        this.manager = b.manager.newSubManager();
    }

    /**
     * Returns a builder.
     *
     * @param kind SGD (with momentum) or AdamW
     * @return the builder
     */
    public static Builder builder(OptimizerKind kind) {
        if (kind == null) {
            throw new IllegalArgumentException("kind must not be null");
        }
        return new Builder(kind);
    }

    /** Returns the algorithm. */
    public OptimizerKind getKind() {
        return kind;
    }

    /**
     * Returns how many updates the named parameter has received (including the builder's begin count).
     *
     * @param name a parameter name of the block
     * @return the update count, or the begin count if it has not been updated
     */
    public int updates(String name) {
        Slots s = state.get(name);
        return s == null ? beginUpdate : s.updates;
    }

    /** {@inheritDoc} */
    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        String name = names.getOrDefault(parameterId, parameterId);
        Slots s = state.computeIfAbsent(name, k -> new Slots(beginUpdate, newArrays(weight.getShape())));
        int t = ++s.updates;
        float lr = learningRate.getNewValue(parameterId, t);
        if (!Float.isFinite(lr) || lr < 0) {
            throw new IllegalStateException("learning rate of " + name + " at update " + t + " is " + lr);
        }
        try (NDManager sub = manager.newSubManager()) {
            NDArray g = own(sub, grad.duplicate());
            if (rescaleGrad != 1f) {
                g = g.muli(rescaleGrad);
            }
            if (clipGrad > 0) {
                g = g.clip(-clipGrad, clipGrad);
            }
            switch (kind) {
                case SGD -> {
                    if (weightDecay != 0f) {
                        g = g.addi(own(sub, weight.mul(weightDecay)));
                    }
                    NDArray step = g;
                    if (s.arrays.length > 0) {
                        NDArray v = s.arrays[0];
                        v.muli(momentum).addi(g);
                        step = own(sub, v.mul(lr));
                    } else {
                        step = g.muli(lr);
                    }
                    weight.subi(step);
                }
                case ADAMW -> {
                    NDArray m = s.arrays[0];
                    NDArray v = s.arrays[1];
                    m.muli(beta1).addi(g.mul(1f - beta1));
                    v.muli(beta2).addi(g.square().muli(1f - beta2));
                    float c1 = (float) (1 - Math.pow(beta1, t));
                    float c2 = (float) (1 - Math.pow(beta2, t));
                    NDArray denom = own(sub, v.div(c2)).sqrt().addi(epsilon);
                    NDArray step = own(sub, m.div(c1)).divi(denom).muli(lr);
                    if (weightDecay != 0f) {
                        weight.muli(1f - lr * weightDecay);
                    }
                    weight.subi(step);
                }
                default -> throw new IllegalStateException("unknown optimizer " + kind);
            }
            // the engine accumulates gradients across backward passes: clear them once consumed
            grad.set(ALL, 0f);
            if (weight.hasGradient()) {
                own(sub, weight.getGradient()).set(ALL, 0f);
            }
        }
    }

    private static NDArray own(NDManager sub, NDArray a) {
        a.attach(sub);
        return a;
    }

    private NDArray[] newArrays(Shape shape) {
        int n = switch (kind) {
            case SGD -> momentum == 0f ? 0 : 1;
            case ADAMW -> 2;
        };
        NDArray[] a = new NDArray[n];
        for (int i = 0; i < n; i++) {
            a[i] = manager.zeros(shape);
        }
        return a;
    }

    /**
     * Copies the state to the host, keyed by parameter name in the block's parameter order (parameters that have not
     * been updated yet are left out).
     *
     * @return the state
     */
    public OptimizerState exportState() {
        Map<String, OptimizerState.ParameterSlots> out = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            Slots s = state.get(e.getKey());
            if (s == null) {
                continue;
            }
            List<float[]> slots = new ArrayList<>(s.arrays.length);
            for (NDArray a : s.arrays) {
                slots.add(a.toFloatArray());
            }
            out.put(e.getKey(), new OptimizerState.ParameterSlots(s.updates, e.getValue().getShape(), slots));
        }
        return new OptimizerState(kind.name(), out);
    }

    /**
     * Replaces the state with a saved one. Everything is checked before anything changes.
     *
     * @param saved a state exported by an optimizer of the same kind for the same architecture
     * @throws IllegalArgumentException if the algorithm differs, a parameter name is unknown, a shape or the slot
     *     count does not fit (the message names the parameter and both values)
     */
    public void importState(OptimizerState saved) {
        if (saved == null) {
            throw new IllegalArgumentException("saved must not be null");
        }
        if (!kind.name().equals(saved.algorithm())) {
            throw new IllegalArgumentException("the saved optimizer state is of " + saved.algorithm()
                    + ", this optimizer is " + kind);
        }
        int wantSlots = newArrays(new Shape(0)).length;
        for (Map.Entry<String, OptimizerState.ParameterSlots> e : saved.parameters().entrySet()) {
            Shape shape = shapes.get(e.getKey());
            if (shape == null) {
                throw new IllegalArgumentException("the saved optimizer state has parameter " + e.getKey()
                        + ", which the network does not have");
            }
            if (!Arrays.equals(shape.getShape(), e.getValue().shape())) {
                throw new IllegalArgumentException("the saved optimizer state of " + e.getKey() + " has shape "
                        + Arrays.toString(e.getValue().shape()) + ", the parameter " + shape);
            }
            if (e.getValue().slots().size() != wantSlots) {
                throw new IllegalArgumentException("the saved optimizer state of " + e.getKey() + " has "
                        + e.getValue().slots().size() + " slots, " + kind + " with momentum " + momentum + " needs "
                        + wantSlots);
            }
        }
        for (Slots s : state.values()) {
            for (NDArray a : s.arrays) {
                a.close();
            }
        }
        state.clear();
        for (Map.Entry<String, OptimizerState.ParameterSlots> e : saved.parameters().entrySet()) {
            Shape shape = shapes.get(e.getKey());
            List<float[]> slots = e.getValue().slots();
            NDArray[] arrays = new NDArray[slots.size()];
            for (int i = 0; i < arrays.length; i++) {
                arrays[i] = manager.create(slots.get(i), shape);
            }
            state.put(e.getKey(), new Slots(e.getValue().updates(), arrays));
        }
    }

    /** Releases the state arrays. */
    @Override
    public void close() {
        state.clear();
        manager.close();
    }

    /** Builder of a {@link StatefulOptimizer}. */
    public static final class Builder extends OptimizerBuilder<Builder> {
        private final OptimizerKind kind;
        private Block block;
        private NDManager manager;
        private ParameterTracker learningRate;
        private float momentum = 0.9f;
        private float beta1 = 0.9f;
        private float beta2 = 0.999f;
        private float epsilon = 1e-8f;
        private float weightDecay;
        private int beginUpdate;

        private Builder(OptimizerKind kind) {
            this.kind = kind;
        }

        /** {@inheritDoc} */
        @Override
        protected Builder self() {
            return this;
        }

        /**
         * Sets the trained block (required): its parameter ids are mapped to names, and its initialised parameters'
         * shapes validate imported state.
         *
         * @param block the block
         * @return this builder
         */
        public Builder setBlock(Block block) {
            this.block = block;
            return this;
        }

        /**
         * Sets the manager under which the state arrays are kept (required).
         *
         * @param manager the parent manager
         * @return this builder
         */
        public Builder setManager(NDManager manager) {
            this.manager = manager;
            return this;
        }

        /**
         * Sets the learning-rate schedule, per parameter id and update count (required).
         *
         * @param tracker the schedule
         * @return this builder
         */
        public Builder setLearningRateTracker(ParameterTracker tracker) {
            this.learningRate = tracker;
            return this;
        }

        /**
         * Sets the SGD momentum {@code mu} (default 0.9; ignored by AdamW).
         *
         * @param momentum in [0, 1)
         * @return this builder
         */
        public Builder optMomentum(float momentum) {
            this.momentum = momentum;
            return this;
        }

        /**
         * Sets AdamW's moment decay rates (default 0.9 and 0.999).
         *
         * @param beta1 first-moment decay in [0, 1)
         * @param beta2 second-moment decay in [0, 1)
         * @return this builder
         */
        public Builder optBetas(float beta1, float beta2) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        /**
         * Sets AdamW's {@code eps} (default 1e-8).
         *
         * @param epsilon positive
         * @return this builder
         */
        public Builder optEpsilon(float epsilon) {
            this.epsilon = epsilon;
            return this;
        }

        /**
         * Sets the weight decay {@code wd} (default 0): coupled (added to the gradient) for SGD, decoupled for AdamW.
         *
         * @param weightDecay non-negative
         * @return this builder
         */
        public Builder optWeightDecay(float weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /**
         * Sets the update count a parameter starts from when it has no saved state (default 0), so that schedules
         * continue after a resume from a checkpoint without optimizer state.
         *
         * @param beginUpdate non-negative
         * @return this builder
         */
        public Builder optBeginUpdate(int beginUpdate) {
            this.beginUpdate = beginUpdate;
            return this;
        }

        /**
         * Validates and builds the optimizer.
         *
         * @return the optimizer
         * @throws IllegalArgumentException naming the first missing or invalid setting
         */
        public StatefulOptimizer build() {
            if (block == null) {
                throw new IllegalArgumentException("block must be set");
            }
            if (manager == null) {
                throw new IllegalArgumentException("manager must be set");
            }
            if (learningRate == null) {
                throw new IllegalArgumentException("learning-rate tracker must be set");
            }
            if (!(momentum >= 0 && momentum < 1)) {
                throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
            }
            if (!(beta1 >= 0 && beta1 < 1)) {
                throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
            }
            if (!(beta2 >= 0 && beta2 < 1)) {
                throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
            }
            if (!(epsilon > 0) || !Float.isFinite(epsilon)) {
                throw new IllegalArgumentException("epsilon must be positive, got " + epsilon);
            }
            if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) {
                throw new IllegalArgumentException("weightDecay must be non-negative, got " + weightDecay);
            }
            if (beginUpdate < 0) {
                throw new IllegalArgumentException("beginUpdate must be non-negative, got " + beginUpdate);
            }
            return new StatefulOptimizer(this);
        }
    }
}
