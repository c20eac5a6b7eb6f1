package org.laudnet.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.testing.RealAssets;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.inference.GatedClassifications;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.inference.LaudPredictor;
import org.laudnet.models.train.Checkpoint;
import org.laudnet.models.weights.AssetCache;
import picocli.CommandLine;

/** {@code laudnet finetune}: end to end on the ImageNet ResNet-50 of the asset cache, and its option errors. */
class FinetuneCommandTest {

    @TempDir
    Path dir;

    @Test
    void finetunesTheKerasResNet50IntoAModelThatClassifyAndTheModelApiRun() throws Exception {
        AssetCache cache = AssetCache.defaultCache();
        RealAssets.require(cache.resnet50ModelJson(), cache.imageNetLabelsJson(), cache.photo("eagle"),
                cache.photo("horses"));
        Path data = dir.resolve("data");
        Files.createDirectories(data.resolve("bald_eagle"));
        Files.createDirectories(data.resolve("sorrel"));
        Files.copy(cache.photo("eagle"), data.resolve("bald_eagle/eagle.jpg"));
        Files.copy(cache.photo("horses"), data.resolve("sorrel/horses.jpg"));
        Path model = dir.resolve("out/resnet50-laud.laud");
        String out = run(new FinetuneCommand(), "--data", data.toString(), "--mode", "layer", "--epochs", "1",
                "--batch", "2", "--latency-runs", "2", "--out", model.toString());
        assertTrue(out.contains("labels: the ImageNet classes"), out);
        assertTrue(out.contains("resnet50 from resnet50-imagenet, gates layer,layer,layer,layer"), out);
        assertTrue(out.contains("per stage density/MACs ratio: s1 "), out);
        assertTrue(out.matches("(?s).*top-1 \\d\\.\\d{4} on 2 training images .*agreement with the static teacher"
                + " \\d\\.\\d{4}.*"), out);
        assertTrue(out.matches("(?s).*MACs ratio \\d\\.\\d{3} \\(eval.*"), out);
        assertTrue(out.matches("(?s).*latency at batch 1 on (djl-cpu|onednn), \\d+ threads: static \\d+\\.\\d\\d ms, gated"
                + " \\d+\\.\\d\\d ms, ratio \\d+\\.\\d{3}.*"), out);
        assertTrue(out.contains("model: " + model.toAbsolutePath()), out);
        Path ckpt = dir.resolve("out/resnet50-laud.ckpt");
        assertTrue(out.contains("checkpoint: " + ckpt.toAbsolutePath()), out);
        assertEquals(1, Checkpoint.read(ckpt).state().epoch());

        // the model runs in classify ...
        String classified = run(new ClassifyCommand(), "--model", model.toString(), "--top", "3",
                cache.photo("eagle").toString());
        assertTrue(classified.contains("MACs") && classified.contains("ratio"), classified);
        assertTrue(classified.contains("block paths: "), classified);
        List<String> top = classified.lines().filter(l -> l.matches("\\s+\\d\\.\\d{4}\\s+\\d+\\s+\\S.*")).toList();
        assertEquals(3, top.size(), classified);
        // ... and through the model API, with the Caffe preprocessing it was trained with and the ImageNet labels
        try (LaudModel m = LaudModel.load(model);
                LaudPredictor<Path, GatedClassifications> p = m.newClassifier(Path.class, 3)) {
            assertEquals(ImagePreprocessing.caffe(), m.metadata().preprocessing());
            assertEquals(1000, m.classNames().size());
            assertEquals(GateSpec.layer(), m.network().getStages().get(3).gate());
            GatedClassifications c = p.predict(cache.photo("eagle"));
            assertEquals(16, c.gateReport().blocks().size());
            assertTrue(top.get(0).contains(c.best().getClassName().replace('_', ' ')),
                    "classify and the API agree: " + top.get(0) + " vs " + c.best());
        }
    }

