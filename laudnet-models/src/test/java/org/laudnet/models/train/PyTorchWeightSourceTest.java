package org.laudnet.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.weights.AssetCache;
import org.laudnet.models.weights.TorchvisionImporter;
import org.laudnet.models.weights.TorchvisionImporter.GateNames;
import org.laudnet.models.weights.WeightFileException;
import org.laudnet.models.weights.torch.TorchCheckpointWriter;

/** PyTorch checkpoints as fine-tuning weights: parsing, the teacher without gates, the student with them. */
class PyTorchWeightSourceTest {

    @TempDir
    Path dir;

    private static final GateSpec[] GATES = {GateSpec.spatial(4), GateSpec.channel(4), GateSpec.layer(),
        GateSpec.none()};

    private static GatedBackbone build(NDManager m, long seed, GateSpec... gates) {
        GatedBackbone.BaseBuilder<?> b = Architecture.RESNET18.torchvisionBuilder().optInputSize(64).optNumClasses(7)
                .optSeed(seed);
        if (gates.length > 0) {
            b.optStageGates(gates);
        }
        GatedBackbone net = b.build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 64, 64));
        return net;
    }

    @Test
    void parsesCheckpointNamesWithTorchvisionInput() {
        for (String name : new String[] {"a/resnet50-0676ba61.pth", "model_best.pth.tar", "w.PT"}) {
            WeightSource s = WeightSource.parse(name, AssetCache.defaultCache());
            assertEquals(WeightSource.Kind.PYTORCH, s.kind(), name);
            assertEquals(Path.of(name), s.file());
        }
        assertEquals(ImagePreprocessing.torchvision(), WeightSource.pytorch(Path.of("x.pth")).preprocessing(256, 224));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeightSource.parse("weights.bin", AssetCache.defaultCache()));
        assertTrue(e.getMessage().contains(".pth") && e.getMessage().contains("weights.bin"), e.getMessage());
    }

    @Test
    void laudNetCheckpointIsFineTunedIntoAModelWithTorchvisionPreprocessing() throws Exception {
        Path file = dir.resolve("laud.pth.tar");
        try (NDManager m = NDManager.newBaseManager()) {
            TorchCheckpointWriter.write(file, TorchvisionImporter.exportResNet(build(m, 3, GATES), GateNames.LAUDNET));
        }
        Path data = dir.resolve("data");
        for (String c : new String[] {"a", "b"}) {
            java.nio.file.Files.createDirectories(data.resolve(c));
            for (int i = 0; i < 2; i++) {
                java.awt.image.BufferedImage im = new java.awt.image.BufferedImage(80, 72,
                        java.awt.image.BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 72; y++) {
                    for (int x = 0; x < 80; x++) {
                        im.setRGB(x, y, c.equals("a") ? (x * 3) << 16 | (y * 3 + i) : (y * 3) << 8 | (x + i));
                    }
                }
                javax.imageio.ImageIO.write(im, "png", data.resolve(c + "/" + i + ".png").toFile());
            }
        }
        Path out = dir.resolve("tuned.laud");
        FineTuningResult r = FineTuning.builder().setArchitecture(Architecture.RESNET18)
                .setWeights(WeightSource.pytorch(file)).optStageGates(GATES).setData(data)
                .optImageSize(72, 64).optEpochs(1).optBatchSize(2).optLatencyRuns(0).setOutput(out).build().run();
        assertEquals(out, r.model());
        try (org.laudnet.models.inference.LaudModel model = org.laudnet.models.inference.LaudModel.load(out)) {
            assertEquals(new ImagePreprocessing(72, 64, ImagePreprocessing.ChannelOrder.RGB,
                    ImagePreprocessing.torchvision().mean(), ImagePreprocessing.torchvision().std()),
                    model.metadata().preprocessing());
            assertEquals(GATES[1], model.network().getBlocks().get(2).getGateSpec());
        }
    }

    @Test
    void laudNetCheckpointLoadsGatesIntoTheStudentAndTheBackboneIntoTheStaticTeacher() throws Exception {
        Path file = dir.resolve("laud.pth.tar");
        try (NDManager m = NDManager.newBaseManager()) {
            GatedBackbone source = build(m, 3, GATES);
            TorchCheckpointWriter.write(file, TorchvisionImporter.exportResNet(source, GateNames.LAUDNET));
            WeightSource.Loaded loaded = WeightSource.pytorch(file).read(Architecture.RESNET18);
            assertEquals(7, loaded.numClasses());

            GatedBackbone student = build(m, 9, GATES);
            loaded.loader().load(student);
            assertArrayEquals(source.getBlocks().get(0).getSpatialGate().orElseThrow().getParameters().valueAt(0)
                    .getArray().toFloatArray(), student.getBlocks().get(0).getSpatialGate().orElseThrow()
                    .getParameters().valueAt(0).getArray().toFloatArray());

            GatedBackbone teacher = build(m, 11);
            loaded.loader().load(teacher);
            assertArrayEquals(source.getHead().getParameters().get("weight").getArray().toFloatArray(),
                    teacher.getHead().getParameters().get("weight").getArray().toFloatArray());

            // a student gated otherwise than the checkpoint: the differences are listed
            GatedBackbone other = build(m, 12, GateSpec.spatial(4), GateSpec.spatial(2), GateSpec.layer(),
                    GateSpec.none());
            WeightFileException e = assertThrows(WeightFileException.class, () -> loaded.loader().load(other));
            assertTrue(e.getMessage().contains("layer2.0.masker_channel") && e.getMessage().contains("missing")
                    && e.getMessage().contains("layer2.0.masker_spatial"), e.getMessage());
        }
    }
}
