package org.laudnet.bench.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.laudnet.bench.models.SyntheticGates;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.inference.ImageInputs;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.inference.PretrainedModels;
import org.laudnet.models.train.Architecture;
import org.laudnet.models.weights.AssetCache;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench gated-model}: the pretrained ResNet-50 with synthetic gates ({@link SyntheticGates}) at a target
 * density, saved as a {@code .laud} model for the latency and serving benchmarks ({@code bench serve --gated-model},
 * {@code bench spark --gated}). Its predictions are not meaningful. Prints each gate's achieved keep fraction and the
 * mean MACs ratio over the calibration samples.
 */
@Command(name = "gated-model", mixinStandardHelpOptions = true,
        description = "The pretrained ResNet-50 with seeded random gates set to a target density (for latency and"
                + " serving benchmarks only: not a trained model), saved as FILE.laud.")
public final class GatedModelCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--gates", split = ",", required = true,
            description = "Stage gates, one spec per stage: none, layer, spatial:S, channel:G or both:S:G, e.g."
                    + " layer,channel:4,spatial:2,spatial:1.")
    List<String> gates;

    @Option(names = "--density", defaultValue = "0.5",
            description = "Target keep fraction of every gate over the samples (default: ${DEFAULT-VALUE}).")
    double density;

    @Option(names = "--out", required = true, paramLabel = "FILE.laud", description = "The model file to write.")
    Path out;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the gate weights and sample crops"
            + " (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--samples", defaultValue = "28", description = "Calibration samples: the photos, then seeded"
            + " flips and crops of them (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--images", paramLabel = "DIR",
            description = "Photos to calibrate on (JPEG/PNG; default: the photos of the LAUDNet home).")
    Path images;

    /** Builds, calibrates and saves the model. */
    @Override
    public Integer call() throws Exception {
        OptionChecks.fraction(spec, "--density", density);
        OptionChecks.positive(spec, "--samples", samples);
        if (samples > 256) {
            throw OptionChecks.bad(spec, "--samples must be at most 256, got " + samples);
        }
        if (gates.size() != Architecture.STAGES) {
            throw OptionChecks.bad(spec, "--gates must have " + Architecture.STAGES + " specs (one per stage), got "
                    + String.join(",", gates));
        }
        GateSpec[] specs;
        try {
            specs = ClassifyCommand.parseGates(gates, Architecture.RESNET50);
        } catch (IllegalArgumentException e) {
            throw OptionChecks.bad(spec, "--gates " + String.join(",", gates) + ": " + e.getMessage());
        }
        if (java.util.Arrays.stream(specs).allMatch(g -> g.mode() == org.laudnet.core.block.GateMode.NONE)) {
            throw OptionChecks.bad(spec, "--gates must give at least one stage a gate, got " + String.join(",", gates));
        }
        Path dir = images != null ? InputFiles.directory("--images", images)
                : AssetCache.defaultCache().photo("eagle").getParent();
        InputFiles.outputFile(spec, "--out", out);
        List<BufferedImage> photos = photos(dir);
        PrintStream o = System.out;
        long t0 = System.nanoTime();
        LaudModel.Options cpu = LaudModel.Options.defaults().withDevice(DeviceKind.CPU);
        try (LaudModel model = ServeCommand.pretrained(spec, PretrainedModels.RESNET50_IMAGENET, cpu, specs);
                NDManager manager = NDManager.newBaseManager()) {
            ImagePreprocessing p = model.metadata().preprocessing();
            List<float[]> xs = SyntheticGates.samples(photos, p, samples, seed);
            NDArray batch = SyntheticGates.batch(manager, xs, p.channels(), p.cropSize());
            SyntheticGates.Result r = SyntheticGates.apply(model.network(), new ParameterStore(manager, false), batch,
                    density, seed);
            model.save(out);
            o.printf(Locale.ROOT, "synthetic gates %s at density %.3f (seed %d) on %d samples from %s%n",
                    String.join(",", gates), density, seed, samples, dir);
            for (SyntheticGates.GateCalibration g : r.gates()) {
                o.printf(Locale.ROOT, "  block %2d %-7s keep %.3f (offset %+.3f)%n", g.block(), g.kind(),
                        g.keepFraction(), g.offset());
            }
            o.printf(Locale.ROOT, "mean keep fraction %.3f, mean MACs ratio %.3f over the samples%n",
                    r.meanKeepFraction(), r.meanMacsRatio());
            o.printf(Locale.ROOT, "wrote %s in %.1f s: for latency and serving benchmarks only (synthetic gates,"
                    + " predictions not meaningful)%n", out, (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }

    private static List<BufferedImage> photos(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> st = Files.list(dir)) {
            files = st.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png)"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new EnvironmentException("cannot list the images in " + dir + ": " + e.getMessage());
        }
        if (files.isEmpty()) {
            throw new EnvironmentException("no JPEG or PNG images in " + dir + "; fetch the photos with"
                    + " 'scripts/fetch-assets photos' or give --images");
        }
        List<BufferedImage> out = new ArrayList<>();
        for (Path f : files) {
            out.add(ImageInputs.read(f));
        }
        return out;
    }
}
