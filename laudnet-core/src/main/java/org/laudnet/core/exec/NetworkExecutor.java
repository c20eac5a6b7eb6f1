package org.laudnet.core.exec;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * Eval-mode inference of an {@link org.laudnet.core.plan.InferencePlan} on its runtime's backend, with the gates
 * turned into skipped work (method section 4): per block the gates decide, the cheapest path for those decisions runs
 * (see {@link PathPolicy}), and a {@link GateReport} says what was decided and done. The logits equal the network's
 * masked-dense eval forward up to float rounding (relative error {@code <= 1e-4}).
 *
 * <p>Created by {@link PlanRuntime#newExecutor()}; shares the runtime's weights and calibrations. Not thread-safe: use
 * one executor per thread (executors are cheap: their own state is workspaces and index caches). Memory: every call
 * works in its own scope that is closed before it returns; only the logits survive, owned by the input's manager (or
 * copied to the host).
 */
public final class NetworkExecutor implements AutoCloseable {

    private final NetworkEngine<?> engine;
    private boolean closed;

    NetworkExecutor(NetworkEngine<?> engine) {
        this.engine = engine;
    }

    /** Returns the runtime this executor runs on. */
    public PlanRuntime<?> runtime() {
        return engine.runtime;
    }

    /** Returns the executor's options. */
    public ExecutorOptions options() {
        return engine.options();
    }

    /**
     * Sets (or, with null, removes) a timer that receives the time of each execution phase of later calls; a profiling
     * aid (on an asynchronous backend the phases measure queueing).
     *
     * @param timer the timer, or null
     */
    public void setPhaseTimer(PhaseTimer timer) {
        engine.setPhaseTimer(timer);
    }

    /**
     * Returns how many backend primitives this executor has created on first use and keeps
     * ({@link Kernels#primitivesCreated()}): the count settles once calls stop meeting new shapes, so a caller that
     * wants steady-state latency (a service's warm-up, a benchmark) can run calls until it stops growing. 0 on a
     * backend that keeps none.
     *
     * @return the number
     */
    public long primitivesCreated() {
        return engine.k.primitivesCreated();
    }

    /**
     * Sets (or, with null, removes) an override of the gates' decisions for later calls: benchmarks and checks measure
     * a network at imposed densities with it. The maskers still run.
     *
     * @param override the override, or null
     */
    public void setGateOverride(GateOverride override) {
        engine.setGateOverride(override);
    }

    /**
     * Runs the network on a batch of images held by the engine.
     *
     * <p>The input is checked once, before any work: an empty batch ({@code "empty batch: batch size 0"}), a wrong
     * rank, channel count or image size, and a NaN or infinite value (element-wise, naming the sample and the
     * position; large finite values are accepted) are refused with an {@link IllegalArgumentException}.
     *
     * @param images {@code (B, C, S, S)} float32, finite, with the plan's {@code C} and {@code S}, {@code B >= 1}
     * @return the logits {@code (B, classes)} (owned by the images' manager) and the gate report
     * @throws IllegalArgumentException if the shape, the data type or a value is invalid (the message says which)
     * @throws IllegalStateException if the executor is closed
     */
    public NetworkExecution run(NDArray images) {
        return run(images, engine.options().policy());
    }

    /**
     * Runs the network on a batch of images held by the engine, with another path policy for this call.
     *
     * @param images {@code (B, C, S, S)} float32, finite
     * @param policy the path policy of this call
     * @return the logits {@code (B, classes)} (owned by the images' manager) and the gate report
     * @throws IllegalArgumentException if the input or the policy is invalid
     */
    public NetworkExecution run(NDArray images, PathPolicy policy) {
        checkOpen();
        if (images == null) {
            throw new IllegalArgumentException("images must not be null");
        }
        if (images.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("images must be float32, got " + images.getDataType());
        }
        int batch = InputChecks.batchOf(images.getShape(), engine.inputShape(1));
        InputChecks.requireFinite(images, engine.inputShape(batch));
        return runArray(engine, images, batch, checkPolicy(policy));
    }

    /**
     * Runs the network on a batch of images held on the host.
     *
     * @param images {@code (B, C, S, S)} row-major, finite
     * @param batch {@code B}, positive
     * @return the logits and the gate report
     * @throws IllegalArgumentException if the array length does not match the batch or a value is not finite
     */
    public HostExecution run(float[] images, int batch) {
        return run(images, batch, engine.options().policy());
    }

    /**
     * Runs the network on a batch of images held on the host, with another path policy for this call.
     *
     * @param images {@code (B, C, S, S)} row-major, finite
     * @param batch {@code B}, positive
     * @param policy the path policy of this call
     * @return the logits and the gate report
     * @throws IllegalArgumentException if the input or the policy is invalid
     */
    public HostExecution run(float[] images, int batch, PathPolicy policy) {
        checkOpen();
        if (images == null) {
            throw new IllegalArgumentException("images must not be null");
        }
        InputChecks.batch(batch);
        Nchw xs = engine.inputShape(batch);
        if (images.length != (long) xs.size()) {
            throw new IllegalArgumentException("images must hold B x C x S x S = " + batch + " x " + xs.channels()
                    + " x " + xs.height() + " x " + xs.width() + " = " + (long) xs.size() + " values, got "
                    + images.length);
        }
        InputChecks.requireFinite(images, xs);
        return runHost(engine, images, batch, checkPolicy(policy));
    }

    private static <T> NetworkExecution runArray(NetworkEngine<T> e, NDArray images, int batch, PathPolicy policy) {
        Kernels<T> k = e.k;
        int classes = e.runtime.plan().numClasses();
        NDManager owner = images.getManager();
        List<ExecutionReport> reports = new ArrayList<>();
        NDArray logits;
        try (Kernels.Scope<T> scope = k.openScope()) {
            T x = k.importArray(images, e.inputShape(batch));
            T out = e.forward(x, batch, policy, reports);
            // the (B, classes) logits are copied out: a few floats, and no view of a buffer the scope frees
            logits = owner.create(k.exportHost(out, batch * classes), new Shape(batch, classes));
        }
        return new NetworkExecution(logits, e.report(reports, batch));
    }

    private static <T> HostExecution runHost(NetworkEngine<T> e, float[] images, int batch, PathPolicy policy) {
        Kernels<T> k = e.k;
        int classes = e.runtime.plan().numClasses();
        List<ExecutionReport> reports = new ArrayList<>();
        float[] logits;
        try (Kernels.Scope<T> scope = k.openScope()) {
            T x = k.importHost(images, e.inputShape(batch));
            T out = e.forward(x, batch, policy, reports);
            logits = k.exportHost(out, batch * classes);
        }
        return new HostExecution(logits, batch, classes, e.report(reports, batch));
    }

    private static PathPolicy checkPolicy(PathPolicy policy) {
        if (policy == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
        return policy;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the executor is closed");
        }
    }

    /** Releases the executor's workspaces (the runtime's weights stay). */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            engine.close();
        }
    }
}
