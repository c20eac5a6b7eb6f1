package org.laudnet.bench.experiment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.exec.BlockExecutor;
import org.laudnet.core.exec.ExecutionReport;
import org.laudnet.core.exec.ExecutionResult;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.models.resnet.LaudResNet;

/**
 * Eval-mode sparse execution of a whole {@link LaudResNet}: the network's stem, one {@link BlockExecutor} per residual
 * block (BatchNorm folded, gates evaluated with {@code keep >= skip}, sparse path chosen by the executors' cost
 * models), and the network's head.
 *
 * <pre>
 *   x (B, C, H, W) -> runStem -> executor_1 ... executor_n -> runHead -> logits (B, classes)
 * </pre>
 *
 * The logits equal {@code net.run(ps, x, false).logits()} up to float rounding. Not thread-safe.
 */
public final class SparseNetwork implements AutoCloseable {

    private final LaudResNet network;
    private final ParameterStore parameterStore;
    private final List<BlockExecutor> executors;
    private final List<ExecutionReport> lastReports = new ArrayList<>();

    /**
     * Builds one executor per block.
     *
     * @param network an initialised network
     * @param manager the parent manager of the executors' folded weights
     * @param policy the executors' path policy
     */
    public SparseNetwork(LaudResNet network, NDManager manager, PathPolicy policy) {
        if (network == null || manager == null || policy == null) {
            throw new IllegalArgumentException("network, manager and policy must not be null");
        }
        this.network = network;
        this.parameterStore = new ParameterStore(manager, false);
        List<BlockExecutor> list = new ArrayList<>();
        for (GatedResidualBlock block : network.getBlocks()) {
            list.add(BlockExecutor.builder()
                    .setBlock(block)
                    .setManager(manager)
                    .optParameterStore(parameterStore)
                    .optPolicy(policy)
                    .build());
        }
        this.executors = List.copyOf(list);
    }

    /**
     * Fits the executors' cost models for a batch size, so that the measurement stays out of timed loops.
     *
     * @param batch the batch size, positive
     */
    public void calibrate(int batch) {
        for (BlockExecutor e : executors) {
            e.calibrate(batch);
        }
    }

    /**
     * Runs the network.
     *
     * @param x images {@code (B, C, H, W)}
     * @return logits {@code (B, classes)}, attached to {@code x}'s manager
     */
    public NDArray run(NDArray x) {
        lastReports.clear();
        NDArray h = network.runStem(parameterStore, x, false);
        for (BlockExecutor e : executors) {
            ExecutionResult r = e.run(h);
            lastReports.add(r.report());
            h = r.output();
        }
        return network.runHead(parameterStore, h, false);
    }

    /** Returns the executors' reports of the last {@link #run} call, in block order. */
    public List<ExecutionReport> lastReports() {
        return List.copyOf(lastReports);
    }

    /** Releases the executors' folded weights. */
    @Override
    public void close() {
        for (BlockExecutor e : executors) {
            e.close();
        }
    }
}
