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

    /**
     * Makes block {@code blockIndex} run masked dense (whole branch, then {@code ReLU(identity)} over the skipped
     * cells or samples) whenever the density of its spatial or layer decisions exceeds {@code density}; below it the
     * block runs sparse. Results are the same either way (method section 4); only the cost differs. The default,
     * {@code +inf}, always runs sparse; channel-only blocks always use weight slices.
     *
     * @param blockIndex block index
     * @param density threshold, {@code >= 0}
     */
    void setDenseAbove(int blockIndex, double density);

    /** Returns where and why this executor runs, e.g. {@code "CUDA on NVIDIA H200 (shipped PTX sm_90)"}. */
    String description();

    /** Releases the executor's resources. */
    @Override
    void close();
}
