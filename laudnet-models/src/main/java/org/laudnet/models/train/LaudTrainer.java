package org.laudnet.models.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.listener.TrainingListener;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.translate.TranslateException;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.models.data.EpochOrdered;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fine-tunes any {@link GatedNetwork} (LAUD-ResNet, LAUD-RegNetY, ...) with the {@link LaudLoss} on DJL's
 * {@link Trainer} (method section 3).
 *
 * <p>Per step: the teacher (any block, eval mode, no gradient; the head of its output is its logits {@code (B, K)})
 * produces logits that join the labels as {@value LaudLoss#TEACHER_LOGITS}; the student runs in training mode
 * ({@link GatedNetwork#run}, which yields the logits with every block's densities and MACs, see
 * {@link NetworkResult#toNDList()}) at the Gumbel temperature of the current update; the loss is back-propagated and the optimizer (SGD with momentum or AdamW, cosine learning rate, separate
 * backbone / gate multipliers through {@link GroupLearningRateTracker}) steps. Listeners then advance the
 * {@link TrainingProgress} (update count, temperature, epoch) and aggregate {@link EpochStats}. After every epoch the
 * optional validation set is evaluated in eval mode and an atomic {@link Checkpoint} is written.
 *
 * <p>An update whose gradients hold a NaN or infinite entry is skipped (and counted, {@link #skippedUpdates()}),
 * so that one bad batch cannot poison every parameter.
 *
 * <p>Resuming ({@link #resume(Path)}) restores parameters, epoch, update count (and thus temperature and learning-rate
 * position) and the optimizer's state ({@link StatefulOptimizer}: SGD momentum, AdamW moments). Everything random in
 * an epoch is a function of the epoch index: the gates' Gumbel noise is reseeded from {@code (noiseSeed, block,
 * epoch)} and an {@link EpochOrdered} training set is told the epoch before it is iterated. A run interrupted after
 * epoch {@code e} and resumed from its checkpoint therefore continues as the uninterrupted run would have.
 *
 * <p>With {@link Builder#optTeacherLabels(boolean)} the labels of every batch are replaced by the teacher's arg-max
 * (self-distillation on unlabelled images, or on images whose classes the teacher's head does not have).
 */
public final class LaudTrainer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LaudTrainer.class);

    private final GatedNetwork network;
    private final Model model;
    private final FineTuneConfig config;
    private final TrainingProgress progress;
    private final LaudLoss loss;
    private final EpochStatsListener stats;
    private final Block teacher;
    private final Path checkpointFile;
    private final List<TrainingListener> listeners;
    private final boolean teacherLabels;
    private final long noiseSeed;
    private OptimizerState pendingOptimizerState;
    private int skippedUpdates;

    private LaudTrainer(Builder b) {
        this.network = b.network;
        this.config = b.config;
        this.teacher = b.teacher;
        this.checkpointFile = b.checkpointFile;
        this.listeners = List.copyOf(b.listeners);
        this.teacherLabels = b.teacherLabels;
        this.noiseSeed = b.noiseSeed;
        this.progress = new TrainingProgress(b.temperature);
        CostModel cost = b.costModel == null
                ? MacsCostModel.of(network, b.lossConfig.form().maskerMacs())
                : b.costModel;
        this.loss = new LaudLoss(b.lossConfig, cost, LaudLoss.modes(network), progress);
        this.stats = new EpochStatsListener(loss, LaudLoss.modes(network), StageLayout.of(network));
        this.model = b.device == null ? Model.newInstance("laudnet") : Model.newInstance("laudnet", b.device);
        model.setBlock(network);
        if (!network.isInitialized()) {
            network.initialize(model.getNDManager(), DataType.FLOAT32, inputShape(1));
        }
    }

    /** Returns a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the trained network. */
    public GatedNetwork getNetwork() {
        return network;
    }

    /** Returns the DJL model holding the network's parameters. */
    public Model getModel() {
        return model;
    }

    /** Returns the loss. */
    public LaudLoss getLoss() {
        return loss;
    }

    /** Returns the progress (completed epochs and updates). */
    public TrainingProgress getProgress() {
        return progress;
    }

    /** Returns the per-epoch statistics of every epoch trained by this trainer. */
    public List<EpochStats> history() {
        return stats.history();
    }

    /**
     * Restores parameters, progress and (when the checkpoint has it) optimizer state from a checkpoint; the next
     * {@link #fit} continues after its epoch. A checkpoint without optimizer state (format version 1) resumes with a
     * fresh optimizer whose update counts start at the checkpoint's, and a warning is logged.
     *
     * @param file the checkpoint
     * @return the restored state
     * @throws CheckpointException if the checkpoint is invalid (the message names the file)
     * @throws IOException if it cannot be read
     */
    public CheckpointState resume(Path file) throws IOException {
        Checkpoint.CheckpointContent c = Checkpoint.loadAll(file, network, model.getNDManager());
        CheckpointState s = c.state();
        if (c.optimizer().isPresent() && !c.optimizer().get().algorithm().equals(config.optimizer().name())) {
            throw new CheckpointException(file, "its optimizer state is of " + c.optimizer().get().algorithm()
                    + ", this run uses " + config.optimizer(), null);
        }
        progress.restore(s.epoch(), s.update());
        pendingOptimizerState = c.optimizer().orElse(null);
        if (pendingOptimizerState == null) {
            LOG.warn("checkpoint {} holds no optimizer state: the optimizer restarts from zero buffers", file);
        }
        if (progress.temperature() != null) {
            float now = progress.temperature().value();
            if (Math.abs(now - s.temperature()) > 1e-4f * Math.max(1f, Math.abs(s.temperature()))) {
                LOG.warn("checkpoint {} was written at temperature {}, this run's schedule gives {} at update {}",
                        file, s.temperature(), now, s.update());
            }
        }
        LOG.info("resumed from {} at epoch {}, update {}", file, s.epoch(), s.update());
        return s;
    }

    /**
     * Trains from the current epoch to {@code config.epochs()}.
     *
     * @param train the training data: images {@code (B, C, S, S)}, labels {@code (B)}
     * @param validation validation data in the same form, or null
     * @return the statistics of the epochs trained by this call
     * @throws IOException if reading data or writing a checkpoint fails
     * @throws TranslateException if the dataset cannot batch its records
     */
    public List<EpochStats> fit(Dataset train, Dataset validation) throws IOException, TranslateException {
        if (train == null) {
            throw new IllegalArgumentException("train must not be null");
        }
        StatefulOptimizer optimizer = optimizer();
        if (pendingOptimizerState != null) {
            optimizer.importState(pendingOptimizerState);
            pendingOptimizerState = null;
        }
        DefaultTrainingConfig cfg = new DefaultTrainingConfig(loss)
                .optDevices(new Device[] {model.getNDManager().getDevice()})
                .optOptimizer(optimizer)
                .addTrainingListeners(stats, progress);
        for (TrainingListener l : listeners) {
            cfg.addTrainingListeners(l);
        }
        List<EpochStats> out = new ArrayList<>();
        try (optimizer; Trainer trainer = model.newTrainer(cfg)) {
            trainer.initialize(inputShape(1));
            trainer.notifyListeners(l -> l.onTrainingBegin(trainer));
            ParameterStore teacherPs = new ParameterStore(model.getNDManager(), false);
            // The student runs through GatedNetwork.run on the parameters' own arrays (one device): their gradients
            // are the ones trainer.step() applies, as trainer.initialize registered every parameter.
            ParameterStore studentPs = new ParameterStore(model.getNDManager(), false);
            for (int e = progress.epoch(); e < config.epochs(); e++) {
                reseedGates(e);
                if (train instanceof EpochOrdered ordered) {
                    ordered.setEpoch(e);
                }
                for (Batch batch : trainer.iterateDataset(train)) {
                    try {
                        step(trainer, batch, teacherPs, studentPs);
                    } finally {
                        batch.close();
                    }
                }
                if (validation != null) {
                    Evaluation v = evaluate(validation);
                    stats.setValidation(v.accuracy(), v.macsRatio());
                }
                trainer.notifyListeners(l -> l.onEpoch(trainer));
                List<EpochStats> h = stats.history();
                out.add(h.get(h.size() - 1));
                if (checkpointFile != null) {
                    float tau = progress.temperature() == null ? Float.NaN : progress.temperature().value();
                    Checkpoint.save(checkpointFile, network,
                            new CheckpointState(progress.epoch(), progress.update(), tau), optimizer.exportState());
                }
            }
            trainer.notifyListeners(l -> l.onTrainingEnd(trainer));
        }
        return out;
    }

    private void step(Trainer trainer, Batch batch, ParameterStore teacherPs, ParameterStore studentPs) {
        NDList data = batch.getData();
        NDList labels = batch.getLabels();
        if (teacher != null) {
            NDArray logits = teacherLogits(teacherPs, data).stopGradient();
            logits.setName(LaudLoss.TEACHER_LOGITS);
            NDArray y = labels.head();
            if (teacherLabels) {
                y = logits.argMax(1).toType(y.getDataType(), false);
            }
            labels = new NDList(y, logits);
        }
        NDList preds;
        try (GradientCollector gc = trainer.newGradientCollector()) {
            preds = network.run(studentPs, data.head(), true).toNDList();
            gc.backward(loss.evaluate(labels, preds));
        }
        String bad = firstNonFiniteGradient();
        if (bad == null) {
            trainer.step();
        } else {
            skippedUpdates++;
            zeroGradients();
            LOG.warn("non-finite gradient of {} at update {}: update skipped ({} so far)", bad, progress.update(),
                    skippedUpdates);
        }
        Device device = trainer.getDevices()[0];
        TrainingListener.BatchData bd =
                new TrainingListener.BatchData(batch, Map.of(device, labels), Map.of(device, preds));
        trainer.notifyListeners(l -> l.onTrainingBatch(trainer, bd));
    }

    /** The teacher's logits {@code (B, K)}: the head of its eval-mode output. */
    private NDArray teacherLogits(ParameterStore ps, NDList data) {
        return teacher.forward(ps, data, false).head();
    }

    /**
     * Returns the name of the first trainable parameter whose gradient holds a NaN or infinite entry, or null when
     * all are finite. The sum of all gradient entries is finite exactly when no entry is NaN or infinite (barring
     * overflow of the sum itself), so the common case costs one read-back.
     */
    private String firstNonFiniteGradient() {
        try (NDManager sub = model.getNDManager().newSubManager()) {
            NDArray total = null;
            List<Pair<String, NDArray>> sums = new ArrayList<>();
            for (Pair<String, Parameter> p : network.getParameters()) {
                Parameter param = p.getValue();
                if (!param.requiresGradient() || !param.isInitialized()) {
                    continue;
                }
                NDArray g = param.getArray().getGradient();
                g.attach(sub);
                NDArray s = g.sum();
                sums.add(new Pair<>(p.getKey(), s));
                total = total == null ? s : total.add(s);
            }
            if (total == null || Float.isFinite(total.getFloat())) {
                return null;
            }
            List<String> bad = new ArrayList<>();
            for (Pair<String, NDArray> s : sums) {
                if (!Float.isFinite(s.getValue().getFloat())) {
                    bad.add(s.getKey());
                }
            }
            return bad.isEmpty() ? "the gradient sum" : String.join(",", bad);
        }
    }

    /**
     * Sets every trainable parameter's gradient to 0 in place. Needed after a skipped update: the optimizer step is
     * what clears the engine's accumulated gradients, so a skipped NaN gradient would otherwise be added to every
     * later one.
     */
    private void zeroGradients() {
        try (NDManager sub = model.getNDManager().newSubManager()) {
            for (Pair<String, Parameter> p : network.getParameters()) {
                Parameter param = p.getValue();
                if (param.requiresGradient() && param.isInitialized()) {
                    NDArray g = param.getArray().getGradient();
                    g.attach(sub);
                    g.set(new NDIndex("..."), 0f);
                }
            }
        }
    }

    /** Returns the number of updates skipped because a gradient was NaN or infinite. */
    public int skippedUpdates() {
        return skippedUpdates;
    }

    /**
     * Top-1 accuracy and network ratio in eval mode (deterministic gates, running BatchNorm statistics).
     *
     * @param accuracy fraction of correct predictions
     * @param macsRatio sample-weighted mean of {@code F_dyn / F_static}
     * @param images images evaluated
     */
    public record Evaluation(double accuracy, double macsRatio, long images) {}

    /**
     * Evaluates the network in eval mode. With teacher labels ({@link Builder#optTeacherLabels}) the accuracy is the
     * agreement with the teacher's top-1.
     *
     * @param data images and labels
     * @return accuracy and network ratio
     * @throws IOException if reading data fails
     * @throws TranslateException if the dataset cannot batch its records
     */
    public Evaluation evaluate(Dataset data) throws IOException, TranslateException {
        long n = 0;
        long correct = 0;
        double ratio = 0;
        try (NDManager m = model.getNDManager().newSubManager()) {
            ParameterStore ps = new ParameterStore(m, false);
            for (Batch batch : data.getData(m)) {
                try {
                    NetworkResult r = network.run(ps, batch.getData().head(), false);
                    long b = r.logits().getShape().get(0);
                    n += b;
                    NDArray y = batch.getLabels().head();
                    if (teacherLabels) {
                        y = teacherLogits(ps, batch.getData()).argMax(1);
                    }
                    correct += EpochStatsListener.correctCount(r.logits(), y);
                    ratio += b * loss.networkRatio(r).getFloat();
                } finally {
                    batch.close();
                }
            }
        }
        return new Evaluation(n == 0 ? Double.NaN : correct / (double) n, n == 0 ? Double.NaN : ratio / n, n);
    }

    private StatefulOptimizer optimizer() {
        Tracker cosine = CosineTracker.builder()
                .setBaseValue(config.learningRate())
                .optFinalValue(0f)
                .setMaxUpdates(config.totalUpdates())
                .build();
        GroupLearningRateTracker lr = new GroupLearningRateTracker(
                network, cosine, config.backboneLrMultiplier(), config.gateLrMultiplier());
        return StatefulOptimizer.builder(config.optimizer())
                .setBlock(network)
                .setManager(model.getNDManager())
                .setLearningRateTracker(lr)
                .optMomentum(config.optimizer() == OptimizerKind.SGD ? config.momentum() : 0f)
                .optWeightDecay(config.weightDecay())
                .optBeginUpdate(progress.update())
                .build();
    }

    /**
     * Restarts every gate's Gumbel noise from a seed derived from {@code (noiseSeed, block, gate kind, epoch)}, so that
     * an epoch's noise does not depend on what ran before it.
     */
    private void reseedGates(int epoch) {
        List<AbstractGatedBlock> blocks = network.getBlocks();
        for (int b = 0; b < blocks.size(); b++) {
            long spatial = new SplittableRandom(noiseSeed ^ (0x9E3779B97F4A7C15L * (epoch + 1L)) + 2L * b).nextLong();
            long channel = new SplittableRandom(noiseSeed ^ (0x9E3779B97F4A7C15L * (epoch + 1L)) + 2L * b + 1)
                    .nextLong();
            blocks.get(b).getSpatialGate().ifPresent(g -> g.reseed(spatial));
            blocks.get(b).getChannelGate().ifPresent(g -> g.reseed(channel));
        }
    }

    private Shape inputShape(long batch) {
        return new Shape(batch, network.getStem().inChannels(), network.getInputSize(), network.getInputSize());
    }

    /** Releases the model's parameters. */
    @Override
    public void close() {
        model.close();
    }

    /** Builder of a {@link LaudTrainer}. */
    public static final class Builder {
        private GatedNetwork network;
        private GumbelTemperature temperature;
        private LossConfig lossConfig;
        private CostModel costModel;
        private FineTuneConfig config;
        private Block teacher;
        private Path checkpointFile;
        private boolean teacherLabels;
        private long noiseSeed = 7L;
        private Device device;
        private final List<TrainingListener> listeners = new ArrayList<>();

        private Builder() {}

        /**
         * Sets the device the model's parameters and every batch live on (default: the engine's default device, a
         * GPU when the PyTorch native library is a CUDA build and sees one). A network that is already initialised
         * must live on it.
         *
         * @param device the device, e.g. {@code Device.gpu()}
         * @return this builder
         */
        public Builder optDevice(Device device) {
            if (device == null) {
                throw new IllegalArgumentException("device must not be null");
            }
            this.device = device;
            return this;
        }

        /**
         * Adds a training listener (e.g. a progress display). It is notified after the trainer's own listeners, so
         * that in {@code onEpoch} the epoch's statistics are already in {@link LaudTrainer#history()}.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder addTrainingListener(TrainingListener listener) {
            if (listener == null) {
                throw new IllegalArgumentException("listener must not be null");
            }
            listeners.add(listener);
            return this;
        }

        /**
         * Sets the network to train (initialised, e.g. with pretrained weights, or not: then it is initialised).
         *
         * @param network the network
         * @return this builder
         */
        public Builder setNetwork(GatedNetwork network) {
            this.network = network;
            return this;
        }

        /**
         * Sets the Gumbel temperature the network was built with, so that the trainer drives it per update.
         *
         * @param temperature the shared temperature
         * @return this builder
         */
        public Builder optTemperature(GumbelTemperature temperature) {
            this.temperature = temperature;
            return this;
        }

        /**
         * Sets the loss options; {@code totalEpochs} must equal the fine-tune config's epochs.
         *
         * @param lossConfig the loss options
         * @return this builder
         */
        public Builder setLoss(LossConfig lossConfig) {
            this.lossConfig = lossConfig;
            return this;
        }

        /**
         * Replaces the MACs cost model (e.g. with a latency model).
         *
         * @param costModel the cost model
         * @return this builder
         */
        public Builder optCostModel(CostModel costModel) {
            this.costModel = costModel;
            return this;
        }

        /**
         * Sets the optimisation settings.
         *
         * @param config the settings
         * @return this builder
         */
        public Builder setConfig(FineTuneConfig config) {
            this.config = config;
            return this;
        }

        /**
         * Sets a teacher for knowledge distillation (initialised; run in eval mode). The first array of its output
         * must be the logits {@code (B, K)} (as every {@link GatedNetwork}'s {@code forward} returns).
         *
         * @param teacher the teacher
         * @return this builder
         */
        public Builder optTeacher(Block teacher) {
            this.teacher = teacher;
            return this;
        }

        /**
         * Replaces every batch's labels by the teacher's arg-max (default false). Needs a teacher. Use it to
         * distil on images without labels, or whose labels are not classes of the network's head.
         *
         * @param teacherLabels whether to use the teacher's predictions as labels
         * @return this builder
         */
        public Builder optTeacherLabels(boolean teacherLabels) {
            this.teacherLabels = teacherLabels;
            return this;
        }

        /**
         * Sets the seed from which every epoch's gate noise is derived (default 7).
         *
         * @param noiseSeed the seed
         * @return this builder
         */
        public Builder optNoiseSeed(long noiseSeed) {
            this.noiseSeed = noiseSeed;
            return this;
        }

        /**
         * Writes a checkpoint to this file after every epoch (previous one kept as {@code <file>.prev}).
         *
         * @param file the checkpoint file
         * @return this builder
         */
        public Builder optCheckpointFile(Path file) {
            this.checkpointFile = file;
            return this;
        }

        /**
         * Validates and builds the trainer; initialises the network if needed.
         *
         * @return the trainer
         */
        public LaudTrainer build() {
            if (network == null || lossConfig == null || config == null) {
                throw new IllegalArgumentException("network, loss and config must be set");
            }
            if (teacherLabels && teacher == null) {
                throw new IllegalArgumentException("teacherLabels needs a teacher (optTeacher)");
            }
            if (lossConfig.totalEpochs() != config.epochs()) {
                throw new IllegalArgumentException("loss totalEpochs (" + lossConfig.totalEpochs()
                        + ") must equal config epochs (" + config.epochs() + ")");
            }
            if (costModel != null && costModel.numBlocks() != network.getBlocks().size()) {
                throw new IllegalArgumentException("costModel has " + costModel.numBlocks() + " blocks, network "
                        + network.getBlocks().size());
            }
            return new LaudTrainer(this);
        }
    }
}
