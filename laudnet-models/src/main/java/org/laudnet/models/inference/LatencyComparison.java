package org.laudnet.models.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.laudnet.core.exec.ExecutorOptions;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.util.Checks;
import org.laudnet.models.latency.LatencyMeter;

/**
 * The measured latency of a gated model against its static counterpart (the same weights with every stage
 * ungated), both run through their {@link LaudModel}'s runtime as a predictor would run them: medians of interleaved
 * timed runs after warm-up, on the same input batch.
 *
 * @param staticMs median milliseconds of one call of the static model
 * @param gatedMs median milliseconds of one call of the gated model
 * @param gatedMacsRatio the gated model's {@code F_dyn / F_static} on the input (its gate report)
 * @param batch the batch size of the input
 * @param runs timed runs of each model
 * @param threads the engine's intra-op threads ({@code ai.djl.pytorch.num_threads}, else the visible cores)
 * @param backend the id of the gated model's backend (e.g. {@code djl-cpu})
 */
public record LatencyComparison(double staticMs, double gatedMs, double gatedMacsRatio, int batch, int runs,
        int threads, String backend) {

    /** Validates the fields. */
    public LatencyComparison {
        if (!(staticMs > 0) || !(gatedMs > 0)) {
            throw new IllegalArgumentException("staticMs and gatedMs must be positive, got " + staticMs + " and "
                    + gatedMs);
        }
        Checks.positive("batch", batch);
        Checks.positive("runs", runs);
        Checks.positive("threads", threads);
    }

    /** Returns {@code gatedMs / staticMs}: below 1 when the gates save time. */
    public double ratio() {
        return gatedMs / staticMs;
    }

    /**
     * Returns the engine's intra-op thread count: the {@code ai.djl.pytorch.num_threads} system property when it is a
     * positive number, else the cores visible to the JVM.
     *
     * @return the thread count
     */
    public static int engineThreads() {
        String t = System.getProperty("ai.djl.pytorch.num_threads");
        if (t != null) {
            try {
                int n = Integer.parseInt(t.trim());
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // not a number: the engine uses its default, the visible cores
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Measures both models on one batch: each model's runtime is calibrated for the batch size first (so that its
     * path policy decides by measured costs), then {@code warmup} untimed and {@code runs} timed calls of each run
     * interleaved (static first on even rounds, gated first on odd ones, by {@link LatencyMeter}), and the medians
     * are reported.
     *
     * @param staticModel the static network's model
     * @param gatedModel the gated network's model
     * @param images the input batch {@code (B, C, S, S)}, float32 (preprocessed as the models expect)
     * @param warmup untimed calls of each model, non-negative
     * @param runs timed calls of each model, positive
     * @return the medians
     * @throws IllegalArgumentException if an argument is invalid or the models do not take the same input
     */
    public static LatencyComparison measure(LaudModel staticModel, LaudModel gatedModel, NDArray images, int warmup,
            int runs) {
        if (staticModel == null || gatedModel == null || images == null) {
            throw new IllegalArgumentException("staticModel, gatedModel and images must not be null");
        }
        Checks.nonNegative("warmup", warmup);
        Checks.positive("runs", runs);
        if (images.getShape().dimension() != 4) {
            throw new IllegalArgumentException("images must be (B, C, S, S), got " + images.getShape());
        }
        int batch = (int) images.getShape().get(0);
        staticModel.runtime().calibrate(batch);
        gatedModel.runtime().calibrate(batch);
        double[] macsRatio = {Double.NaN};
        LatencyMeter.Pair medians;
        try (NetworkExecutor s = staticModel.runtime().newExecutor(
                        ExecutorOptions.defaults().withPolicy(staticModel.options().policy()));
                NetworkExecutor g = gatedModel.runtime().newExecutor(
                        ExecutorOptions.defaults().withPolicy(gatedModel.options().policy()));
                NDManager scope = images.getManager().newSubManager()) {
            NDArray x = images.duplicate();
            x.attach(scope);
            medians = LatencyMeter.interleaved(() -> call(s, x, null), () -> call(g, x, macsRatio), warmup, runs);
        }
        return new LatencyComparison(medians.medianA(), medians.medianB(), macsRatio[0], batch, runs, engineThreads(),
                gatedModel.runtime().backend().id());
    }

    private static void call(NetworkExecutor executor, NDArray x, double[] macsRatio) {
        var r = executor.run(x);
        r.logits().toFloatArray(); // wait for the result, as a caller reading its logits does
        if (macsRatio != null) {
            macsRatio[0] = r.report().macsRatio();
        }
        r.logits().close();
    }
}
