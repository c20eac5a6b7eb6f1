package org.laudnet.bench.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.latency.GranularitySearch;
import org.laudnet.core.latency.GranularitySearch.Candidate;
import org.laudnet.core.latency.GranularitySearch.StageChoice;
import org.laudnet.core.latency.HardwareSpec;
import org.laudnet.core.latency.LatencyPredictor;
import org.laudnet.core.latency.TiledRooflineModel;
import org.laudnet.core.latency.cpu.CpuLatencyModel;
import org.laudnet.core.latency.cpu.CpuLatencyProfile;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.util.LaudnetHome;
import org.laudnet.models.latency.NetworkLatencyEstimator;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.ResNetDepth;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code laudnet search}: picks per-stage spatial granularity and channel groups by predicted latency at a target
 * density, on an analytical GPU model with a hardware preset, or ({@code --hardware cpu}) on this machine's
 * calibrated CPU latency profile.
 */
@Command(
        name = "search",
        mixinStandardHelpOptions = true,
        description = "Picks per-stage spatial granularity (and channel groups) that minimise predicted latency at the"
                + " target density, and prints per stage every candidate with predicted static and dynamic latency.")
public final class SearchCommand implements Callable<Integer> {

    /** The architectures {@code --arch} accepts, by name. */
    private static final Map<String, ResNetDepth> ARCHITECTURES = Map.of("resnet18", ResNetDepth.RESNET18,
            "resnet34", ResNetDepth.RESNET34, "resnet50", ResNetDepth.RESNET50, "resnet101", ResNetDepth.RESNET101);

    @Spec
    CommandSpec spec;

    @Option(names = "--arch", defaultValue = "resnet50",
            description = "resnet18, resnet34, resnet50 or resnet101 (default: ${DEFAULT-VALUE}).")
    String arch;

    @Option(names = "--hardware", defaultValue = "v100",
            description = "Hardware preset: v100, rtx3090, rtx3060, tx2, nano, a100, h100, h200, 'all' (the GPU"
                    + " presets), or 'cpu' (the calibrated CPU profile of this machine) (default: ${DEFAULT-VALUE}).")
    String hardware;

    @Option(names = "--target", defaultValue = "0.5", description = "Target density t (default: ${DEFAULT-VALUE}).")
    double target;

    @Option(names = "--profile", description = "CPU profile for --hardware cpu (default: "
            + CpuLatencyProfile.DEFAULT_FILE_NAME + " in the LAUDNet home: " + LaudnetHome.RULE + ").")
    Path profile;

    @Option(names = "--batch", description = "Batch size (default: the preset's, 128 desktop / 1 embedded; 1 on cpu).")
    Integer batch;

    @Option(names = "--input-size", defaultValue = "224", description = "Input image side (default: ${DEFAULT-VALUE}).")
    int inputSize;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        ResNetDepth depth = ARCHITECTURES.get(arch.toLowerCase(Locale.ROOT));
        if (depth == null) {
            throw OptionChecks.bad(spec, "--arch must be one of resnet18, resnet34, resnet50, resnet101, got '" + arch
                    + "'");
        }
        boolean cpu = hardware.equalsIgnoreCase("cpu");
        List<HardwareSpec> presets = List.of();
        if (!cpu) {
            try {
                presets = hardware.equalsIgnoreCase("all") ? HardwareSpec.presets()
                        : List.of(HardwareSpec.preset(hardware));
            } catch (IllegalArgumentException e) {
                throw OptionChecks.bad(spec, "--hardware must be v100, rtx3090, rtx3060, tx2, nano, a100, h100, h200,"
                        + " all or cpu, got '" + hardware + "'");
            }
        }
        OptionChecks.fraction(spec, "--target", target);
        if (batch != null) {
            OptionChecks.positive(spec, "--batch", batch);
        }
        OptionChecks.positive(spec, "--input-size", inputSize);
        if (profile != null) {
            InputFiles.file("--profile", profile);
        }
        GatedNetwork net;
        try {
            net = LaudResNet.builder().setDepth(depth).optInputSize(inputSize).build();
        } catch (IllegalArgumentException e) {
            throw OptionChecks.bad(spec, "--input-size " + inputSize + ": " + e.getMessage());
        }
        List<BlockGeometry> blocks = net.getBlocks().stream().map(AbstractGatedBlock::getGeometry).toList();
        if (cpu) {
            CpuLatencyModel model = new CpuLatencyModel(LatencyCommand.loadProfile(profile));
            int b = batch == null ? 1 : batch;
            print(out, model, net, blocks, b, String.format("%s on this CPU, batch %d, target density %.2f (%s)",
                    depth, b, target, model.name()));
            return 0;
        }
        for (HardwareSpec hw : presets) {
            int b = batch == null ? hw.defaultBatch() : batch;
            print(out, new TiledRooflineModel(hw), net, blocks, b, String.format(
                    "%s on %s, batch %d, target density %.2f (analytical tiled-roofline model)",
                    depth, hw.name(), b, target));
        }
        return 0;
    }

    private void print(PrintStream out, LatencyPredictor predictor, GatedNetwork net, List<BlockGeometry> blocks, int b,
            String title) {
        List<StageChoice> choices = new GranularitySearch(predictor).search(blocks, b, target);
        out.println(title);
        double network = NetworkLatencyEstimator.of(net, predictor).staticLatencyMs(b);
        out.printf("  static network (stem, blocks, head): %.3f ms per batch, %.4f ms per image%n", network,
                network / b);
        double staticTotal = 0;
        double chosenTotal = 0;
        for (StageChoice c : choices) {
            out.printf("  stage %d (%dx%d output), static %.3f ms%n", c.stage(), c.outSize(), c.outSize(),
                    c.best().staticMs());
            StringBuilder line = new StringBuilder("    candidates:");
            for (Candidate cand : c.candidates()) {
                line.append(String.format(" %s %.3f ms (%.2f)", cand.label(), cand.dynamicMs(), cand.ratio()));
            }
            out.println(line);
            out.printf("    choice: spatial %s (%.2f of static)%s; fastest overall %s%n",
                    c.bestSpatial().label(), c.bestSpatial().ratio(),
                    c.bestChannel() == null ? "" : String.format(", channel %s (%.2f)",
                            c.bestChannel().label(), c.bestChannel().ratio()),
                    c.best().label());
            staticTotal += c.best().staticMs();
            chosenTotal += c.best().dynamicMs();
        }
        out.printf("  blocks total: static %.3f ms, with the choices %.3f ms (%.2f)%n%n",
                staticTotal, chosenTotal, chosenTotal / staticTotal);
    }
}
