package org.laudnet.bench.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.models.inference.LatencyComparison;
import org.laudnet.models.train.Architecture;
import org.laudnet.models.train.CheckpointState;
import org.laudnet.models.train.EpochStats;
import org.laudnet.models.train.EpochStatsListener;
import org.laudnet.models.train.FineTuning;
import org.laudnet.models.train.FineTuningListener;
import org.laudnet.models.train.FineTuningResult;
import org.laudnet.models.train.LabelSource;
import org.laudnet.models.train.TrainingDevice;
import org.laudnet.models.train.WeightSource;
import org.laudnet.models.weights.AssetCache;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code laudnet finetune}: fine-tuning to deployment from the command line, a thin client of {@link FineTuning}:
 * pretrained weights (the Keras ImageNet ResNet-50, or a torchvision-named safetensors file of any supported
 * architecture) become a gated LAUD network trained on an image folder with distillation from the static network,
 * written as a {@code .laud} model (and {@code <name>-best.laud} when validation improves) that {@code classify
 * --model} and {@code LaudModel.load} run. Prints the progress, then top-1, agreement with the teacher, MACs ratio,
 * the measured latency of the static and the gated network, and the output files.
 */
@Command(
        name = "finetune",
        mixinStandardHelpOptions = true,
        description = "Fine-tunes pretrained weights with LAUD gates on an image folder (DIR/<class>/<image>),"
                + " distilling from the static network, and writes a deployable .laud model (plus <name>-best.laud"
                + " when validation improves) and a checkpoint for resuming.")
