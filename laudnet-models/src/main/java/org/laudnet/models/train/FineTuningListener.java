package org.laudnet.models.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.laudnet.core.block.GateSpec;
import org.laudnet.models.imagenet.ImagePreprocessing;

/**
 * Receives the progress of a {@link FineTuning} run (e.g. to print it). Every method has an empty default; they are
 * called on the thread that runs the fine-tuning, in the order: {@link #onPhase} (loading), {@link #onSetup},
 * {@link #onResume} (when resuming), then per epoch {@link #onBatch} for every batch and {@link #onEpoch}, then the
 * phases of evaluation, saving and latency measurement.
 */
public interface FineTuningListener {

    /** The phases of a run. */
    enum Phase {
        /** Reading the pretrained weights and building the teacher and the gated student. */
        LOADING_WEIGHTS,
        /** Training (followed by {@link FineTuningListener#onBatch} and {@link FineTuningListener#onEpoch} calls). */
        TRAINING,
        /** Evaluating the result against the labels and the teacher. */
        EVALUATING,
        /** Writing the model file. */
        SAVING,
        /** Measuring the latency of the static and the gated network. */
        MEASURING_LATENCY
    }

    /**
     * What a run is about to do.
     *
     * @param architecture the architecture
     * @param weights the pretrained weights
     * @param stageGates the gate spec of every stage
     * @param preprocessing how images become the network's input (in training, validation and the saved model)
     * @param classes the class directory names of the training folder
     * @param labels the resolved label source (never {@link LabelSource#AUTO})
     * @param trainImages training images
     * @param validationImages validation images (0 without validation)
     * @param stepsPerEpoch optimizer updates per epoch
     * @param epochs epochs of the whole run
     */
    record Setup(Architecture architecture, WeightSource weights, List<GateSpec> stageGates,
            ImagePreprocessing preprocessing, List<String> classes, LabelSource labels, int trainImages,
            int validationImages, int stepsPerEpoch, int epochs) {

        /** Copies the lists. */
        public Setup {
            stageGates = List.copyOf(stageGates);
            classes = List.copyOf(classes);
        }
    }

    /**
     * A phase begins.
     *
     * @param phase the phase
     */
    default void onPhase(Phase phase) {}

    /**
     * The data are scanned and the networks built.
     *
     * @param setup what the run will do
     */
    default void onSetup(Setup setup) {}

    /**
     * The run resumed from a checkpoint.
     *
     * @param checkpoint the checkpoint file
     * @param state the epoch, update and temperature it restored
     */
    default void onResume(Path checkpoint, CheckpointState state) {}

    /**
     * A training batch was done.
     *
     * @param epoch the epoch (from 0)
     * @param batch the batches done in this epoch (from 1)
     * @param batchesPerEpoch batches per epoch
     * @param images images of this batch
     */
    default void onBatch(int epoch, int batch, int batchesPerEpoch, long images) {}

    /**
     * An epoch was done (called before its checkpoint is written).
     *
     * @param stats the epoch's statistics (validation fields NaN without validation data)
     * @param savedBest the best model file, when this epoch improved the validation top-1 and it was written
     */
    default void onEpoch(EpochStats stats, Optional<Path> savedBest) {}
}
