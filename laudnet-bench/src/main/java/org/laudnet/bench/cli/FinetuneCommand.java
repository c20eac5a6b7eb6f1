package org.laudnet.bench.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.laudnet.bench.experiment.GateSchedules;
import org.laudnet.bench.experiment.ProgressPrinter;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.models.data.ImageFolderDataset;
import org.laudnet.models.data.Normalization;
import org.laudnet.models.imagenet.CaffePreprocessing;
import org.laudnet.models.imagenet.ImageNetClassifier;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.train.Checkpoint;
import org.laudnet.models.train.EpochStats;
import org.laudnet.models.train.FineTuneConfig;
import org.laudnet.models.train.LaudTrainer;
import org.laudnet.models.train.LossConfig;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.KerasResNet50Importer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code laudnet finetune}: fine-tunes the ImageNet ResNet-50 into a LAUD ResNet-50 on an image-folder directory, with
 * knowledge distillation from the static pretrained network (method section 3), and writes a checkpoint.
 */
@Command(
        name = "finetune",
        mixinStandardHelpOptions = true,
        description = "Fine-tunes the pretrained ResNet-50 with LAUD gates on an image folder (root/<class>/<image>),"
                + " distilling from the static network, and writes a checkpoint after every epoch.")
public final class FinetuneCommand implements Callable<Integer> {

    /** Spatial granularity per ResNet-50 stage (56, 28, 14, 7). */
    static final int[] RESNET50_GRANULARITY = {4, 4, 2, 1};

    @Option(names = "--weights", defaultValue = "resnet50-imagenet",
            description = "Pretrained weights (only: resnet50-imagenet).")
    String weights;

    @Option(names = "--data", required = true, description = "Image-folder root: one subdirectory per class.")
    Path data;

    @Option(names = "--mode", defaultValue = "layer", description = "spatial, channel or layer (default: ${DEFAULT-VALUE}).")
    GateMode mode;

    @Option(names = "--target", defaultValue = "0.5", description = "Target MACs ratio t (default: ${DEFAULT-VALUE}).")
    float target;

    @Option(names = "--epochs", defaultValue = "1", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", defaultValue = "2", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "0.001", description = "SGD learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--out", defaultValue = "laudnet-resnet50.ckpt",
            description = "Checkpoint file, written atomically after every epoch (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--resume",
            description = "Continue from this checkpoint (weights, epoch, update count, temperature); optimizer"
                    + " momentum restarts from zero.")
    Path resume;

    @Override
    public Integer call() throws Exception {
        if (!"resnet50-imagenet".equals(weights)) {
            throw new IllegalArgumentException("weights must be resnet50-imagenet, got " + weights);
        }
        GateSpec[] gates = stageGates(mode);
        AssetCache cache = AssetCache.defaultCache();
        float[] mean = {
            CaffePreprocessing.BGR_MEAN[2] / 255f, CaffePreprocessing.BGR_MEAN[1] / 255f,
            CaffePreprocessing.BGR_MEAN[0] / 255f
        };
        float[] std = {1f / 255f, 1f / 255f, 1f / 255f};
        ImageFolderDataset train = ImageFolderDataset.builder()
                .setRoot(data)
                .optNormalization(new Normalization(mean, std))
                .optShuffle(batch, 1)
                .build();
        int steps = (int) Math.ceil(train.size() / (double) batch);
        System.out.printf(Locale.ROOT, "data: %d images in %d classes %s; %d steps per epoch%n", train.size(),
                train.getClasses().size(), train.getClasses(), steps);
        GumbelTemperature tau = GateSchedules.annealed(epochs * steps);
        System.out.println("loading the pretrained ResNet-50 (teacher and student) ...");
        try (ImageNetClassifier teacher = ImageNetClassifier.load(cache, KerasResNet50Importer.builder());
                ImageNetClassifier student = ImageNetClassifier.load(cache,
                        KerasResNet50Importer.builder().optStageGates(gates).optTemperature(tau))) {
            acceptRgb(teacher.network());
            acceptRgb(student.network());
            int firstEpoch = resume == null ? 0 : Checkpoint.read(resume).state().epoch();
            ProgressPrinter printer = new ProgressPrinter("resnet50 " + mode.name().toLowerCase(), steps, firstEpoch,
                    epochs, System.out::println);
            try (LaudTrainer tr = LaudTrainer.builder()
                    .setNetwork(student.network())
                    .optTemperature(tau)
                    .optTeacher(teacher.network())
                    .setLoss(LossConfig.paper(target, epochs))
                    .setConfig(FineTuneConfig.sgd(epochs, steps, lr))
                    .optCheckpointFile(out)
                    .addTrainingListener(printer)
                    .build()) {
                printer.setOwner(tr);
                if (resume != null) {
                    var state = tr.resume(resume);
                    System.out.printf(Locale.ROOT, "resumed from %s: epoch %d, update %d, temperature %.3f%n",
                            resume, state.epoch(), state.update(), state.temperature());
                }
                List<EpochStats> stats = tr.fit(train, null);
                if (stats.isEmpty()) {
                    System.out.println("nothing to train: the checkpoint already holds all " + epochs + " epochs");
                    return 0;
                }
                EpochStats last = stats.get(stats.size() - 1);
                LaudTrainer.Evaluation e = tr.evaluate(train);
                System.out.printf(Locale.ROOT, "done: %d epochs, last loss %.4f (ce %.4f, kd %.4f, cost %.4f),"
                                + " training MACs ratio %.3f; eval MACs ratio on the data %.3f%n", stats.size(),
                        last.loss(), last.ce(), last.kd(), last.cost(), last.macsRatio(), e.macsRatio());
                System.out.println("checkpoint: " + out.toAbsolutePath());
            }
        }
        return 0;
    }

    /**
     * The gate spec of every ResNet-50 stage for a mode.
     *
     * @param mode SPATIAL (S = 4, 4, 2, 1), CHANNEL (4 groups) or LAYER
     * @return four specs
     * @throws IllegalArgumentException for NONE or BOTH
     */
    static GateSpec[] stageGates(GateMode mode) {
        GateSpec[] g = new GateSpec[4];
        for (int s = 0; s < 4; s++) {
            g[s] = switch (mode) {
                case SPATIAL -> GateSpec.spatial(RESNET50_GRANULARITY[s]);
                case CHANNEL -> GateSpec.channel(4);
                case LAYER -> GateSpec.layer();
                default -> throw new IllegalArgumentException("mode must be spatial, channel or layer, got " + mode);
            };
        }
        return g;
    }

    /**
     * Reverses the input-channel axis of the stem convolution, so that a network trained on BGR input accepts RGB
     * input: {@code W'[o, c] = W[o, 2 - c]}.
     */
    private static void acceptRgb(LaudResNet net) {
        Parameter w = net.getStemConv().getParameters().get("weight");
        NDArray a = w.getArray();
        a.flip(1).copyTo(a);
    }
}
