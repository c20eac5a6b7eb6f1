package org.laudnet.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.testing.RealAssets;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.io.LaudModelFile;
import org.laudnet.models.io.LoadedNetwork;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.regnet.LaudRegNet;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.train.Architecture;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.ImageNetLabels;
import org.laudnet.models.train.Architecture;
import org.laudnet.models.weights.WeightFileException;
import org.laudnet.models.weights.torch.TorchCheckpointWriter;
import picocli.CommandLine;

class ClassifyCommandTest {

    @TempDir
    Path dir;

    @Test
    void gateSpecsAcceptGroupsAndChannelsPerGroup() {
        assertEquals(GateSpec.channel(4), ClassifyCommand.parseGate("channel:4"));
        assertEquals(GateSpec.channel(4), ClassifyCommand.parseGate("channel:groups=4"));
        assertEquals(GateSpec.both(2, 8), ClassifyCommand.parseGate("both:2:cpg=16", 128));
        // ResNet-50's stage widths 64, 128, 256, 512: 2 channels per group (the reference's granularity 2)
        GateSpec[] g = ClassifyCommand.parseGates(List.of("channel:cpg=2", "channel:cpg=2", "layer", "channel:2"),
                Architecture.RESNET50);
        assertEquals(GateSpec.channel(32), g[0]);
        assertEquals(GateSpec.channel(64), g[1]);
        assertEquals(GateSpec.layer(), g[2]);
        assertEquals(GateSpec.channel(2), g[3]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassifyCommand.parseGate("channel:cpg=2"));
        assertTrue(e.getMessage().contains("needs the stage width"), e.getMessage());
    }