public final class FinetuneCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--arch", defaultValue = "resnet50",
            description = "Architecture: resnet18, resnet34, resnet50, resnet101, regnety-400mf or regnety-800mf"
                    + " (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--weights", defaultValue = "resnet50-imagenet", paramLabel = "resnet50-imagenet|FILE",
            description = "Pretrained weights: resnet50-imagenet (the Keras ImageNet ResNet-50 of the asset cache,"
                    + " --arch resnet50 only; BGR Caffe input), a .safetensors file with torchvision names, or a"
                    + " PyTorch checkpoint (.pth, .pt, .pth.tar: torchvision names, or a LAUDNet checkpoint whose gates"
                    + " --gates must match) (any --arch; torchvision input) (default: ${DEFAULT-VALUE}).")
    String weights;

    @Option(names = "--gates", split = ",",
            description = "Gates, one spec per stage: none, layer, spatial:S, channel:G or both:S:G, the channel"
                    + " granularity as G or groups=G (number of groups) or cpg=K (channels per group, the reference's"
                    + " channel_dyn_granularity), e.g. --gates spatial:4,spatial:4,spatial:2,layer.")
    List<String> gates;

    @Option(names = "--mode",
            description = "Shorthand for --gates at 224 x 224: spatial (S = 4, 4, 2, 1), channel (4 groups) or"
                    + " layer. Without --gates and --mode: layer.")
    GateMode mode;

    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "Training images: one subdirectory per class.")
    Path data;

    @Option(names = "--val", paramLabel = "DIR", description = "Validation images (DIR/<class>/<image>).")
    Path val;

    @Option(names = "--val-split", paramLabel = "F",
            description = "Hold out this fraction of --data for validation (seeded by --seed), in (0, 1).")
    Double valSplit;

    @Option(names = "--out", paramLabel = "MODEL.laud",
            description = "The model file to write (default: laudnet-<arch>.laud).")
    Path out;

    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "The training checkpoint, written after every epoch (default: beside the model,"
                    + " <name>.ckpt).")
    Path checkpoint;

    @Option(names = "--resume",
            description = "Continue from the checkpoint (weights, optimizer momentum, epoch, update count,"
                    + " temperature, data order).")
    boolean resume;

    @Option(names = "--epochs", defaultValue = "1", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch", defaultValue = "8", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "0.001", description = "SGD learning rate (default: ${DEFAULT-VALUE}).")
    float lr;

    @Mixin
    LossFormOptions lossForm = new LossFormOptions();

    @Option(names = "--channel-mask-placement", defaultValue = "after-activation",
            paramLabel = "after-activation|before-norm",
            description = "Where channel gates apply their mask: after-activation (ReLU(BN(conv)) x mask, skipped"
                    + " channels are 0) or before-norm (the reference's ReLU(BN(conv x mask)); ResNets only)"
                    + " (default: ${DEFAULT-VALUE}).")
    String channelMaskPlacement;

    @Option(names = "--target", defaultValue = "0.5", description = "Target MACs ratio t (default: ${DEFAULT-VALUE}).")
    float target;

    @Option(names = "--labels", defaultValue = "auto",
            description = "Label source: imagenet (class directories named after ImageNet classes or 0-999),"
                    + " teacher (the static network's top-1; any directory names), or auto (imagenet when every"
                    + " directory matches, else teacher) (default: ${DEFAULT-VALUE}).")
    String labels;

    @Option(names = "--seed", defaultValue = "1",
            description = "Seed of the data order, the validation split and the gates' noise"
                    + " (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--latency-runs", defaultValue = "20",
            description = "Timed runs of the static and the gated network at batch 1 after training (0: no"
                    + " measurement) (default: ${DEFAULT-VALUE}).")
    int latencyRuns;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "cpu|gpu|auto",
            description = "Where to train: cpu, gpu (a CUDA GPU of DJL's PyTorch engine; refused with the reason"
                    + " when it has none) or auto (the GPU when there is one) (default: ${DEFAULT-VALUE}). A GPU needs"
                    + " a CUDA build of PyTorch 2.7.1 for DJL: see the README, \"Fine-tuning on a GPU\".")
    String device;

    @Option(names = "--image-size", defaultValue = "224",
            description = "Input side (centre crop; images resized to S * 256 / 224 first) (default:"
                    + " ${DEFAULT-VALUE}).")
    int imageSize;

    @Override
    public Integer call() throws Exception {
        FineTuning fineTuning = fineTuning();
        AssetCache cache = AssetCache.defaultCache();
        if (WeightSource.parse(weights, cache).kind() == WeightSource.Kind.KERAS_RESNET50_IMAGENET
                && !cache.hasResNet50()) {
            throw new EnvironmentException("the ImageNet ResNet-50 is not in " + cache.resnet50Dir()
                    + "; fetch it with 'scripts/fetch-assets weights'");
        }
        PrintStream o = System.out;
        o.println("training on " + describe(fineTuning.device().resolve()) + " (--device " + fineTuning.device()
                + ")");
        FineTuningResult r = fineTuning.run();
        o.printf(Locale.ROOT, "trained %d epoch(s) (%d in all)%s%n", r.epochsTrained(), r.epochs(),
                r.epochsTrained() == 0 ? ": the checkpoint already held them all" : "");
        FineTuningResult.Evaluation e = r.evaluation();
        String on = e.on() == FineTuningResult.EvaluatedOn.VALIDATION ? "validation" : "training";
        o.printf(Locale.ROOT, "top-1 %.4f on %d %s images (%s); agreement with the static teacher %.4f%n", e.top1(),
                e.images(), on, r.labels() == LabelSource.IMAGENET ? "vs the ImageNet classes of the directories"
                        : "vs the teacher's top-1", e.teacherAgreement());
        o.printf(Locale.ROOT, "MACs ratio %.3f (eval, %s images)%n", e.macsRatio(), on);
        if (r.latency().isPresent()) {
            LatencyComparison l = r.latency().get();
            o.printf(Locale.ROOT, "latency at batch %d on %s, %d threads: static %.2f ms, gated %.2f ms, ratio %.3f"
                            + " (medians of %d runs; gated MACs ratio %.3f)%n", l.batch(), l.backend(), l.threads(),
                    l.staticMs(), l.gatedMs(), l.ratio(), l.runs(), l.gatedMacsRatio());
        }
        o.println("model: " + r.model().toAbsolutePath());
        r.bestModel().ifPresent(b -> o.println("best model: " + b.toAbsolutePath()));
        o.println("checkpoint: " + r.checkpoint().toAbsolutePath());
        return 0;
    }

    /**
     * The options' names in the errors of {@link FineTuning.Builder#build()}, which validates the run's settings:
     * each builder setting mapped to the option that sets it.
     */
    private static final Map<String, String> OPTION_NAMES = Map.ofEntries(
            Map.entry("architecture", "--arch"),
            Map.entry("weights", "--weights"),
            Map.entry("data", "--data"),
            Map.entry("validationFolder", "--val"),
            Map.entry("validationSplit", "--val-split"),
            Map.entry("output", "--out"),
            Map.entry("resume", "--resume"),
            Map.entry("epochs", "--epochs"),
            Map.entry("batchSize", "--batch"),
            Map.entry("learningRate", "--lr"),
            Map.entry("target", "--target"),
            Map.entry("latencyRuns", "--latency-runs"),
            Map.entry("device", "--device"),
            Map.entry("cropSize", "--image-size"));

    /**
     * Parses the options and describes the run; {@link FineTuning.Builder#build()} validates the settings, and its
     * errors, which name the option and its value, become parameter errors. Input files and directories that are
     * missing, unreadable or of the wrong kind are refused first.
     */
    FineTuning fineTuning() throws LaudInputException {
        Architecture architecture;
        try {
            architecture = Architecture.parse(arch);
        } catch (IllegalArgumentException e) {
            throw bad("--arch must be one of " + Architecture.names() + ", got '" + arch + "'");
        }
        WeightSource source;
        try {
            source = WeightSource.parse(weights, AssetCache.defaultCache());
        } catch (IllegalArgumentException e) {
            throw bad("--weights must be resnet50-imagenet, a .safetensors file or a PyTorch checkpoint (.pth, .pt,"
                    + " .pth.tar), got '" + weights + "'");
        }
        if (source.kind() != WeightSource.Kind.KERAS_RESNET50_IMAGENET) {
            InputFiles.file("--weights", source.file());
        }
        InputFiles.directory("--data", data);
        if (val != null) {
            InputFiles.directory("--val", val);
        }
        InputFiles.outputFile(spec, "--out", out);
        if (!resume) {
            InputFiles.outputFile(spec, "--checkpoint", checkpoint);
        } else if (checkpoint != null && Files.exists(checkpoint)) {
            InputFiles.file("--checkpoint", checkpoint);
        }
        if (valSplit != null && valSplit == 0) {
            // the builder reads a split of 0 as none; the option has no such value
            throw bad("--val-split must be in (0, 1), got " + valSplit);
        }
        LabelSource labelSource;
        try {
            labelSource = LabelSource.parse(labels);
        } catch (IllegalArgumentException e) {
            throw bad("--labels must be auto, imagenet or teacher, got '" + labels + "'");
        }
        TrainingDevice trainingDevice;
        try {
            trainingDevice = TrainingDevice.parse(device);
        } catch (IllegalArgumentException e) {
            throw bad("--device must be cpu, gpu or auto, got '" + device + "'");
        }
        Path model = out != null ? out : Path.of("laudnet-" + architecture.id() + ".laud");
        FineTuning.Builder b = FineTuning.builder()
                .setArchitecture(architecture)
                .setWeights(source)
                .optStageGates(stageGates())
                .setData(data)
                .setOutput(model)
                .optResume(resume)
                .optEpochs(epochs)
                .optBatchSize(batch)
                .optLearningRate(lr)
                .optTarget(target)
                .optLossForm(lossForm.form(spec))
                .optLabels(labelSource)
                .optSeed(seed)
                .optLatencyRuns(latencyRuns)
                .optDevice(trainingDevice)
                .optImageSize(Math.max(imageSize, Math.round(imageSize * 256f / 224f)), imageSize)
                .optListener(new Printer(System.out, architecture.id()))
                .optSettingNames(OPTION_NAMES);
        if (checkpoint != null) {
            b.optCheckpoint(checkpoint);
        }
        if (val != null) {
            b.optValidationFolder(val);
        }
        if (valSplit != null) {
            b.optValidationSplit(valSplit);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage());
        }
    }

    private static String describe(ai.djl.Device d) {
        return d.isGpu() ? "GPU " + d.getDeviceId() + " (PyTorch CUDA)" : "the CPU";
    }

    private GateSpec[] stageGates() {
        ChannelMaskPlacement placement = switch (channelMaskPlacement.trim().toLowerCase(Locale.ROOT)) {
            case "after-activation" -> ChannelMaskPlacement.AFTER_ACTIVATION;
            case "before-norm" -> ChannelMaskPlacement.BEFORE_NORM;
            default -> throw bad("--channel-mask-placement must be after-activation or before-norm, got '"
                    + channelMaskPlacement + "'");
        };
        GateSpec[] g = parsedStageGates();
        for (int s = 0; s < g.length; s++) {
            g[s] = g[s].withChannelMaskPlacement(placement);
        }
        return g;
    }

    private GateSpec[] parsedStageGates() {
        if (gates != null && mode != null) {
            throw bad("--gates and --mode exclude each other, got --gates " + String.join(",", gates) + " and --mode "
                    + mode.name().toLowerCase(Locale.ROOT));
        }
        if (gates != null) {
            if (gates.size() != Architecture.STAGES) {
                throw bad("--gates must give one spec per stage (" + Architecture.STAGES + "), got "
                        + String.join(",", gates));
            }
            try {
                return ClassifyCommand.parseGates(gates, Architecture.parse(arch));
            } catch (IllegalArgumentException e) {
                throw bad("--gates " + String.join(",", gates) + ": " + e.getMessage());
            }
        }
        GateMode m = mode == null ? GateMode.LAYER : mode;
        if (m != GateMode.SPATIAL && m != GateMode.CHANNEL && m != GateMode.LAYER) {
            throw bad("--mode must be spatial, channel or layer, got " + m.name().toLowerCase(Locale.ROOT));
        }
        return Architecture.stageGates(m);
    }

    private CommandLine.ParameterException bad(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** Prints the progress of a run: the setup, a bar every tenth of an epoch, one line per epoch. */
    static final class Printer implements FineTuningListener {
        private final PrintStream out;
        private final String label;
        private int epochs;
        private long epochStart = System.nanoTime();
        private long epochImages;

        Printer(PrintStream out, String label) {
            this.out = out;
            this.label = label;
        }

        @Override
        public void onPhase(Phase phase) {
            switch (phase) {
                case LOADING_WEIGHTS -> out.println("loading the pretrained weights (teacher and student) ...");
                case TRAINING -> epochStart = System.nanoTime();
                case EVALUATING -> out.println("evaluating ...");
                case MEASURING_LATENCY -> out.println("measuring the latency of the static and the gated network"
                        + " ...");
                default -> { }
            }
        }

        @Override
        public void onSetup(Setup s) {
            epochs = s.epochs();
            out.printf(Locale.ROOT, "%s from %s, gates %s%n", s.architecture().id(), s.weights().describe(),
                    s.stageGates().stream().map(Printer::gate).collect(Collectors.joining(",")));
            out.printf(Locale.ROOT, "data: %d training images in %d classes %s, %d validation images; %d steps per"
                    + " epoch%n", s.trainImages(), s.classes().size(), s.classes(), s.validationImages(),
                    s.stepsPerEpoch());
            out.println(s.labels() == LabelSource.IMAGENET
                    ? "labels: the ImageNet classes named by the directories"
                    : "labels: the static teacher's top-1 prediction of every image (self-distillation)");
            out.println("preprocessing: " + s.preprocessing());
        }

        @Override
        public void onResume(Path checkpoint, CheckpointState state) {
            out.printf(Locale.ROOT, "resumed from %s: epoch %d, update %d, temperature %.3f%n", checkpoint,
                    state.epoch(), state.update(), state.temperature());
        }

        @Override
        public void onBatch(int epoch, int batch, int batchesPerEpoch, long images) {
            epochImages += images;
            int step = Math.max(1, batchesPerEpoch / 10);
            if (batch % step == 0 && batch < batchesPerEpoch) {
                int filled = (int) Math.round(20.0 * batch / batchesPerEpoch);
                double secs = (System.nanoTime() - epochStart) / 1e9;
                out.printf(Locale.ROOT, "  %-14s epoch %d/%d [%s%s] %3d%%  %.1f img/s%n", label, epoch + 1, epochs,
                        "#".repeat(filled), ".".repeat(20 - filled), 100 * batch / batchesPerEpoch,
                        epochImages / secs);
            }
        }

        @Override
        public void onEpoch(EpochStats s, Optional<Path> savedBest) {
            String tau = Double.isFinite(s.temperature()) ? String.format(Locale.ROOT, ", tau %.2f", s.temperature())
                    : "";
            String validation = Double.isFinite(s.valAccuracy()) ? String.format(Locale.ROOT,
                    "; validation top-1 %.4f, MACs ratio %.3f", s.valAccuracy(), s.valMacsRatio()) : "";
            out.printf(Locale.ROOT, "  %-14s epoch %d/%d done: loss %.4f (ce %.4f, kd %.4f, cost %.4f), train acc"
                            + " %.4f, train MACs ratio %.3f%s, %.1f img/s%s; per stage density/MACs ratio: %s%n",
                    label, s.epoch() + 1, epochs, s.loss(), s.ce(), s.kd(), s.cost(), s.accuracy(), s.macsRatio(),
                    tau, s.imagesPerSecond(), validation, EpochStatsListener.formatStages(s.stages()));
            savedBest.ifPresent(p -> out.println("  saved the best model so far: " + p));
            epochStart = System.nanoTime();
            epochImages = 0;
        }

        private static String gate(GateSpec g) {
            return switch (g.mode()) {
                case NONE -> "none";
                case LAYER -> "layer";
                case SPATIAL -> "spatial:" + g.spatialGranularity();
                case CHANNEL -> "channel:" + g.channelGroups();
                case BOTH -> "both:" + g.spatialGranularity() + ":" + g.channelGroups();
            };
        }
    }
}
