package org.laudnet.cuda.exec;

import java.util.List;
import org.laudnet.cuda.plan.LaudPlan;

/**
 * Eval-mode inference of a {@link LaudPlan} on host arrays: {@code logits (B, classes) = network(images)} with the
 * gates applied sparsely (method section 4). Implementations are not thread-safe.
 */
public interface LaudExecutor extends AutoCloseable {

    /**
     * Runs the network.
     *
     * @param images {@code (B, C, S, S)} row-major, {@code C} and {@code S} those of the plan
     * @param batch {@code B}, at least 1
     * @return logits {@code (B, classes)}
     * @throws IllegalArgumentException if {@code images} does not have {@code B C S S} elements
     */
    float[] run(float[] images, int batch);

    /** Returns the executed plan. */
    LaudPlan plan();

    /** Returns the keep decisions of every block in the last call, in block order. */
    List<BlockDecision> lastDecisions();

    /**
     * Sets (or clears, with {@code null}) decisions that replace the gates' after the maskers ran.
     *
     * @param override the override
     */
    void setGateOverride(GateOverride override);

    /** Returns where and why this executor runs, e.g. {@code "CUDA on NVIDIA H200 (shipped PTX sm_90)"}. */
    String description();

    /** Releases the executor's resources. */
    @Override
    void close();
}
