package org.laudnet.models.train;

import java.nio.file.Path;
import java.util.Optional;
import org.laudnet.models.inference.LatencyComparison;

/**
 * What a {@link FineTuning} run produced.
 *
 * @param model the written {@code .laud} model file (the network after the last epoch)
 * @param bestModel the {@code <name>-best.laud} file of the epoch with the best validation top-1, when there was
 *     validation data and the file exists
 * @param checkpoint the training checkpoint (for resuming)
 * @param epochsTrained epochs trained by this run (0 when a resumed checkpoint already held them all)
 * @param epochs epochs of the whole run
 * @param lastEpoch the statistics of the last epoch this run trained, if any
 * @param labels the label source used (never {@link LabelSource#AUTO})
 * @param evaluation the final network evaluated in eval mode
 * @param latency the measured latency of the static and the gated network at batch 1, unless switched off
 */
public record FineTuningResult(Path model, Optional<Path> bestModel, Path checkpoint, int epochsTrained, int epochs,
        Optional<EpochStats> lastEpoch, LabelSource labels, Evaluation evaluation,
        Optional<LatencyComparison> latency) {

    /** Validates the fields. */
    public FineTuningResult {
        if (model == null || bestModel == null || checkpoint == null || lastEpoch == null || labels == null
                || evaluation == null || latency == null) {
            throw new IllegalArgumentException("only the optional fields may be empty, and none may be null");
        }
    }

    /** The data an evaluation ran on. */
    public enum EvaluatedOn {
        /** The validation folder or the held-out part of the training folder. */
        VALIDATION,
        /** The training data (no validation data was given). */
        TRAINING
    }

    /**
     * The fine-tuned network in eval mode (deterministic gates, running BatchNorm statistics) on a data set.
     *
     * @param on which data
     * @param images images evaluated
     * @param top1 fraction whose top-1 class is the label (with {@link LabelSource#TEACHER} labels, the teacher's
     *     top-1, so equal to {@code teacherAgreement})
     * @param teacherAgreement fraction whose top-1 class is the static teacher's top-1
     * @param macsRatio mean {@code F_dyn / F_static} over the images
     */
    public record Evaluation(EvaluatedOn on, long images, double top1, double teacherAgreement, double macsRatio) {}
}
