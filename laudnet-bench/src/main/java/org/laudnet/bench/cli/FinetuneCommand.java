package org.laudnet.bench.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.laudnet.bench.experiment.GateSchedules;
import org.laudnet.bench.experiment.ProgressPrinter;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.models.data.ImageFolderDataset;
import org.laudnet.models.data.Normalization;
import org.laudnet.models.imagenet.CaffePreprocessing;
import org.laudnet.models.imagenet.ImageNetClassifier;
import org.laudnet.models.train.Checkpoint;
import org.laudnet.models.train.EpochStats;
import org.laudnet.models.train.FineTuneConfig;
import org.laudnet.models.train.LaudTrainer;
import org.laudnet.models.train.LossConfig;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.ImageNetLabels;
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
            description = "Continue from this checkpoint (weights, optimizer momentum, epoch, update count,"
                    + " temperature, data order).")
    Path resume;

    /** Where the training labels come from. */
    enum LabelSource {
        /** IMAGENET when every class directory names an ImageNet class, TEACHER otherwise. */
        AUTO,
        /** Class directories named after ImageNet classes (e.g. {@code bald_eagle}) or by class index (0-999). */
        IMAGENET,
        /** The static teacher's top-1 prediction of every image (pure self-distillation). */
        TEACHER
    }

    @Option(names = "--labels", defaultValue = "AUTO",
            description = "Label source: imagenet (class directories named after ImageNet classes or 0-999),"
                    + " teacher (the static network's top-1; any directory names), or auto (imagenet when every"
                    + " directory matches, else teacher) (default: ${DEFAULT-VALUE}).")
    LabelSource labels;

    @Option(names = "--seed", defaultValue = "1",
            description = "Seed of the data order and the gates' noise (default: ${DEFAULT-VALUE}).")
    long seed;

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
        ImageNetLabels imagenet = ImageNetLabels.load(cache.imageNetLabelsJson());
        Map<String, Integer> classLabels = imageNetLabels(classDirectories(data), imagenet);
        LabelSource source = labels;
        if (source == LabelSource.AUTO) {
            source = classLabels != null ? LabelSource.IMAGENET : LabelSource.TEACHER;
        } else if (source == LabelSource.IMAGENET && classLabels == null) {
            throw new IllegalArgumentException("--labels imagenet: class directories " + classDirectories(data)
                    + " of " + data + " are not all ImageNet class names or indices 0-999");
        }
        ImageFolderDataset.Builder db = ImageFolderDataset.builder()
                .setRoot(data)
                .optNormalization(new Normalization(mean, std))
                .optShuffle(batch, seed);
        if (source == LabelSource.IMAGENET) {
            db.optClassLabels(classLabels);
        }
        ImageFolderDataset train = db.build();
        int steps = (int) Math.ceil(train.size() / (double) batch);
        System.out.printf(Locale.ROOT, "data: %d images in %d classes %s; %d steps per epoch%n", train.size(),
                train.getClasses().size(), train.getClasses(), steps);
        System.out.println(source == LabelSource.IMAGENET
                ? "labels: the ImageNet classes named by the directories"
                : "labels: the static teacher's top-1 prediction of every image (self-distillation)");
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
                    .optTeacherLabels(source == LabelSource.TEACHER)
                    .optNoiseSeed(seed)
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
                                + " training MACs ratio %.3f; eval on the data: top-1 %.4f (%s), MACs ratio %.3f%n",
                        stats.size(), last.loss(), last.ce(), last.kd(), last.cost(), last.macsRatio(), e.accuracy(),
                        source == LabelSource.IMAGENET ? "vs the directory classes" : "agreement with the static"
                                + " network", e.macsRatio());
                System.out.println("checkpoint: " + out.toAbsolutePath());
            }
        }
        return 0;
    }

    /** The sorted names of the class subdirectories of {@code root}. */
    static List<String> classDirectories(Path root) throws java.io.IOException {
        if (root == null || !java.nio.file.Files.isDirectory(root)) {
            throw new IllegalArgumentException("--data must be an existing directory, got " + root);
        }
        try (java.util.stream.Stream<Path> s = java.nio.file.Files.list(root)) {
            return s.filter(java.nio.file.Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * Maps class directory names to ImageNet indices: a name in stored or readable form, case-insensitive
     * ({@code bald_eagle}, {@code Bald eagle}), or an index {@code 0..999}.
     *
     * @param names directory names
     * @param imagenet the ImageNet labels
     * @return the mapping, or null if some name matches no class
     */
    static Map<String, Integer> imageNetLabels(List<String> names, ImageNetLabels imagenet) {
        Map<String, Integer> byName = new java.util.HashMap<>();
        for (int i = imagenet.size() - 1; i >= 0; i--) {
            byName.put(imagenet.name(i).toLowerCase(Locale.ROOT), i);
        }
        Map<String, Integer> out = new java.util.LinkedHashMap<>();
        for (String n : names) {
            Integer idx = byName.get(n.toLowerCase(Locale.ROOT).replace(' ', '_'));
            if (idx == null && n.matches("\\d{1,4}")) {
                int v = Integer.parseInt(n);
                idx = v < imagenet.size() ? v : null;
            }
            if (idx == null) {
                return null;
            }
            out.put(n, idx);
        }
        return out.isEmpty() ? null : out;
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
    private static void acceptRgb(GatedNetwork net) {
        Parameter w = net.getStemConv().getParameters().get("weight");
        NDArray a = w.getArray();
        a.flip(1).copyTo(a);
    }
}
