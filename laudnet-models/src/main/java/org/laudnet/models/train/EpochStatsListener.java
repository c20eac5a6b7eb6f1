package org.laudnet.models.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.Trainer;
import ai.djl.training.listener.TrainingListenerAdapter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.net.NetworkResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DJL training listener that aggregates each epoch's training batches into an {@link EpochStats} and logs it (SLF4J,
 * INFO): loss parts of the {@link LaudLoss} (recomputed from each batch's labels and predictions), top-1 accuracy,
 * density, network ratio, Gumbel temperature and throughput. Works with any loop that reports batches through
 * {@code onTrainingBatch} with the named network result as predictions ({@link NetworkResult#toNDList()}, what
 * {@link LaudTrainer} reports). Thread-safe (synchronized).
 */
public final class EpochStatsListener extends TrainingListenerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(EpochStatsListener.class);

    private final LaudLoss loss;
    private final List<GateMode> modes;
    private final StageLayout layout;
    private double[] stageDensitySum;
    private double[] stageMacsSum;
    private final List<EpochStats> history = new ArrayList<>();
    private long images;
    private double lossSum;
    private double ceSum;
    private double kdSum;
    private double costSum;
    private double densitySum;
    private double ratioSum;
    private long correct;
    private long epochStart = System.nanoTime();
    private long lastBatchEnd = epochStart;
    private double valAccuracy = Double.NaN;
    private double valRatio = Double.NaN;

    /**
     * Creates the listener.
     *
     * @param loss the loss whose parts are logged
     * @param blockModes the gate mode of every block (to average the density over gated blocks)
     * @param layout the stage of every block and its dense MACs (for the per-stage statistics)
     */
    public EpochStatsListener(LaudLoss loss, List<GateMode> blockModes, StageLayout layout) {
        if (loss == null || blockModes == null || layout == null) {
            throw new IllegalArgumentException("loss, blockModes and layout must not be null");
        }
        if (layout.blocks() != blockModes.size()) {
            throw new IllegalArgumentException("layout has " + layout.blocks() + " blocks, blockModes "
                    + blockModes.size());
        }
        this.loss = loss;
        this.modes = List.copyOf(blockModes);
        this.layout = layout;
        this.stageDensitySum = new double[layout.stages()];
        this.stageMacsSum = new double[layout.stages()];
    }

    /** Returns the statistics of every completed epoch, in order. */
    public synchronized List<EpochStats> history() {
        return List.copyOf(history);
    }

    /**
     * Sets the validation results that the next {@code onEpoch} reports.
     *
     * @param accuracy validation top-1 accuracy
     * @param macsRatio validation network ratio
     */
    public synchronized void setValidation(double accuracy, double macsRatio) {
        this.valAccuracy = accuracy;
        this.valRatio = macsRatio;
    }

    /** {@inheritDoc} */
    @Override
    public synchronized void onTrainingBegin(Trainer trainer) {
        reset();
    }

    /** {@inheritDoc} */
    @Override
    public synchronized void onTrainingBatch(Trainer trainer, BatchData batchData) {
        for (Map.Entry<ai.djl.Device, NDList> e : batchData.getPredictions().entrySet()) {
            NDList labels = batchData.getLabels().get(e.getKey());
            NDList preds = e.getValue();
            LossParts p = loss.parts(labels, preds);
            NetworkResult r = NetworkResult.fromNDList(preds);
            long b = r.logits().getShape().get(0);
            images += b;
            lossSum += b * p.total().getFloat();
            ceSum += b * p.ce().getFloat();
            kdSum += b * p.kd().getFloat();
            costSum += b * p.cost().getFloat();
            ratioSum += b * p.ratio().getFloat();
            densitySum += b * density(r);
            addStages(r, b);
            correct += correctCount(r.logits(), labels.head());
        }
        lastBatchEnd = System.nanoTime();
    }

    /** {@inheritDoc} */
    @Override
    public synchronized void onEpoch(Trainer trainer) {
        TrainingProgress progress = loss.getProgress();
        double n = Math.max(1, images);
        double seconds = (lastBatchEnd - epochStart) / 1e9;
        double temp = progress.temperature() == null ? Double.NaN : progress.temperature().value();
        List<StageStats> stages = new ArrayList<>(layout.stages());
        for (int st = 0; st < layout.stages(); st++) {
            stages.add(new StageStats(st, stageDensitySum[st] / n, stageMacsSum[st] / n));
        }
        EpochStats s = new EpochStats(progress.epoch(), progress.update(), images, lossSum / n, ceSum / n, kdSum / n,
                costSum / n, correct / n, densitySum / n, ratioSum / n, temp,
                seconds > 0 ? images / seconds : Double.NaN, valAccuracy, valRatio, stages);
        history.add(s);
        if (LOG.isInfoEnabled()) {
            LOG.info(describe(s));
        }
        reset();
    }

    /**
     * Describes an epoch in one line: loss parts, training accuracy, density, MACs ratio, throughput and the per-stage
     * statistics, plus the Gumbel temperature and the validation results only where the epoch had them (they are NaN
     * when no temperature schedule drives the gates or no validation ran).
     *
     * @param s the epoch's statistics
     * @return the line, e.g. {@code "epoch 0: loss 0.5794 (ce 0.5794, kd 0.0000, cost 0.0000), train acc 0.7886, ..."}
     */
    public static String describe(EpochStats s) {
        StringBuilder line = new StringBuilder(String.format(java.util.Locale.ROOT, "epoch %d: loss %.4f (ce %.4f,"
                        + " kd %.4f, cost %.4f), train acc %.4f, density %.3f, MACs ratio %.3f", s.epoch(), s.loss(),
                s.ce(), s.kd(), s.cost(), s.accuracy(), s.density(), s.macsRatio()));
        if (Double.isFinite(s.temperature())) {
            line.append(String.format(java.util.Locale.ROOT, ", tau %.3f", s.temperature()));
        }
        if (Double.isFinite(s.imagesPerSecond())) {
            line.append(String.format(java.util.Locale.ROOT, ", %.1f img/s", s.imagesPerSecond()));
        }
        if (Double.isFinite(s.valAccuracy())) {
            line.append(String.format(java.util.Locale.ROOT, ", val acc %.4f", s.valAccuracy()));
        }
        if (Double.isFinite(s.valMacsRatio())) {
            line.append(String.format(java.util.Locale.ROOT, ", val MACs ratio %.3f", s.valMacsRatio()));
        }
        return line.append("; per stage (density/MACs ratio) ").append(formatStages(s.stages())).toString();
    }

    /**
     * Formats per-stage statistics as {@code "s1 0.52/0.55, s2 ..."} (density / MACs ratio, stages from 1).
     *
     * @param stages the per-stage statistics
     * @return the text
     */
    public static String formatStages(List<StageStats> stages) {
        StringBuilder sb = new StringBuilder();
        for (StageStats st : stages) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(String.format(java.util.Locale.ROOT, "s%d %.2f/%.2f", st.stage() + 1, st.density(),
                    st.macsRatio()));
        }
        return sb.toString();
    }

    /** Adds a batch's per-stage density and MACs ratio, weighted by its {@code b} samples. */
    private void addStages(NetworkResult r, long b) {
        int stages = layout.stages();
        double[] density = new double[stages];
        int[] gated = new int[stages];
        double[] dyn = new double[stages];
        double[] dense = new double[stages];
        for (int k = 0; k < r.blocks().size() && k < layout.blocks(); k++) {
            int st = layout.stageOfBlock()[k];
            NetworkResult.BlockDensityResult d = r.blocks().get(k);
            if (modes.get(k) != GateMode.NONE) {
                density[st] += d.d3().getFloat() * d.dc().getFloat();
                gated[st]++;
            }
            dyn[st] += d.dynamicMacs().getFloat();
            dense[st] += layout.denseMacs()[k];
        }
        for (int st = 0; st < stages; st++) {
            stageDensitySum[st] += b * (gated[st] == 0 ? 1 : density[st] / gated[st]);
            stageMacsSum[st] += b * (dense[st] == 0 ? 1 : dyn[st] / dense[st]);
        }
    }

    private void reset() {
        java.util.Arrays.fill(stageDensitySum, 0);
        java.util.Arrays.fill(stageMacsSum, 0);
        images = 0;
        lossSum = 0;
        ceSum = 0;
        kdSum = 0;
        costSum = 0;
        densitySum = 0;
        ratioSum = 0;
        correct = 0;
        valAccuracy = Double.NaN;
        valRatio = Double.NaN;
        epochStart = System.nanoTime();
        lastBatchEnd = epochStart;
    }

    /**
     * Returns the mean over gated blocks of {@code d3 * dc} (1 without gated blocks).
     *
     * @param r a network result
     * @return the overall density
     */
    double density(NetworkResult r) {
        double sum = 0;
        int n = 0;
        for (int b = 0; b < r.blocks().size() && b < modes.size(); b++) {
            if (modes.get(b) != GateMode.NONE) {
                NetworkResult.BlockDensityResult d = r.blocks().get(b);
                sum += d.d3().getFloat() * d.dc().getFloat();
                n++;
            }
        }
        return n == 0 ? 1 : sum / n;
    }

    /**
     * Counts the rows whose arg-max equals the label.
     *
     * @param logits {@code (B, K)}
     * @param labels {@code (B)}
     * @return the number of correct rows
     */
    static long correctCount(NDArray logits, NDArray labels) {
        NDArray pred = logits.argMax(1).toType(ai.djl.ndarray.types.DataType.INT64, false);
        NDArray y = labels.reshape(-1).toType(ai.djl.ndarray.types.DataType.INT64, false);
        return pred.eq(y).sum().toType(ai.djl.ndarray.types.DataType.INT64, false).getLong();
    }
}
