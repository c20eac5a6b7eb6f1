package org.laudnet.bench.experiment;

import java.nio.file.Path;
import java.util.List;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.util.Checks;

/**
 * Settings of a Fashion-MNIST run of {@link FashionMnistExperiment}.
 *
 * @param dataDir directory of the four Fashion-MNIST IDX files
 * @param outDir directory the report, plot and mask picture are written to
 * @param trainImages training images used (the first ones of the training set), positive
 * @param testImages test images evaluated (the first ones of the test set), positive
 * @param batch training batch size, positive
 * @param staticEpochs epochs of the static network, positive
 * @param fineTuneEpochs epochs of every LAUD fine-tuning run, positive
 * @param modes gate modes fine-tuned (SPATIAL, CHANNEL, LAYER)
 * @param targets target ratios {@code t} in (0, 1]
 * @param seed seed of data order, weights and gate noise
 * @param latencyRuns timed rounds per latency measurement at batch 1 (batch 64 uses a third of them), positive
 * @param maskImages test images shown in the mask picture, positive
 * @param policy path policy of the sparse executors when measuring latency ({@code AUTO}: calibrated cost models)
 */
public record ExperimentConfig(
        Path dataDir,
        Path outDir,
        int trainImages,
        int testImages,
        int batch,
        int staticEpochs,
        int fineTuneEpochs,
        List<GateMode> modes,
        List<Float> targets,
        long seed,
        int latencyRuns,
        int maskImages,
        PathPolicy policy) {

    /** Validates every field. */
    public ExperimentConfig {
        if (dataDir == null || outDir == null) {
            throw new IllegalArgumentException("dataDir and outDir must not be null");
        }
        Checks.positive("trainImages", trainImages);
        Checks.positive("testImages", testImages);
        Checks.positive("batch", batch);
        Checks.positive("staticEpochs", staticEpochs);
        Checks.positive("fineTuneEpochs", fineTuneEpochs);
        Checks.positive("latencyRuns", latencyRuns);
        Checks.positive("maskImages", maskImages);
        if (policy == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
        if (modes == null || modes.isEmpty() || targets == null || targets.isEmpty()) {
            throw new IllegalArgumentException("modes and targets must not be empty");
        }
        for (GateMode m : modes) {
            FashionMnistNets.gates(m);
            if (m == GateMode.NONE) {
                throw new IllegalArgumentException("modes must be gated modes, got NONE");
            }
        }
        for (Float t : targets) {
            if (t == null || !(t > 0 && t <= 1)) {
                throw new IllegalArgumentException("targets must be in (0, 1], got " + t);
            }
        }
        modes = List.copyOf(modes);
        targets = List.copyOf(targets);
    }

    /**
     * The full experiment: 20000 training images, the 10000 test images, the static network trained
     * {@code staticEpochs}, every mode at {@code t = 0.25, 0.5, 0.75} fine-tuned {@code epochs} epochs from it.
     *
     * @param dataDir data directory
     * @param outDir output directory
     * @param staticEpochs epochs of the static network
     * @param epochs fine-tuning epochs of every LAUD variant
     * @return the config
     */
    public static ExperimentConfig full(Path dataDir, Path outDir, int staticEpochs, int epochs) {
        return new ExperimentConfig(dataDir, outDir, 20000, 10000, 64, staticEpochs, epochs,
                List.of(GateMode.SPATIAL, GateMode.CHANNEL, GateMode.LAYER), List.of(0.25f, 0.5f, 0.75f), 7L, 200, 6,
                PathPolicy.AUTO);
    }

    /**
     * A tiny run for development and tests: 256 training and 256 test images, one epoch each, every mode at
     * {@code t = 0.5}.
     *
     * @param dataDir data directory
     * @param outDir output directory
     * @return the config
     */
    public static ExperimentConfig quick(Path dataDir, Path outDir) {
        return new ExperimentConfig(dataDir, outDir, 256, 256, 32, 1, 1,
                List.of(GateMode.SPATIAL, GateMode.CHANNEL, GateMode.LAYER), List.of(0.5f), 7L, 6, 4, PathPolicy.AUTO);
    }

    /**
     * The demo: 20000 training images, the 10000 test images, static 4 epochs, spatial and layer gating at
     * {@code t = 0.5} fine-tuned 3 epochs each (about five minutes on 2 cores).
     *
     * @param dataDir data directory
     * @param outDir output directory
     * @return the config
     */
    public static ExperimentConfig demo(Path dataDir, Path outDir) {
        return new ExperimentConfig(dataDir, outDir, 20000, 10000, 64, 4, 3,
                List.of(GateMode.SPATIAL, GateMode.LAYER), List.of(0.5f), 7L, 30, 6, PathPolicy.AUTO);
    }

    /**
     * Returns a copy with other epoch counts.
     *
     * @param staticEpochs epochs of the static network
     * @param fineTuneEpochs epochs of every fine-tuning run
     * @return the copy
     */
    public ExperimentConfig withEpochs(int staticEpochs, int fineTuneEpochs) {
        return new ExperimentConfig(dataDir, outDir, trainImages, testImages, batch, staticEpochs, fineTuneEpochs,
                modes, targets, seed, latencyRuns, maskImages, policy);
    }

    /**
     * Returns a copy with another executor path policy.
     *
     * @param policy the policy
     * @return the copy
     */
    public ExperimentConfig withPolicy(PathPolicy policy) {
        return new ExperimentConfig(dataDir, outDir, trainImages, testImages, batch, staticEpochs, fineTuneEpochs,
                modes, targets, seed, latencyRuns, maskImages, policy);
    }

    /**
     * Returns a copy with other image counts.
     *
     * @param train training images
     * @param test test images
     * @return the copy
     */
    public ExperimentConfig withImages(int train, int test) {
        return new ExperimentConfig(dataDir, outDir, train, test, batch, staticEpochs, fineTuneEpochs, modes,
                targets, seed, latencyRuns, maskImages, policy);
    }

    /**
     * Returns a copy with other gate modes and targets (e.g. a focused run of one mode at t = 0.5).
     *
     * @param modes gate modes, non-empty
     * @param targets target ratios, non-empty
     * @return the copy
     */
    public ExperimentConfig withVariants(List<GateMode> modes, List<Float> targets) {
        return new ExperimentConfig(dataDir, outDir, trainImages, testImages, batch, staticEpochs, fineTuneEpochs,
                modes, targets, seed, latencyRuns, maskImages, policy);
    }
}
