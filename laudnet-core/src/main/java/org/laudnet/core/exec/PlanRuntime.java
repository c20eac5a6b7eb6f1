package org.laudnet.core.exec;

import java.util.List;
import java.util.Locale;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.core.util.Checks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link InferencePlan} bound to a {@link Backend}: the plan's weights uploaded once (and {@link Backend#prepare
 * prepared} for batch size 1, e.g. reordered into oneDNN's layouts), the path-cost calibrations,
 * and a factory of executors. This is the shared, thread-safe part of a deployed model: create one per model and
 * backend, then one {@link NetworkExecutor} per thread ({@link #newExecutor()}); N executors share one copy of the
 * weights (and of every cached channel slice) and one calibration per batch size, measured with the runtime's
 * {@link CalibrationSettings}.
 *
 * <p>Calibration: under {@link PathPolicy#AUTO} an executor needs, per batch size, each gated block's measured path
 * costs. The first call at a new batch size measures them (once per runtime; concurrent callers wait for it); call
 * {@link #calibrate(int...)} ahead of time to keep that out of live requests, and {@link CalibrationStore#save} /
 * {@link CalibrationStore#load} to reuse it across restarts.
 *
 * @param <T> the backend's tensor type
 */
public final class PlanRuntime<T> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PlanRuntime.class);

    private final InferencePlan plan;
    private final Backend<T> backend;
    private final PlanWeights weights;
    private final CalibrationStore calibrations;
    private final CalibrationSettings calibrationSettings;
    private volatile boolean closed;

    private PlanRuntime(InferencePlan plan, Backend<T> backend, int calibrationCapacity,
            CalibrationSettings calibrationSettings) {
        this.plan = plan;
        this.backend = backend;
        this.weights = new PlanWeights(plan, backend);
        backend.prepare(plan, 1);
        this.calibrations = new CalibrationStore(backend.id(), CalibrationStore.machineFingerprint(backend),
                CalibrationStore.structureFingerprint(plan, backend.spatialSchedules()), plan.blocks().size(),
                calibrationCapacity);
        this.calibrationSettings = calibrationSettings;
    }

    /**
     * Uploads a plan's weights to a backend, with the default calibration capacity and settings. The runtime owns the
     * backend from now on and closes it.
     *
     * @param plan the plan
     * @param backend the backend
     * @param <T> the backend's tensor type
     * @return the runtime
     */
    public static <T> PlanRuntime<T> create(InferencePlan plan, Backend<T> backend) {
        return create(plan, backend, CalibrationStore.DEFAULT_CAPACITY, CalibrationSettings.defaults());
    }

    /**
     * Uploads a plan's weights to a backend, keeping calibrations for at most {@code calibrationCapacity} batch sizes.
     *
     * @param plan the plan
     * @param backend the backend (owned by the runtime from now on)
     * @param calibrationCapacity the most batch sizes whose calibration is kept, positive
     * @param <T> the backend's tensor type
     * @return the runtime
     */
    public static <T> PlanRuntime<T> create(InferencePlan plan, Backend<T> backend, int calibrationCapacity) {
        return create(plan, backend, calibrationCapacity, CalibrationSettings.defaults());
    }

    /**
     * Uploads a plan's weights to a backend, measuring path costs with the given settings.
     *
     * @param plan the plan
     * @param backend the backend (owned by the runtime from now on)
     * @param calibrationSettings how path costs are measured, for every executor of the runtime
     * @param <T> the backend's tensor type
     * @return the runtime
     */
    public static <T> PlanRuntime<T> create(InferencePlan plan, Backend<T> backend,
            CalibrationSettings calibrationSettings) {
        return create(plan, backend, CalibrationStore.DEFAULT_CAPACITY, calibrationSettings);
    }

    /**
     * Uploads a plan's weights to a backend, keeping calibrations for at most {@code calibrationCapacity} batch sizes,
     * measured with the given settings.
     *
     * @param plan the plan
     * @param backend the backend (owned by the runtime from now on)
     * @param calibrationCapacity the most batch sizes whose calibration is kept, positive
     * @param calibrationSettings how path costs are measured, for every executor of the runtime
     * @param <T> the backend's tensor type
     * @return the runtime
     * @throws IllegalArgumentException for a null argument or a capacity that is not positive
     */
    public static <T> PlanRuntime<T> create(InferencePlan plan, Backend<T> backend, int calibrationCapacity,
            CalibrationSettings calibrationSettings) {
        if (plan == null || backend == null || calibrationSettings == null) {
            throw new IllegalArgumentException("plan, backend and calibrationSettings must not be null");
        }
        Checks.positive("calibrationCapacity", calibrationCapacity);
        try {
            return new PlanRuntime<>(plan, backend, calibrationCapacity, calibrationSettings);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    /** Returns the plan. */
    public InferencePlan plan() {
        return plan;
    }

    /** Returns the backend. */
    public Backend<T> backend() {
        return backend;
    }

    /** Returns the path-cost calibrations of this runtime. */
    public CalibrationStore calibrations() {
        return calibrations;
    }

    /** Returns how this runtime measures path costs. */
    public CalibrationSettings calibrationSettings() {
        return calibrationSettings;
    }

    /** Returns the stage index (from 0) of every block (a new array, derived from the plan). */
    public int[] stageOfBlock() {
        return plan.blocks().stream().mapToInt(BlockPlan::stage).toArray();
    }

    PlanWeights weights() {
        return weights;
    }

    /**
     * Creates an executor with the default options ({@link ExecutorOptions#defaults()}).
     *
     * @return an executor for one thread at a time; the caller closes it
     */
    public NetworkExecutor newExecutor() {
        return newExecutor(ExecutorOptions.defaults());
    }

    /**
     * Creates an executor.
     *
     * @param options its settings
     * @return an executor for one thread at a time; the caller closes it
     * @throws IllegalStateException if the runtime is closed
     */
    public NetworkExecutor newExecutor(ExecutorOptions options) {
        if (closed) {
            throw new IllegalStateException("the runtime is closed");
        }
        if (options == null) {
            throw new IllegalArgumentException("options must not be null");
        }
        return new NetworkExecutor(new NetworkEngine<>(this, options));
    }

    /**
     * Measures the path costs of every gated block at the given batch sizes, unless already known, so that the first
     * requests of those sizes do not pay for it; the backend first {@link Backend#prepare prepares} each size.
     *
     * @param batchSizes positive batch sizes
     * @throws IllegalArgumentException if a batch size is not positive
     */
    public void calibrate(int... batchSizes) {
        for (int b : batchSizes) {
            Checks.positive("batch size", b);
        }
        try (NetworkEngine<T> engine = new NetworkEngine<>(this, ExecutorOptions.defaults())) {
            for (int b : batchSizes) {
                backend.prepare(plan, b);
                calibrations.getOrCompute(b, () -> engine.calibrate(b));
            }
        }
    }

    /**
     * Uploads, ahead of the first calls, the weight slices of every channel pattern of every channel-gated block with
     * at most 4 groups (all {@code 2^G - 2} partial patterns; method section 4, "Channel": the branch runs on the
     * slices of the open groups), and runs each pattern once through each of the block's sparse paths at batch 1 on a
     * zero input, so that the backend also makes what the pattern needs there (oneDNN: the slices in the layouts its
     * primitives read); no call then pays for a pattern's first use. Without it a pattern's slices are cut, uploaded
     * and reordered by the first call that opens it, and a channel-gated network's calls run slower by that time until
     * its patterns have been seen. The cost is memory: with {@code G = 4} a bottleneck holds about 5.4 times its
     * branch weights in slices, on the heap and again in the backend's layouts (what it holds anyway once every pattern
     * has occurred); blocks of more groups, whose patterns would take 11.6 times (5 groups) or more, are left to cut
     * their patterns on first use. Thread-safe and idempotent: the executors share the slices, and a pattern already
     * cached is not uploaded again.
     *
     * @return the floats of the slices' weights cut by this call (0 when there was nothing to prepare)
     * @throws IllegalStateException if the runtime is closed
     */
    public long prepareChannelPatterns() {
        if (closed) {
            throw new IllegalStateException("the runtime is closed");
        }
        long t0 = System.nanoTime();
        long floats = 0;
        int blocks = 0;
        try (NetworkEngine<T> engine = new NetworkEngine<>(this, ExecutorOptions.defaults())) {
            for (BlockEngine b : engine.blocks) {
                long f = b.preparePatterns(engine.k);
                floats += f;
                blocks += f > 0 ? 1 : 0;
            }
        }
        if (floats > 0) {
            LOG.info("prepared the channel-pattern slices of {} blocks on {}: {} MB of weights in {} ms", blocks,
                    backend.id(), String.format(Locale.ROOT, "%.1f", floats * 4.0 / (1 << 20)),
                    (System.nanoTime() - t0) / 1_000_000);
        }
        return floats;
    }

    /** Returns the batch sizes with a calibration. */
    public List<Integer> calibratedBatchSizes() {
        return calibrations.batchSizes();
    }

    /** Releases the backend and every weight on it. Close the executors first. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            backend.close();
        }
    }
}