    @Test
    void badOptionsNameTheOptionAndTheValue() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data/a"));
        String d = data.getParent().toString();
        assertError("--arch must be one of resnet18, resnet34, resnet50, resnet101, regnety-400mf, regnety-800mf,"
                + " got 'resnet19'", "--arch", "resnet19", "--data", d);
        assertError("--weights resnet50-imagenet is a ResNet-50: it needs --arch resnet50, got --arch resnet18",
                "--arch", "resnet18", "--weights", "resnet50-imagenet", "--data", d);
        assertError("--weights must be resnet50-imagenet, a .safetensors file or a PyTorch checkpoint (.pth, .pt,"
                + " .pth.tar), got 'weights.bin'", "--arch", "resnet18", "--weights", "weights.bin", "--data", d);
        assertError("--weights " + dir.resolve("r18.pth") + ": no such file", "--arch", "resnet18", "--weights",
                dir.resolve("r18.pth").toString(), "--data", d);
        assertError("Missing required option: '--data=DIR'");
        assertError("--data " + dir.resolve("none") + ": no such directory", "--data", dir.resolve("none").toString());
        assertError("--val-split must be in (0, 1), got 1.5", "--data", d, "--val-split", "1.5");
        assertError("--val and --val-split exclude each other", "--data", d, "--val-split", "0.2", "--val", d);
        assertError("--gates must give one spec per stage (4), got layer,layer", "--data", d, "--gates",
                "layer,layer");
        assertError("--gates and --mode exclude each other", "--data", d, "--gates", "layer,layer,layer,layer",
                "--mode", "spatial");
        assertError("--labels must be auto, imagenet or teacher, got 'mine'", "--data", d, "--labels", "mine");
        assertError("--resume needs the checkpoint " + dir.resolve("m.ckpt"), "--data", d, "--out",
                dir.resolve("m.laud").toString(), "--resume");
        // the settings the fine-tuning builder validates, named as options
        assertError("--val-split must be in (0, 1), got 0.0", "--data", d, "--val-split", "0");
        assertError("--val " + dir.resolve("none") + ": no such directory", "--data", d, "--val",
                dir.resolve("none").toString());
        assertError("--epochs must be positive, got 0", "--data", d, "--epochs", "0");
        assertError("--batch must be positive, got -1", "--data", d, "--batch", "-1");
        assertError("--lr must be positive and finite, got 0.0", "--data", d, "--lr", "0");
        assertError("--target must be in (0, 1], got 1.5", "--data", d, "--target", "1.5");
        assertError("--latency-runs must be non-negative, got -1", "--data", d, "--latency-runs", "-1");
        assertError("--image-size must be at least 32, got 16", "--data", d, "--image-size", "16");
        assertError("--device must be cpu, gpu or auto, got 'tpu'", "--data", d, "--device", "tpu");
    }

    @Test
    void gpuTrainingWithoutAGpuIsRefusedWithTheReasonAndTheWayToGetOne() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(ai.djl.engine.Engine.getEngine("PyTorch").getGpuCount() == 0, "this engine has a GPU");
        String d = Files.createDirectories(dir.resolve("data/a")).getParent().toString();
        assertError("--device gpu: no CUDA GPU for training: the PyTorch 2.7.1 engine DJL loaded is a CPU build",
                "--data", d, "--device", "gpu");
        assertError("pytorch-native-cu128:2.7.1:linux-x86_64", "--data", d, "--device", "GPU");
    }

    private static void assertError(String message, String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new FinetuneCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        cli.setErr(new PrintWriter(err));
        cli.setOut(new PrintWriter(new StringWriter()));
        int code = cli.execute(args);
        assertTrue(code != 0, "exit code " + code + " for " + List.of(args));
        assertTrue(err.toString().contains(message), "expected '" + message + "' in:\n" + err);
    }

    private static String run(Object command, String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try (PrintStream ps = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            System.setOut(ps);
            code = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        } finally {
            System.setOut(old);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        return out;
    }
}
