package org.laudnet.models.train;

import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.models.io.LaudModelFile;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.weights.WeightFileException;

/**
 * The training listener of a {@link FineTuning} run: reports batches and epochs to the run's
 * {@link FineTuningListener}, and writes the best model when the validation top-1 improves. One per run, called on the
 * training thread only; not thread-safe.
 */
final class EpochWatcher extends TrainingListenerAdapter {
    private final FineTuningListener listener;
    private final GatedNetwork student;
    private final ModelMetadata metadata;
    private final Path bestFile;
    private final int steps;
    /** The trainer whose progress and history are reported; set before training starts. */
    LaudTrainer owner;
    /** The best validation top-1 so far (that of a resumed run's saved best model, else none). */
    double best = Double.NEGATIVE_INFINITY;
    private int batch;

    /**
     * Creates the watcher.
     *
     * @param listener the run's listener
     * @param student the network being trained
     * @param metadata what the best model file records besides the network
     * @param bestFile where the best model is written, or null when there is no validation data
     * @param steps the batches of one epoch
     */
    EpochWatcher(FineTuningListener listener, GatedNetwork student, ModelMetadata metadata, Path bestFile,
            int steps) {
        this.listener = listener;
        this.student = student;
        this.metadata = metadata;
        this.bestFile = bestFile;
        this.steps = steps;
    }

    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        batch++;
        listener.onBatch(owner.getProgress().epoch(), batch, steps, batchData.getBatch().getSize());
    }

    @Override
    public void onEpoch(Trainer trainer) {
        batch = 0;
        List<EpochStats> h = owner.history();
        EpochStats s = h.get(h.size() - 1);
        Optional<Path> saved = Optional.empty();
        if (bestFile != null && s.valAccuracy() > best) {
            try {
                LaudModelFile.save(bestFile, student, metadata);
            } catch (WeightFileException e) {
                throw new IllegalStateException("cannot write the best model " + bestFile + ": " + e.getMessage(), e);
            }
            best = s.valAccuracy();
            saved = Optional.of(bestFile);
        }
        listener.onEpoch(s, saved);
    }
}
