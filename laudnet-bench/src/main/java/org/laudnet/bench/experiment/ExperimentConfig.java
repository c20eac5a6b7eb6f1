package org.laudnet.bench.experiment;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.util.Checks;
import org.laudnet.models.train.LossForm;

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
 * @param modes gate modes fine-tuned with the MACs cost (SPATIAL, CHANNEL, LAYER); may be empty when
 *     {@code latencyModes} is not
 * @param targets target MACs ratios {@code t} in (0, 1]
 * @param latencyModes gate modes also fine-tuned with the measured latency cost ({@link TrainingCost#LATENCY});
 *     may be empty
 * @param latencyTargets target latency ratios {@code t} in (0, 1] of those variants; non-empty when
 *     {@code latencyModes} is not
 * @param seed seed of data order, weights and gate noise
 * @param latencyRuns timed rounds per latency measurement at batch 1 (batch 64 uses a third of them), positive
 * @param maskImages test images shown in the mask picture, positive
 * @param policy path policy of the inference engine when measuring latency ({@code AUTO}: calibrated cost models)
 * @param lossForm the loss variant of every fine-tuning run ({@link LossForm#REFERENCE} unless chosen)
 * @param channelMaskPlacement where the channel gates apply their mask ({@code AFTER_ACTIVATION} unless chosen)
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
        List<GateMode> latencyModes,
        List<Float> latencyTargets,
        long seed,
        int latencyRuns,
        int maskImages,
        PathPolicy policy,
        LossForm lossForm,
        ChannelMaskPlacement channelMaskPlacement) {

    /**
     * Creates a config with the reference loss form.
     *
     * @param dataDir data directory
     * @param outDir output directory
     * @param trainImages training images
     * @param testImages test images
     * @param batch batch size
     * @param staticEpochs epochs of the static network
     * @param fineTuneEpochs epochs of every fine-tuning run
     * @param modes MACs-cost gate modes
     * @param targets MACs targets
     * @param latencyModes latency-cost gate modes
     * @param latencyTargets latency targets
     * @param seed the seed
     * @param latencyRuns timed rounds per latency measurement
     * @param maskImages images of the mask picture
     * @param policy the path policy
     */
    public ExperimentConfig(Path dataDir, Path outDir, int trainImages, int testImages, int batch, int staticEpochs,
            int fineTuneEpochs, List<GateMode> modes, List<Float> targets, List<GateMode> latencyModes,
            List<Float> latencyTargets, long seed, int latencyRuns, int maskImages, PathPolicy policy) {
        this(dataDir, outDir, trainImages, testImages, batch, staticEpochs, fineTuneEpochs, modes, targets,
                latencyModes, latencyTargets, seed, latencyRuns, maskImages, policy, LossForm.REFERENCE,
                ChannelMaskPlacement.AFTER_ACTIVATION);
    }

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
        if (lossForm == null || channelMaskPlacement == null) {
            throw new IllegalArgumentException("lossForm and channelMaskPlacement must not be null");
        }
        if (modes == null || targets == null || latencyModes == null || latencyTargets == null) {
            throw new IllegalArgumentException("modes, targets, latencyModes and latencyTargets must not be null");
        }
        if (modes.isEmpty() && latencyModes.isEmpty()) {
            throw new IllegalArgumentException("modes and latencyModes must not both be empty: nothing to fine-tune");
        }
        if (!modes.isEmpty() && targets.isEmpty()) {
            throw new IllegalArgumentException("targets must not be empty when modes is " + modes);
        }
        if (!latencyModes.isEmpty() && latencyTargets.isEmpty()) {
            throw new IllegalArgumentException("latencyTargets must not be empty when latencyModes is "
                    + latencyModes);
        }
        checkModes("modes", modes);
        checkModes("latencyModes", latencyModes);
        checkTargets("targets", targets);
        checkTargets("latencyTargets", latencyTargets);
        modes = List.copyOf(modes);
        targets = List.copyOf(targets);
        latencyModes = List.copyOf(latencyModes);
        latencyTargets = List.copyOf(latencyTargets);
    }

    private static void checkModes(String name, List<GateMode> modes) {
        for (GateMode m : modes) {
            if (m == null || m == GateMode.NONE) {
                throw new IllegalArgumentException(name + " must be gated modes, got " + m);
            }
            FashionMnistNets.gates(m);
        }
    }

    private static void checkTargets(String name, List<Float> targets) {
        for (Float t : targets) {
            if (t == null || !(t > 0 && t <= 1)) {
                throw new IllegalArgumentException(name + " must be in (0, 1], got " + t);
            }
        }
    }

    /**
     * One fine-tuned network: gate mode, target ratio and the cost the target applies to.
     *
     * @param mode the gate mode
     * @param target the target ratio {@code t}
     * @param cost MACs or measured latency
     */
    public record Variant(GateMode mode, float target, TrainingCost cost) {

        /** Returns the display name, e.g. {@code layer t=0.50} or {@code layer t=0.50 (latency cost)}. */
        public String name() {
            return mode.name().toLowerCase() + String.format(Locale.ROOT, " t=%.2f", target)
                    + cost.nameSuffix();
        }
    }

    /**
     * Returns the variants in training order: every MACs mode at every MACs target, then every latency mode at every
     * latency target.
     *
     * @return the variants
     */
    public List<Variant> variants() {
        List<Variant> v = new ArrayList<>();
        for (GateMode m : modes) {
            for (float t : targets) {
                v.add(new Variant(m, t, TrainingCost.MACS));
            }
        }
        for (GateMode m : latencyModes) {
            for (float t : latencyTargets) {
                v.add(new Variant(m, t, TrainingCost.LATENCY));
            }
        }
        return List.copyOf(v);
    }

    /**
     * The full experiment: 20000 training images, the 10000 test images, the static network trained
     * {@code staticEpochs}, every mode at MACs targets {@code t = 0.25, 0.5, 0.75} and the layer mode at latency
     * target {@code t = 0.5} fine-tuned {@code epochs} epochs from it.
     *
     * @param dataDir data directory
     * @param outDir output directory
     * @param staticEpochs epochs of the static network
     * @param epochs fine-tuning epochs of every LAUD variant
     * @return the config
     */
    public static ExperimentConfig full(Path dataDir, Path outDir, int staticEpochs, int epochs) {
        return new ExperimentConfig(dataDir, outDir, 20000, 10000, 64, staticEpochs, epochs,
                List.of(GateMode.SPATIAL, GateMode.CHANNEL, GateMode.LAYER), List.of(0.25f, 0.5f, 0.75f),
                List.of(GateMode.LAYER), List.of(0.5f), 7L, 200, 6,
                PathPolicy.AUTO);
    }

    /**
     * A tiny run for development and tests: 256 training and 256 test images, one epoch each, every mode at MACs
     * target {@code t = 0.5} and the layer mode at latency target {@code t = 0.5}.
     *
     * @param dataDir data directory
     * @param outDir output directory
     * @return the config
     */
    public static ExperimentConfig quick(Path dataDir, Path outDir) {
        return new ExperimentConfig(dataDir, outDir, 256, 256, 32, 1, 1,
                List.of(GateMode.SPATIAL, GateMode.CHANNEL, GateMode.LAYER), List.of(0.5f), List.of(GateMode.LAYER),
                List.of(0.5f), 7L, 6, 4, PathPolicy.AUTO);
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
                List.of(GateMode.SPATIAL, GateMode.LAYER), List.of(0.5f), List.of(), List.of(), 7L, 30, 6,
                PathPolicy.AUTO);
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
                modes, targets, latencyModes, latencyTargets, seed, latencyRuns, maskImages, policy, lossForm, channelMaskPlacement);
    }

    /**
     * Returns a copy with another executor path policy.
     *
     * @param policy the policy
     * @return the copy
     */
    public ExperimentConfig withPolicy(PathPolicy policy) {
        return new ExperimentConfig(dataDir, outDir, trainImages, testImages, batch, staticEpochs, fineTuneEpochs,
                modes, targets, latencyModes, latencyTargets, seed, latencyRuns, maskImages, policy, lossForm, channelMaskPlacement);
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
                targets, latencyModes, latencyTargets, seed, latencyRuns, maskImages, policy, lossForm, channelMaskPlacement);
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
                modes, targets, latencyModes, latencyTargets, seed, latencyRuns, maskImages, policy, lossForm, channelMaskPlacement);
    }

    /**
     * Returns a copy with other latency-cost variants (empty modes: none).
     *
     * @param latencyModes gate modes fine-tuned with the measured latency cost
     * @param latencyTargets their target latency ratios
     * @return the copy
     */
    public ExperimentConfig withLatencyVariants(List<GateMode> latencyModes, List<Float> latencyTargets) {
        return new ExperimentConfig(dataDir, outDir, trainImages, testImages, batch, staticEpochs, fineTuneEpochs,
                modes, targets, latencyModes, latencyTargets, seed, latencyRuns, maskImages, policy, lossForm, channelMaskPlacement);
    }

    /**
     * Returns a copy with another loss form.
     *
     * @param form the loss variant
     * @return the copy
     */
    public ExperimentConfig withLossForm(LossForm form) {
        return new ExperimentConfig(dataDir, outDir, trainImages, testImages, batch, staticEpochs, fineTuneEpochs,
                modes, targets, latencyModes, latencyTargets, seed, latencyRuns, maskImages, policy, form,
                channelMaskPlacement);
    }

    /**
     * Returns a copy with another channel mask placement.
     *
     * @param placement where the channel gates apply their mask
     * @return the copy
     */
    public ExperimentConfig withChannelMaskPlacement(ChannelMaskPlacement placement) {
        return new ExperimentConfig(dataDir, outDir, trainImages, testImages, batch, staticEpochs, fineTuneEpochs,
                modes, targets, latencyModes, latencyTargets, seed, latencyRuns, maskImages, policy, lossForm,
                placement);
    }
}
