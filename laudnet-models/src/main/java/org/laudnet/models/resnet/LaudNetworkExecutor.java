package org.laudnet.models.resnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.laudnet.core.block.ResidualBlockLayers;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.exec.BlockExecutor;
import org.laudnet.core.exec.ExecutionReport;
import org.laudnet.core.exec.ExecutionResult;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.StemExecutor;
import org.laudnet.models.regnet.LaudRegNet;

/**
 * Eval-mode inference of a trained {@link LaudResNet} or {@link LaudRegNet} through the sparse executors (method
 * section 4): the stem runs through a {@link StemExecutor} (its BatchNorm folded into the convolution), every residual
 * block through its own {@link BlockExecutor} (built from the block's {@link ResidualBlockLayers}), which turns the
 * block's gate masks into skipped work, and the head as in the network's {@code run} with {@code training = false}.
 *
 * <pre>
 *   x (B, C, H, W) -> StemExecutor -> BlockExecutor_1 .. BlockExecutor_n -> avg pool + fc -> logits (B, classes)
 *   dynamic MACs = stem + head + sum_b [BlockCost_b.dynamicMacs(densities_b) + dc_b * seMacs_b]   (maskers included;
 *                  seMacs_b = 0 for ResNet blocks, the squeeze-excitation's 2 w q for RegNetY blocks)
 * </pre>
 *
 * The logits equal {@code net.run(ps, x, false).logits()} up to float rounding (relative error {@code <= 1e-4}). The
 * executors fold the BatchNorms when the executor is built, so parameter changes afterwards are not seen; build a new
 * executor after training. Closing the executor releases the folded weights; the network stays usable.
 * Not thread-safe.
 */
public final class LaudNetworkExecutor implements AutoCloseable {

    /**
     * What one call computed.
     *
     * @param logits class scores {@code (B, classes)}, owned by the input's manager
     * @param reports the per-block execution reports, in network order (path taken, densities, MACs ratio)
     * @param dynamicMacs MACs of the whole network at this batch's densities (stem, head and maskers included)
     * @param staticMacs MACs of the static network
     */
    public record NetworkExecution(NDArray logits, List<ExecutionReport> reports, double dynamicMacs,
            long staticMacs) {

        /** Returns {@code dynamicMacs / staticMacs}. */
        public double macsRatio() {
            return dynamicMacs / staticMacs;
        }

        /** Returns the densities of every block, in network order. */
        public List<BlockDensities> densities() {
            return reports.stream().map(ExecutionReport::densities).toList();
        }
    }

    private final GatedNetwork net;
    private final NDManager manager;
    private final ParameterStore ps;
    private final StemExecutor stem;
    private final List<BlockExecutor> executors;
    private boolean closed;

