package org.laudnet.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.testing.RealAssets;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.inference.GatedClassifications;
import org.laudnet.models.inference.LatencyComparison;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.inference.LaudPredictor;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.ImageNetLabels;
import org.laudnet.models.weights.SafetensorsWriter;

/**
 * Fine-tuning to deployment on tiny image folders: torchvision-named weights written by the test (randomly initialised
 * static networks), a short run at 64 x 64, the {@code .laud} model it writes loaded and run through the model API.
 */
class FineTuningTest {

    @TempDir
    Path dir;

    /** Writes {@code perClass} 32 x 32 PNGs of distinct seeded patterns into {@code root/<class>/}. */
    private static void imageFolder(Path root, List<String> classes, int perClass) throws IOException {
        for (int c = 0; c < classes.size(); c++) {
            Path d = Files.createDirectories(root.resolve(classes.get(c)));
            for (int i = 0; i < perClass; i++) {
                Random r = new Random(31L * c + i);
                BufferedImage im = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        int base = c == 0 ? (x * 8) << 16 : (y * 8) << 8;
                        im.setRGB(x, y, base | r.nextInt(64));
                    }
                }
                ImageIO.write(im, "png", d.resolve("img" + i + ".png").toFile());
            }
        }
    }

    /** Writes a randomly initialised static network of an architecture as a torchvision-named safetensors file. */
    private static Path torchvisionWeights(Architecture arch, Path file) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            GatedBackbone net = arch.torchvisionBuilder().optInputSize(64).optSeed(3).build();
            net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 64, 64));
            SafetensorsWriter.write(file, arch.exportTorchvision(net));
        }
        return file;
    }

    private static boolean hasImageNetLabels() {
        return Files.isRegularFile(AssetCache.defaultCache().imageNetLabelsJson());
    }

    /** Records what the listener receives. */
    private static final class Recorder implements FineTuningListener {
        final List<Phase> phases = new ArrayList<>();
        final List<EpochStats> epochs = new ArrayList<>();
        final List<Optional<Path>> best = new ArrayList<>();
        Setup setup;
        int batches;
        CheckpointState resumed;

        @Override
        public void onPhase(Phase phase) {
            phases.add(phase);
        }

        @Override
        public void onSetup(Setup s) {
            setup = s;
        }

        @Override
        public void onResume(Path checkpoint, CheckpointState state) {
            resumed = state;
        }

        @Override
        public void onBatch(int epoch, int batch, int batchesPerEpoch, long images) {
            batches++;
        }

        @Override
        public void onEpoch(EpochStats stats, Optional<Path> savedBest) {
            epochs.add(stats);
            best.add(savedBest);
        }
    }

    @Test
    void resNet18FromSafetensorsIsFineTunedSavedLoadedAndResumed() throws Exception {
        RealAssets.require(AssetCache.defaultCache().imageNetLabelsJson());
        Path data = dir.resolve("data");
        // ImageNet class names: the labels are those classes (tabby 281, golden retriever 207)
        imageFolder(data, List.of("golden_retriever", "tabby"), 4);
        Path weights = torchvisionWeights(Architecture.RESNET18, dir.resolve("resnet18.safetensors"));
        Path out = dir.resolve("run/resnet18-laud.laud");
        Recorder rec = new Recorder();
        FineTuning.Builder b = FineTuning.builder()
                .setArchitecture(Architecture.RESNET18)
                .setWeights(WeightSource.torchvision(weights))
                .optStageGates(GateSpec.spatial(2), GateSpec.channel(2), GateSpec.layer(), GateSpec.layer())
                .setData(data)
                .optValidationSplit(0.25)
                .optImageSize(72, 64)
                .optEpochs(2)
                .optBatchSize(4)
                .optLatencyRuns(3);
        FineTuningResult r = b.setOutput(out).optListener(rec).build().run();

        assertEquals(out, r.model());
        assertTrue(Files.isRegularFile(out), "model written");
        assertEquals(Optional.of(FineTuning.bestModelFile(out)), r.bestModel());
        assertTrue(Files.isRegularFile(dir.resolve("run/resnet18-laud-best.laud")), "best model written");
        assertEquals(dir.resolve("run/resnet18-laud.ckpt"), r.checkpoint());
        assertTrue(Files.isRegularFile(r.checkpoint()));
        assertEquals(2, r.epochsTrained());
        assertEquals(2, r.epochs());
        assertEquals(1, r.lastEpoch().orElseThrow().epoch());
        assertEquals(LabelSource.IMAGENET, r.labels());
        FineTuningResult.Evaluation e = r.evaluation();
        assertEquals(FineTuningResult.EvaluatedOn.VALIDATION, e.on());
        assertEquals(2, e.images());
        assertTrue(e.top1() >= 0 && e.top1() <= 1, "top-1 " + e.top1());
        assertTrue(e.teacherAgreement() >= 0 && e.teacherAgreement() <= 1, "agreement " + e.teacherAgreement());
        assertTrue(e.macsRatio() > 0 && e.macsRatio() <= 1.1, "MACs ratio " + e.macsRatio());
        LatencyComparison lat = r.latency().orElseThrow();
        assertTrue(lat.staticMs() > 0 && lat.gatedMs() > 0 && lat.ratio() > 0, lat.toString());
        assertEquals(1, lat.batch());
        assertEquals(3, lat.runs());
        assertEquals("djl-cpu", lat.backend());
        assertTrue(lat.gatedMacsRatio() > 0 && lat.gatedMacsRatio() <= 1.1, lat.toString());

        assertEquals(6, rec.setup.trainImages());
        assertEquals(2, rec.setup.validationImages());
        assertEquals(2, rec.setup.stepsPerEpoch());
        assertEquals(LabelSource.IMAGENET, rec.setup.labels());
        assertEquals(4, rec.batches);
        assertEquals(2, rec.epochs.size());
        assertTrue(rec.best.get(0).isPresent(), "the first validated epoch is the best so far");
        assertTrue(Double.isFinite(rec.epochs.get(1).valAccuracy()));
        assertEquals(List.of(FineTuningListener.Phase.LOADING_WEIGHTS, FineTuningListener.Phase.TRAINING,
                FineTuningListener.Phase.EVALUATING, FineTuningListener.Phase.SAVING,
                FineTuningListener.Phase.MEASURING_LATENCY), rec.phases);

        // the deployed model: the preprocessing it was trained with, the ImageNet labels, the gates it was given
        ImagePreprocessing expected = new ImagePreprocessing(72, 64, ImagePreprocessing.ChannelOrder.RGB,
                ImagePreprocessing.torchvision().mean(), ImagePreprocessing.torchvision().std());
        Path image = data.resolve("tabby/img0.png");
        try (LaudModel model = LaudModel.load(out);
                LaudPredictor<Path, GatedClassifications> p = model.newClassifier(Path.class, 3)) {
            assertEquals(expected, model.metadata().preprocessing());
            assertEquals(ImageNetLabels.load(AssetCache.defaultCache().imageNetLabelsJson()).names(),
                    model.classNames());
            assertEquals(GateSpec.spatial(2), model.network().getStages().get(0).gate());
            GatedClassifications c = p.predict(image);
            assertEquals(1000, c.getClassNames().size());
            assertEquals(3, c.topK().size());
            assertEquals(8, c.gateReport().blocks().size());
            assertTrue(c.macsRatio() > 0 && c.macsRatio() <= 1.1, "MACs ratio " + c.macsRatio());
        }

        // resume from the checkpoint after epoch 1: the same second epoch, the same final checkpoint
        Path out2 = dir.resolve("again/resnet18-laud.laud");
        Files.createDirectories(out2.getParent());
        Files.copy(Checkpoint.sibling(r.checkpoint(), ".prev"), FineTuning.defaultCheckpoint(out2));
        Recorder rec2 = new Recorder();
        FineTuningResult resumed = b.setOutput(out2).optResume(true).optLatencyRuns(0).optListener(rec2).build()
                .run();
        assertEquals(1, rec2.resumed.epoch());
        assertEquals(1, resumed.epochsTrained());
        assertEquals(1, resumed.lastEpoch().orElseThrow().epoch());
        assertTrue(resumed.latency().isEmpty(), "latency runs 0: not measured");
        assertArrayEquals(Files.readAllBytes(r.checkpoint()), Files.readAllBytes(resumed.checkpoint()),
                "the resumed run writes the uninterrupted run's checkpoint");
        assertEquals(r.lastEpoch().orElseThrow().loss(), resumed.lastEpoch().orElseThrow().loss(), 1e-6);
    }

    @Test
    void regNetY400mfFromSafetensorsWritesAModelThatRuns() throws Exception {
        Path data = dir.resolve("data");
        imageFolder(data, List.of("left", "right"), 2);
        Path weights = torchvisionWeights(Architecture.REGNETY_400MF, dir.resolve("regnety.safetensors"));
        Path out = dir.resolve("regnety.laud");
        FineTuningResult r = FineTuning.builder()
                .setArchitecture(Architecture.parse("regnety-400mf"))
                .setWeights(WeightSource.torchvision(weights))
                .optStageGates(Architecture.stageGates(GateMode.LAYER))
                .setData(data)
                .setOutput(out)
                .optImageSize(64, 64)
                .optBatchSize(4)
                .optLatencyRuns(0)
                .build()
                .run();
        assertEquals(1, r.epochsTrained());
        assertEquals(LabelSource.TEACHER, r.labels());
        assertTrue(r.bestModel().isEmpty(), "no validation data, no best model");
        assertEquals(FineTuningResult.EvaluatedOn.TRAINING, r.evaluation().on());
        assertEquals(4, r.evaluation().images());
        assertEquals(r.evaluation().top1(), r.evaluation().teacherAgreement(), 1e-12, "teacher labels");
        assertTrue(r.latency().isEmpty());
        try (LaudModel model = LaudModel.load(out);
                LaudPredictor<Path, GatedClassifications> p = model.newClassifier(Path.class)) {
            assertEquals("regnety", model.network().getFamily().id());
            GatedClassifications c = p.predict(data.resolve("left/img0.png"));
            assertEquals(16, c.gateReport().blocks().size());
            assertEquals(hasImageNetLabels() ? "tench" : "0", c.getClassNames().get(0));
        }
    }

    @Test
    void badSettingsAreNamed() throws Exception {
        IllegalArgumentException arch = assertThrows(IllegalArgumentException.class,
                () -> Architecture.parse("resnet19"));
        assertTrue(arch.getMessage().contains("resnet19") && arch.getMessage().contains("regnety-800mf"),
                arch.getMessage());
        assertEquals(Architecture.RESNET101, Architecture.parse("ResNet101"));
        IllegalArgumentException weights = assertThrows(IllegalArgumentException.class,
                () -> WeightSource.parse("resnet50.bin", AssetCache.defaultCache()));
        assertTrue(weights.getMessage().contains("resnet50.bin"), weights.getMessage());
        Path data = Files.createDirectories(dir.resolve("data/a"));
        FineTuning.Builder b = FineTuning.builder().setArchitecture(Architecture.RESNET18)
                .setWeights(WeightSource.kerasResNet50ImageNet(AssetCache.defaultCache()))
                .setData(data.getParent()).setOutput(dir.resolve("x.laud"));
        IllegalArgumentException keras = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(keras.getMessage().contains("resnet50") && keras.getMessage().contains("resnet18"),
                keras.getMessage());
        b.setWeights(WeightSource.torchvision(dir.resolve("w.safetensors")));
        b.optValidationSplit(1.5);
        IllegalArgumentException split = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(split.getMessage().contains("validationSplit") && split.getMessage().contains("1.5"),
                split.getMessage());
        b.optValidationSplit(0).setData(dir.resolve("missing"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(missing.getMessage().contains("data") && missing.getMessage().contains("missing"),
                missing.getMessage());
        b.setData(data.getParent()).optResume(true);
        IllegalArgumentException resume = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(resume.getMessage().contains("x.ckpt"), resume.getMessage());
        IllegalArgumentException gates = assertThrows(IllegalArgumentException.class,
                () -> FineTuning.builder().optStageGates(GateSpec.layer()));
        assertTrue(gates.getMessage().contains("stageGates"), gates.getMessage());
    }
}
