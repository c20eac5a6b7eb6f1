package org.laudnet.models.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.train.Architecture;
import org.laudnet.models.weights.WeightFileException;
import org.laudnet.models.weights.torch.TorchCheckpointException;
import org.laudnet.models.weights.torch.TorchCheckpointWriter;

/** {@link LaudModel#fromPyTorch}: the architecture's torchvision form, torchvision preprocessing, kept when saved. */
class LaudModelPyTorchTest {

    @TempDir
    Path dir;

    @Test
    void regNetCheckpointBecomesAModelWithTorchvisionPreprocessingThatASavedFileKeeps() throws Exception {
        Path pth = dir.resolve("regnet_y_400mf.pth");
        float[] head;
        try (NDManager m = NDManager.newBaseManager()) {
            GatedBackbone net = Architecture.REGNETY_400MF.torchvisionBuilder().optNumClasses(3).optSeed(4).build();
            net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 224, 224));
            head = net.getHead().getParameters().get("weight").getArray().toFloatArray();
            TorchCheckpointWriter.write(pth, Architecture.REGNETY_400MF.exportTorchvision(net));
        }
        Path saved = dir.resolve("regnet.laud");
        try (LaudModel model = LaudModel.fromPyTorch(pth, Architecture.REGNETY_400MF, List.of("a", "b", "c"),
                LaudModel.Options.defaults(), GateSpec.none(), GateSpec.spatial(2), GateSpec.channel(4),
                GateSpec.layer())) {
            assertEquals(ImagePreprocessing.torchvision(), model.metadata().preprocessing());
            assertEquals(List.of("a", "b", "c"), model.metadata().labels());
            assertEquals(3, model.network().getNumClasses());
            assertArrayEquals(head, model.network().getHead().getParameters().get("weight").getArray()
                    .toFloatArray());
            model.save(saved);
        }
        try (LaudModel back = LaudModel.load(saved)) {
            assertEquals(ImagePreprocessing.torchvision(), back.metadata().preprocessing());
        }

        WeightFileException e = assertThrows(WeightFileException.class, () -> LaudModel.fromPyTorch(pth,
                Architecture.RESNET18, List.of(), LaudModel.Options.defaults()));
        assertTrue(e.getMessage().contains("conv1.weight") && e.getMessage().contains("unexpected")
                && e.getMessage().contains("trunk_output.block1"), e.getMessage());
        Path text = Files.writeString(dir.resolve("bad.pth"), "PK but not");
        assertThrows(TorchCheckpointException.class, () -> LaudModel.fromPyTorch(text, Architecture.RESNET18,
                List.of(), LaudModel.Options.defaults()));
        IllegalArgumentException iae = assertThrows(IllegalArgumentException.class, () -> LaudModel.fromPyTorch(pth,
                Architecture.REGNETY_400MF, List.of(), LaudModel.Options.defaults(), GateSpec.layer()));
        assertTrue(iae.getMessage().contains("stageGates"), iae.getMessage());
    }
}