    private LaudNetworkExecutor(Builder b) {
        this.net = b.net;
        this.manager = b.manager.newSubManager();
        this.ps = new ParameterStore(manager, false);
        List<BlockExecutor> list = new ArrayList<>();
        StemExecutor stemExecutor = null;
        try {
            stemExecutor = net.stemExecutor(ps, manager);
            for (ResidualBlockLayers block : net.blockLayers()) {
                list.add(BlockExecutor.builder()
                        .setLayers(block)
                        .setManager(manager)
                        .optParameterStore(ps)
                        .optPolicy(b.policy)
                        // every block input is a ReLU output this executor owns: the stem's or a block's
                        .optReusableReluInput(true)
                        .build());
            }
        } catch (RuntimeException e) {
            list.forEach(BlockExecutor::close);
            if (stemExecutor != null) {
                stemExecutor.close();
            }
            manager.close();
            throw e;
        }
        this.stem = stemExecutor;
        this.executors = Collections.unmodifiableList(list);
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the executed network (a {@link LaudResNet} or a {@link LaudRegNet}). */
    public GatedNetwork getNetwork() {
        return net;
    }

    /** Returns the block executors, in network order. */
    public List<BlockExecutor> getExecutors() {
        return executors;
    }

    /**
     * Fits every block executor's path cost models for a batch size ({@link BlockExecutor#calibrate(int)}), so that
     * the measurement stays out of a timed loop; the first {@link PathPolicy#AUTO} call of a batch size does it
     * otherwise.
     *
     * @param batch the batch size, positive
     * @throws IllegalArgumentException if {@code batch} is not positive
     * @throws IllegalStateException if the executor is closed
     */
    public void calibrate(int batch) {
        if (closed) {
            throw new IllegalStateException("the executor is closed");
        }
        for (BlockExecutor e : executors) {
            e.calibrate(batch);
        }
    }

    /**
     * Runs the network on a batch.
     *
     * @param x images {@code (B, C, H, W)} with {@code H = W = inputSize}
     * @return logits, per-block reports and MACs
     * @throws IllegalArgumentException if {@code x} does not have the network's input shape
     * @throws IllegalStateException if the executor is closed
     */
    public NetworkExecution run(NDArray x) {
        if (closed) {
            throw new IllegalStateException("the executor is closed");
        }
        int channels = net.getStem().inChannels();
        int size = net.getInputSize();
        if (x.getShape().dimension() != 4 || x.getShape().get(1) != channels || x.getShape().get(2) != size
                || x.getShape().get(3) != size) {
            throw new IllegalArgumentException("x must have shape (B, " + channels + ", " + size + ", " + size
                    + "), got " + x.getShape());
        }
        NDManager owner = x.getManager();
        try (NDManager step = owner.newSubManager()) {
            NDArray input = x.duplicate();
            input.attach(step);
            NDArray h = stem.run(input);
            List<ExecutionReport> reports = new ArrayList<>(executors.size());
            double macs = net.stemMacs() + net.headMacs();
            for (int i = 0; i < executors.size(); i++) {
                ExecutionResult r = executors.get(i).run(h);
                h = r.output();
                reports.add(r.report());
                macs += net.blockDynamicMacs(i, r.report().densities());
            }
            NDArray logits = net.runHead(ps, h, false);
            logits.attach(owner);
            return new NetworkExecution(logits, List.copyOf(reports), macs, net.staticMacs());
        }
    }

    /** Releases every executor's folded weights. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            executors.forEach(BlockExecutor::close);
            stem.close();
            manager.close();
        }
    }

    /** Builder of a {@link LaudNetworkExecutor}. */
    public static final class Builder {
        private GatedNetwork net;
        private NDManager manager;
        private PathPolicy policy = PathPolicy.AUTO;

        private Builder() {}

        /**
         * Sets the trained, initialised network (required): a {@link LaudResNet}, or a {@link LaudRegNet} whose
         * blocks' squeeze-excitations run inside the block executors.
         *
         * @param net the network
         * @return this builder
         */
        public Builder setNetwork(GatedNetwork net) {
            this.net = net;
            return this;
        }

        /**
         * Sets the manager under which the executor keeps its folded weights (required).
         *
         * @param manager the parent manager
         * @return this builder
         */
        public Builder setManager(NDManager manager) {
            this.manager = manager;
            return this;
        }

        /**
         * Sets the path policy of every block executor (default {@link PathPolicy#AUTO}).
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder optPolicy(PathPolicy policy) {
            this.policy = policy;
            return this;
        }

        /**
         * Validates and builds the executor (folds every block's BatchNorms).
         *
         * @return the executor
         * @throws IllegalArgumentException naming the first missing or invalid field
         */
        public LaudNetworkExecutor build() {
            if (net == null) {
                throw new IllegalArgumentException("net must be set");
            }
            if (!net.isInitialized()) {
                throw new IllegalArgumentException("net must be initialised");
            }
            if (manager == null) {
                throw new IllegalArgumentException("manager must be set");
            }
            if (policy == null) {
                throw new IllegalArgumentException("policy must not be null");
            }
            return new LaudNetworkExecutor(this);
        }
    }
}