    @Test
    void savedModelIsClassifiedWithDensitiesAndMacs() throws IOException, WeightFileException {
        Path model = dir.resolve("tiny.laud");
        try (NDManager m = NDManager.newBaseManager()) {
            GatedBackbone net = LaudResNet.builder()
                    .setStages(BlockType.BASIC, List.of(new StageSpec(1, 8, 8, 1, GateSpec.spatial(4)),
                            new StageSpec(1, 16, 16, 2, GateSpec.layer())))
                    .optStem(StemSpec.small(3, 8)).optInputSize(32).optNumClasses(4).build();
            net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
            LaudModelFile.save(model, net);
        }
        BufferedImage img = new BufferedImage(40, 48, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 40; x++) {
                img.setRGB(x, y, (x * 6) << 16 | (y * 5) << 8 | 90);
            }
        }
        Path image = dir.resolve("pattern.png");
        ImageIO.write(img, "png", image.toFile());

        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = new CommandLine(new ClassifyCommand()).setCaseInsensitiveEnumValuesAllowed(true)
                    .execute("--model", model.toString(), "--top", "2", image.toString());
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains(image.toString()) && out.contains("MACs") && out.contains("ratio"), out);
        // two blocks, open gates: densities 1.00 1.00
        assertTrue(out.contains("block densities d3*dc: 1.00 1.00"), out);
        assertEquals(2, out.lines().filter(l -> l.matches("\\s+\\d\\.\\d{4}\\s+\\d+\\s*")).count(), out);
    }

    @Test
    void savedRegNetModelRunsThroughTheExecutors() throws IOException, WeightFileException {
        Path model = dir.resolve("tiny-regnet.laud");
        try (NDManager m = NDManager.newBaseManager()) {
            GatedBackbone net = LaudRegNet.builder()
                    .setStages(8, List.of(new StageSpec(1, 16, 16, 2, GateSpec.spatial(2)),
                            new StageSpec(1, 32, 32, 2, GateSpec.channel(2)),
                            new StageSpec(1, 32, 32, 1, GateSpec.layer())))
                    .optStem(StemSpec.small(3, 8)).optInputSize(32).optNumClasses(4).build();
            net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
            LaudModelFile.save(model, net);
        }
        Path image = dir.resolve("pattern.png");
        ImageIO.write(pattern(), "png", image.toFile());
        String out = classify(model, image);
        assertTrue(out.contains(image.toString()) && out.contains("MACs") && out.contains("ratio"), out);
        // three blocks, fresh (open) gates: every density 1.00
        assertTrue(out.contains("block densities d3*dc: 1.00 1.00 1.00"), out);
        assertEquals(2, out.lines().filter(l -> l.matches("\\s+\\d\\.\\d{4}\\s+\\d+\\s*")).count(), out);
    }

    @Test
    void everyRunModeGivesTheSameLabels() throws IOException, WeightFileException {
        Path model = dir.resolve("gated-regnet.laud");
        try (NDManager m = NDManager.newBaseManager()) {
            GatedBackbone net = LaudRegNet.builder()
                    .setStages(8, List.of(new StageSpec(1, 16, 16, 2, GateSpec.spatial(2)),
                            new StageSpec(1, 32, 32, 2, GateSpec.layer())))
                    .optStem(StemSpec.small(3, 8)).optInputSize(32).optNumClasses(4).optSeed(5).build();
            net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
            // a partly open spatial gate in the first stage: random masker weights, equal keep/skip biases
            for (ai.djl.util.Pair<String, ai.djl.nn.Parameter> p : net.getBlocks().get(0).getSpatialGate()
                    .orElseThrow().getParameters()) {
                ai.djl.ndarray.NDArray a = p.getValue().getArray();
                java.util.Random r = new java.util.Random(3);
                float[] v = new float[(int) a.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = p.getKey().endsWith("bias") ? 0f : (float) r.nextGaussian();
                }
                org.laudnet.core.util.ArrayWrites.write(a, v);
            }
            LaudModelFile.save(model, net);
        }
        Path image = dir.resolve("pattern.png");
        ImageIO.write(pattern(), "png", image.toFile());
        String masked = classify(model, image, "--mode", "masked");
        assertTrue(masked.contains("masked dense"), masked);
        List<String> reference = probabilityLines(masked);
        assertEquals(2, reference.size(), masked);
        for (String mode : List.of("auto", "dense", "sparse")) {
            String out = classify(model, image, "--mode", mode);
            assertEquals(reference, probabilityLines(out), mode + ":\n" + out + "\nmasked:\n" + masked);
            assertTrue(out.contains("block paths: "), out);
        }
        String dense = classify(model, image, "--mode", "dense");
        assertTrue(dense.lines().anyMatch(l -> l.matches("\\s+block paths: (DENSE|SKIP),(DENSE|SKIP)")), dense);
        assertTrue(masked.lines().anyMatch(l -> l.contains("block densities d3*dc: ") && !l.contains("1.00 1.00")),
                "the first block's gate should be partly closed:\n" + masked);
    }

    private static List<String> probabilityLines(String out) {
        return out.lines().filter(l -> l.matches("\\s+\\d\\.\\d{4}\\s+\\d+\\s*")).toList();
    }

    private static BufferedImage pattern() {
        BufferedImage img = new BufferedImage(40, 48, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 40; x++) {
                img.setRGB(x, y, (x * 6) << 16 | (y * 5) << 8 | 90);
            }
        }
        return img;
    }

    @Test
    void pyTorchCheckpointIsClassifiedWithTorchvisionPreprocessingAndSavedWithIt() throws Exception {
        Path pth = dir.resolve("resnet18-test.pth");
        try (NDManager m = NDManager.newBaseManager()) {
            GatedBackbone net = Architecture.RESNET18.torchvisionBuilder().optNumClasses(10).optSeed(2).build();
            net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 224, 224));
            float[] bias = new float[10];
            bias[7] = 20f; // the logits are the bias: class 7 at probability 1.0000 whatever the image
            net.getHead().getParameters().get("bias").getArray().set(bias);
            net.getHead().getParameters().get("weight").getArray().set(new float[10 * 512]);
            TorchCheckpointWriter.write(pth, Architecture.RESNET18.exportTorchvision(net));
        }
        Path image = dir.resolve("pattern.png");
        ImageIO.write(pattern(), "png", image.toFile());
        Path saved = dir.resolve("from-pth.laud");
        PrintStream stdout = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = new CommandLine(new ClassifyCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(
                    "--weights", pth.toString(), "--arch", "resnet18",
                    "--gates", "spatial:4,channel:2,layer,none", "--top", "1", "--mode", "dense", "--save",
                    saved.toString(),
                    image.toString());
        } finally {
            System.setOut(stdout);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains(pth + ": resnet")
                && out.contains("block densities d3*dc: 1.00 1.00 1.00 1.00 1.00 1.00 1.00 1.00"), out);
        assertTrue(out.lines().anyMatch(l -> l.matches("\\s+1\\.0000\\s+7\\s*")), out);
        LoadedNetwork back;
        try (NDManager m = NDManager.newBaseManager()) {
            back = LaudModelFile.load(saved, m);
            assertEquals(ImagePreprocessing.torchvision(), back.metadata().preprocessing());
            assertEquals(10, back.network().getNumClasses());
        }
    }

    private static String classify(Path model, Path image, String... extra) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        List<String> args = new java.util.ArrayList<>(List.of("--model", model.toString(), "--top", "2"));
        args.addAll(List.of(extra));
        args.add(image.toString());
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = new CommandLine(new ClassifyCommand()).setCaseInsensitiveEnumValuesAllowed(true)
                    .execute(args.toArray(String[]::new));
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        return out;
    }

    @Test
    void savedMetadataGivesTheLabelsAndThePreprocessing() throws Exception {
        Path model = dir.resolve("labelled.laud");
        List<String> names = List.of("cat", "dog", "bird", "fish_tank");
        ImagePreprocessing prep = ImagePreprocessing.normalized(32, ImagePreprocessing.ChannelOrder.RGB,
                new float[] {0.5f, 0.4f, 0.3f}, new float[] {0.2f, 0.25f, 0.3f});
        Path image = dir.resolve("pattern.png");
        ImageIO.write(pattern(), "png", image.toFile());
        List<String> expected = new java.util.ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            GatedBackbone net = LaudResNet.builder()
                    .setStages(BlockType.BASIC, List.of(new StageSpec(1, 8, 8, 1, GateSpec.spatial(4)),
                            new StageSpec(1, 16, 16, 2, GateSpec.layer())))
                    .optStem(StemSpec.small(3, 8)).optInputSize(32).optNumClasses(4).build();
            net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
            LaudModelFile.save(model, net, new ModelMetadata(prep, names));
            // the top-2 lines the command must print: the recorded preprocessing, then the network
            NDArray x = m.create(prep.apply(ImageIO.read(image.toFile())), new Shape(1, 3, 32, 32));
            float[] p = net.run(new ParameterStore(m, false), x, false).logits().softmax(1).toFloatArray();
            Integer[] order = {0, 1, 2, 3};
            java.util.Arrays.sort(order, (a, b) -> Float.compare(p[b], p[a]));
            for (int t = 0; t < 2; t++) {
                expected.add(String.format("  %6.4f  %-4d %s", p[order[t]], order[t],
                        names.get(order[t]).replace('_', ' ')));
            }
        }
        for (String mode : List.of("masked", "dense")) {
            String out = classify(model, image, "--mode", mode);
            List<String> lines = out.lines().filter(l -> l.matches("\\s+\\d\\.\\d{4}\\s+\\d+\\s+\\S.*")).toList();
            assertEquals(expected, lines, mode + ":\n" + out);
        }
    }

    @Test
    void savedResNet50RecordsTheCaffePreprocessingAndTheImageNetLabels() throws Exception {
        AssetCache cache = AssetCache.defaultCache();
        RealAssets.require(cache.resnet50ModelJson(), cache.imageNetLabelsJson());
        Path model = dir.resolve("resnet50.laud");
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = new CommandLine(new ClassifyCommand()).execute("--gates", "none,none,layer,spatial:1",
                    "--save", model.toString());
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("saved " + model), out);
        try (NDManager m = NDManager.newBaseManager()) {
            LoadedNetwork loaded = LaudModelFile.load(model, m);
            assertEquals("resnet", loaded.architecture());
            assertEquals(ImagePreprocessing.caffe(), loaded.metadata().preprocessing());
            assertEquals(ImageNetLabels.load(cache.imageNetLabelsJson()).names(), loaded.metadata().labels());
            assertEquals(1000, loaded.metadata().labels().size());
            assertEquals(GateSpec.layer(), loaded.network().getStages().get(2).gate());
        }
    }

    @Test
    void modelCannotBeCombinedWithGates() {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ClassifyCommand());
        cli.setErr(new PrintWriter(err));
        int code = cli.execute("--model", dir.resolve("x.laud").toString(), "--gates", "none,none,none,none",
                "img.jpg");
        assertTrue(code != 0);
        assertTrue(err.toString().contains("--model cannot be combined"), err.toString());
    }

    @Test
    void pretrainedModelErrorsNameTheOptions() {
        assertClassifyError("--weights must be one of [resnet50-imagenet] or a PyTorch checkpoint (.pth, .pt,"
                + " .pth.tar), got 'resnet51'", "--weights", "resnet51", "img.jpg");
        assertClassifyError("--gates must be empty or have 4 specs", "--gates", "layer,layer", "img.jpg");
    }

    private static void assertClassifyError(String message, String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new ClassifyCommand());
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        assertTrue(code != 0, "exit code " + code + " for " + List.of(args));
        assertTrue(err.toString().contains(message), "expected '" + message + "' in:\n" + err);
    }
}
