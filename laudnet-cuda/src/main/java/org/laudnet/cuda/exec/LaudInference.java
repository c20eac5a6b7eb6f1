package org.laudnet.cuda.exec;

import java.util.concurrent.atomic.AtomicBoolean;
import org.laudnet.cuda.CudaAvailability;
import org.laudnet.cuda.Precision;
import org.laudnet.cuda.plan.LaudPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Device-aware entry point: runs a {@link LaudPlan} with the {@link CudaLaudExecutor} when
 * {@link CudaAvailability} reports a usable GPU and the kernels load on it, else with the {@link CpuPlanExecutor}.
 * The first choice made in a JVM is logged at INFO with its reason (later ones at DEBUG); the reason is also in the
 * executor's {@link LaudExecutor#description()}.
 */
public final class LaudInference {

    private static final Logger LOG = LoggerFactory.getLogger(LaudInference.class);
    private static final AtomicBoolean LOGGED = new AtomicBoolean();

    private LaudInference() {}

    /**
     * Creates an executor for a plan.
     *
     * @param plan the plan
     * @param preference AUTO, CPU or CUDA
     * @param precision GEMM arithmetic on the GPU (ignored on the CPU)
     * @return the executor
     * @throws IllegalStateException for {@link DevicePreference#CUDA} when CUDA or the kernels are unavailable
     */
    public static LaudExecutor create(LaudPlan plan, DevicePreference preference, Precision precision) {
        if (plan == null || preference == null || precision == null) {
            throw new IllegalArgumentException("plan, preference and precision must not be null");
        }
        if (preference == DevicePreference.CPU) {
            return cpu(plan, "CPU executor: requested");
        }
        CudaAvailability.Status status = CudaAvailability.status();
        if (!status.available()) {
            if (preference == DevicePreference.CUDA) {
                throw new IllegalStateException("CUDA requested but unavailable: " + status.reason());
            }
            return cpu(plan, "CPU executor: CUDA unavailable: " + status.reason());
        }
        try {
            CudaLaudExecutor ex = CudaLaudExecutor.create(plan, precision);
            log("Running the plan with " + ex.description() + " (" + status.reason() + ")");
            return ex;
        } catch (IllegalStateException | org.laudnet.cuda.CudaDriverException e) {
            if (preference == DevicePreference.CUDA) {
                throw new IllegalStateException("CUDA requested but the executor could not start: " + e.getMessage(),
                        e);
            }
            return cpu(plan, "CPU executor: CUDA executor could not start: " + e.getMessage());
        }
    }

    private static LaudExecutor cpu(LaudPlan plan, String why) {
        log("Running the plan with the " + why);
        return new CpuPlanExecutor(plan, why);
    }

    private static void log(String message) {
        if (LOGGED.compareAndSet(false, true)) {
            LOG.info(message);
        } else {
            LOG.debug(message);
        }
    }
}
