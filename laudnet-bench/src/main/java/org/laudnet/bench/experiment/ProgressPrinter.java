package org.laudnet.bench.experiment;

import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import java.util.List;
import java.util.function.Consumer;
import org.laudnet.models.train.EpochStats;
import org.laudnet.models.train.EpochStatsListener;
import org.laudnet.models.train.LaudTrainer;

/**
 * Training listener that reports progress as text lines: a bar every tenth of an epoch and one summary line per epoch
 * (loss, training accuracy, training cost ratio (MACs unless set otherwise), throughput).
 */
public final class ProgressPrinter extends TrainingListenerAdapter {

    private final String label;
    private final int batchesPerEpoch;
    private final int epochs;
    private final Consumer<String> sink;
    private LaudTrainer owner;
    private int batch;
    private int epoch;
    private long epochStart = System.nanoTime();
    private String costName = "MACs";

    /**
     * Creates a printer.
     *
     * @param label name of the run shown on every line
     * @param batchesPerEpoch batches per epoch, positive
     * @param firstEpoch index of the first epoch this run trains
     * @param epochs epochs of the run
     * @param sink receives the lines
     */
    public ProgressPrinter(String label, int batchesPerEpoch, int firstEpoch, int epochs, Consumer<String> sink) {
        if (batchesPerEpoch <= 0) {
            throw new IllegalArgumentException("batchesPerEpoch must be positive, got " + batchesPerEpoch);
        }
        this.label = label;
        this.batchesPerEpoch = batchesPerEpoch;
        this.epoch = firstEpoch;
        this.epochs = epochs;
        this.sink = sink;
    }

    /**
     * Sets the trainer whose history the per-epoch line reads.
     *
     * @param trainer the trainer this listener was added to
     */
    public void setOwner(LaudTrainer trainer) {
        this.owner = trainer;
    }

    /**
     * Sets the name of the cost whose ratio the per-epoch line shows (default {@code MACs}).
     *
     * @param costName e.g. {@code latency} for a latency cost model
     */
    public void setCostName(String costName) {
        if (costName == null || costName.isBlank()) {
            throw new IllegalArgumentException("costName must not be blank, got '" + costName + "'");
        }
        this.costName = costName;
    }

    /** {@inheritDoc} */
    @Override
    public void onTrainingBatch(Trainer trainer, BatchData batchData) {
        batch++;
        int step = Math.max(1, batchesPerEpoch / 10);
        if (batch % step == 0 && batch < batchesPerEpoch) {
            int filled = (int) Math.round(20.0 * batch / batchesPerEpoch);
            double secs = (System.nanoTime() - epochStart) / 1e9;
            long images = (long) batch * batchData.getBatch().getSize();
            sink.accept(String.format("  %-16s epoch %d/%d [%s%s] %3d%%  %.1f img/s", label, epoch + 1, epochs,
                    "#".repeat(filled), ".".repeat(20 - filled), 100 * batch / batchesPerEpoch, images / secs));
        }
    }

    /** {@inheritDoc} */
    @Override
    public void onEpoch(Trainer trainer) {
        List<EpochStats> h = owner == null ? List.of() : owner.history();
        if (!h.isEmpty()) {
            EpochStats s = h.get(h.size() - 1);
            String tau = Double.isFinite(s.temperature()) ? String.format(", tau %.2f", s.temperature()) : "";
            sink.accept(String.format("  %-16s epoch %d/%d done: loss %.4f, train acc %.4f, train %s ratio %.3f%s,"
                            + " %.0f img/s; per stage density/%s ratio: %s", label, epoch + 1, epochs, s.loss(),
                    s.accuracy(), costName, s.macsRatio(), tau, s.imagesPerSecond(), costName,
                    EpochStatsListener.formatStages(s.stages())));
        }
        epoch++;
        batch = 0;
        epochStart = System.nanoTime();
    }
}
