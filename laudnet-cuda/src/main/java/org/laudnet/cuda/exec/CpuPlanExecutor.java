package org.laudnet.cuda.exec;

import java.util.List;
import org.laudnet.cuda.plan.LaudPlan;

/**
 * Pure-Java executor of a {@link LaudPlan}: the sparse algorithm of the CUDA executor run with the
 * {@link org.laudnet.cuda.CpuKernels} reference operations (double accumulation). It is the reference the GPU results
 * are checked against and the fallback where no GPU exists; it is not tuned for speed.
 */
public final class CpuPlanExecutor implements LaudExecutor {

    private final PlanEngine<HostBackend.Tensor> engine;
    private final String description;

    /**
     * Creates the executor.
     *
     * @param plan the plan
     */
    public CpuPlanExecutor(LaudPlan plan) {
        this(plan, "CPU reference executor");
    }

    /**
     * Creates the executor with a description (e.g. why the CPU was chosen).
     *
     * @param plan the plan
     * @param description the text {@link #description()} returns
     */
    public CpuPlanExecutor(LaudPlan plan, String description) {
        if (plan == null) {
            throw new IllegalArgumentException("plan must not be null");
        }
        this.engine = new PlanEngine<>(plan, new HostBackend());
        this.description = description;
    }

    /** {@inheritDoc} */
    @Override
    public float[] run(float[] images, int batch) {
        LaudPlan p = engine.plan();
        requireInput(images, batch, p.inputChannels(), p.inputSize());
        HostBackend.Tensor logits = engine.forward(new HostBackend.Tensor(images.clone(), null), batch);
        return engine.backend().read(logits, batch * p.numClasses());
    }

    /**
     * Runs one block alone.
     *
     * @param index block index
     * @param x block input {@code (B, Cin, H, H)}
     * @param batch {@code B}
     * @return block output {@code (B, Cout, Ho, Ho)}
     */
    public float[] runBlock(int index, float[] x, int batch) {
        if (index < 0 || index >= engine.plan().blocks().size()) {
            throw new IllegalArgumentException("index must be in [0, " + engine.plan().blocks().size() + "), got "
                    + index);
        }
        var b = engine.plan().blocks().get(index);
        requireInput(x, batch, b.inChannels(), b.inSize());
        HostBackend.Tensor y = engine.runBlock(index, new HostBackend.Tensor(x.clone(), null), batch);
        return engine.backend().read(y, batch * b.outChannels() * b.outSize() * b.outSize());
    }

    static void requireInput(float[] x, int batch, int channels, int size) {
        if (batch <= 0) {
            throw new IllegalArgumentException("batch must be positive, got " + batch);
        }
        long n = (long) batch * channels * size * size;
        if (x == null || x.length != n) {
            throw new IllegalArgumentException("input must have B*C*H*W = " + batch + "*" + channels + "*" + size + "*"
                    + size + " = " + n + " elements, got " + (x == null ? "null" : x.length));
        }
    }

    /** {@inheritDoc} */
    @Override
    public LaudPlan plan() {
        return engine.plan();
    }

    /** {@inheritDoc} */
    @Override
    public List<BlockDecision> lastDecisions() {
        return engine.decisions();
    }

    /** {@inheritDoc} */
    @Override
    public void setGateOverride(GateOverride override) {
        engine.setOverride(override);
    }

    /** {@inheritDoc} */
    @Override
    public void setDenseAbove(int blockIndex, double density) {
        engine.setDenseAbove(blockIndex, density);
    }

    /** {@inheritDoc} */
    @Override
    public String description() {
        return description;
    }

    /** {@inheritDoc} */
    @Override
    public void close() {
        engine.close();
    }
}
