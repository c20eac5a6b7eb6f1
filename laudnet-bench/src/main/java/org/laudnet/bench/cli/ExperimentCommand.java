package org.laudnet.bench.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.laudnet.bench.experiment.ExperimentConfig;
import org.laudnet.bench.experiment.FashionMnistExperiment;
import org.laudnet.bench.experiment.ResultsReport;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.util.LaudnetHome;
import org.laudnet.models.data.IdxDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code laudnet experiment}: reproducible experiments that write a results report. */
@Command(
        name = "experiment",
        mixinStandardHelpOptions = true,
        description = "Runs an experiment and writes its report.",
        subcommands = {ExperimentCommand.FashionMnist.class})
public final class ExperimentCommand implements Callable<Integer> {

    /** Prints the usage when no experiment is named. */
    @Override
    public Integer call() {
        picocli.CommandLine.usage(this, System.out);
        return 0;
    }

    /** {@code laudnet experiment fashion-mnist}. */
    @Command(
            name = "fashion-mnist",
            mixinStandardHelpOptions = true,
            description = "Trains a static ResNet-style network on Fashion-MNIST, fine-tunes spatial, channel and"
                    + " layer LAUD variants at MACs targets t = 0.25, 0.5, 0.75 from it with distillation, and a layer"
                    + " variant at latency target t = 0.5 (block latencies measured on this machine), measures top-1,"
                    + " MACs, densities and CPU latency, and writes fashion-mnist.md with a plot and a mask picture.")
    public static final class FashionMnist implements Callable<Integer> {

        @Option(names = "--epochs", defaultValue = "10",
                description = "Fine-tuning epochs of every LAUD variant (default: ${DEFAULT-VALUE}).")
        int epochs;

        @Option(names = "--static-epochs", defaultValue = "7",
                description = "Epochs of the static network (default: ${DEFAULT-VALUE}).")
        int staticEpochs;

        @Option(names = "--quick", description = "A tiny run (256 images, 1 epoch) for development.")
        boolean quick;

        @Option(names = "--out", defaultValue = "docs/results",
                description = "Output directory (default: ${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--data", description = "Fashion-MNIST directory (default: fashion-mnist in the LAUDNet"
                + " home: " + LaudnetHome.RULE + ").")
        Path data;

        @Option(names = "--train-images", description = "Training images used (default: 20000; quick: 256).")
        Integer trainImages;

        @Option(names = "--modes", split = ",",
                description = "Gate modes to fine-tune with the MACs cost, comma-separated; none for no such variants"
                        + " (default: spatial,channel,layer).")
        List<String> modes;

        @Option(names = "--targets", split = ",",
                description = "Target MACs ratios t, comma-separated (default: 0.25,0.5,0.75).")
        List<Float> targets;

        @Option(names = "--latency-modes", split = ",",
                description = "Gate modes also fine-tuned with the latency cost (block latencies measured on this"
                        + " machine at batch 64), comma-separated; none for no such variants (default: layer).")
        List<String> latencyModes;

        @Option(names = "--latency-targets", split = ",",
                description = "Target latency ratios t of those variants, comma-separated (default: 0.5).")
        List<Float> latencyTargets;

        @Spec
        CommandSpec spec;

        @Mixin
        LossFormOptions lossForm = new LossFormOptions();

        @Option(names = "--channel-mask-placement", defaultValue = "after-activation",
                paramLabel = "after-activation|before-norm",
                description = "Where channel gates apply their mask: after-activation (ReLU(BN(conv)) x mask) or"
                        + " before-norm (the reference's ReLU(BN(conv x mask))) (default: ${DEFAULT-VALUE}).")
        String channelMaskPlacement;

        /** The options' names in the errors of {@link ExperimentConfig}: each field mapped to the option setting it. */
        private static final Map<String, String> OPTION_NAMES = Map.of(
                "trainImages", "--train-images",
                "staticEpochs", "--static-epochs",
                "fineTuneEpochs", "--epochs",
                "modes", "--modes",
                "targets", "--targets",
                "latencyModes", "--latency-modes",
                "latencyTargets", "--latency-targets");

        /** Gate modes by name (any case); {@code none} alone means no modes. */
        static List<GateMode> parseModes(String option, List<String> names) {
            if (names.size() == 1 && names.get(0).equalsIgnoreCase("none")) {
                return List.of();
            }
            List<GateMode> out = new ArrayList<>();
            for (String n : names) {
                try {
                    out.add(GateMode.valueOf(n.trim().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(option + ": unknown gate mode '" + n
                            + "' (spatial, channel, both, layer, or none alone)", e);
                }
            }
            return out;
        }

        @Override
        public Integer call() throws Exception {
            OptionChecks.positive(spec, "--epochs", epochs);
            OptionChecks.positive(spec, "--static-epochs", staticEpochs);
            if (trainImages != null) {
                OptionChecks.positive(spec, "--train-images", trainImages);
            }
            for (List<Float> ts : Arrays.asList(targets, latencyTargets)) {
                for (Float t : ts == null ? List.<Float>of() : ts) {
                    OptionChecks.fraction(spec, ts == targets ? "--targets" : "--latency-targets", t);
                }
            }
            if (data != null) {
                InputFiles.directory("--data", data);
                for (String f : List.of(IdxDataset.TRAIN_IMAGES, IdxDataset.TRAIN_LABELS, IdxDataset.TEST_IMAGES,
                        IdxDataset.TEST_LABELS)) {
                    InputFiles.file("--data", data.resolve(f));
                }
            }
            InputFiles.outputDirectory(spec, "--out", out);
            config(data != null ? data : Path.of("."));  // the options' errors before anything is fetched
            Path dir = data != null ? data : DemoCommand.ensureFashionMnist(LaudnetHome.current());
            ExperimentConfig c = config(dir);
            FashionMnistExperiment.Result r = new FashionMnistExperiment(c, System.out::println).run();
            System.out.println();
            System.out.print(ResultsReport.table(r));
            System.out.println();
            System.out.println("report: " + r.report().toAbsolutePath());
            System.out.println("plot:   " + r.plot().toAbsolutePath());
            if (r.masks() != null) {
                System.out.println("masks:  " + r.masks().toAbsolutePath());
            }
            System.out.printf(Locale.ROOT, "total %.0f s%n", r.totalSeconds());
            return 0;
        }

        /**
         * The run's configuration from the options; its validation errors, which name a field and its value, become
         * parameter errors naming the option.
         */
        private ExperimentConfig config(Path dir) {
            try {
                ExperimentConfig c = quick ? ExperimentConfig.quick(dir, out)
                        : ExperimentConfig.full(dir, out, staticEpochs, epochs);
                c = c.withLossForm(lossForm.form(spec));
                c = c.withChannelMaskPlacement(switch (channelMaskPlacement.trim().toLowerCase(Locale.ROOT)) {
                    case "after-activation" -> ChannelMaskPlacement.AFTER_ACTIVATION;
                    case "before-norm" -> ChannelMaskPlacement.BEFORE_NORM;
                    default -> throw OptionChecks.bad(spec, "--channel-mask-placement must be after-activation or"
                            + " before-norm, got '" + channelMaskPlacement + "'");
                });
                if (trainImages != null) {
                    c = c.withImages(trainImages, c.testImages());
                }
                if (modes != null || targets != null) {
                    c = c.withVariants(modes != null ? parseModes("--modes", modes) : c.modes(),
                            targets != null ? targets : c.targets());
                }
                if (latencyModes != null || latencyTargets != null) {
                    c = c.withLatencyVariants(latencyModes != null ? parseModes("--latency-modes", latencyModes)
                            : c.latencyModes(),
                            latencyTargets != null ? latencyTargets : c.latencyTargets());
                }
                return c;
            } catch (IllegalArgumentException e) {
                String m = String.valueOf(e.getMessage());
                for (Map.Entry<String, String> n : OPTION_NAMES.entrySet()) {
                    if (m.startsWith(n.getKey() + " ")) {
                        m = n.getValue() + m.substring(n.getKey().length());
                        break;
                    }
                }
                throw OptionChecks.bad(spec, m);
            }
        }
    }
}
