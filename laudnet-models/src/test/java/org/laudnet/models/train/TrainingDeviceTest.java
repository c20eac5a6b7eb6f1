package org.laudnet.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.models.weights.AssetCache;

/** Where fine-tuning trains: parsing, resolution on the engine's facts, and the refusal of GPU training without one. */
class TrainingDeviceTest {

    @TempDir
    Path dir;

    @Test
    void parsesTheThreeChoicesAndNamesABadOne() {
        assertEquals(TrainingDevice.CPU, TrainingDevice.parse("cpu"));
        assertEquals(TrainingDevice.GPU, TrainingDevice.parse(" GPU "));
        assertEquals(TrainingDevice.GPU, TrainingDevice.parse("cuda"));
        assertEquals(TrainingDevice.AUTO, TrainingDevice.parse("auto"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingDevice.parse("tpu"));
        assertEquals("device must be cpu, gpu or auto, got 'tpu'", e.getMessage());
        assertEquals("gpu", TrainingDevice.GPU.toString());
    }

    @Test
    void resolvesOnTheEnginesFacts() {
        assertEquals(Device.cpu(), TrainingDevice.CPU.resolve(2, true, "2.7.1"));
        assertEquals(Device.gpu(), TrainingDevice.AUTO.resolve(1, true, "2.7.1"));
        assertEquals(Device.cpu(), TrainingDevice.AUTO.resolve(0, false, "2.7.1"));
        assertEquals(Device.gpu(), TrainingDevice.GPU.resolve(1, true, "2.7.1"));
        IllegalStateException cpuBuild = assertThrows(IllegalStateException.class,
                () -> TrainingDevice.GPU.resolve(0, false, "2.7.1"));
        assertTrue(cpuBuild.getMessage().startsWith("no CUDA GPU for training: the PyTorch 2.7.1 engine DJL loaded is"
                + " a CPU build"), cpuBuild.getMessage());
        assertTrue(cpuBuild.getMessage().contains("pytorch-native-cu128:2.7.1:linux-x86_64")
                && cpuBuild.getMessage().contains("PYTORCH_FLAVOR=cu128"), cpuBuild.getMessage());
        IllegalStateException noGpu = assertThrows(IllegalStateException.class,
                () -> TrainingDevice.GPU.resolve(0, true, "2.7.1"));
        assertTrue(noGpu.getMessage().contains("is a CUDA build but sees no GPU"), noGpu.getMessage());
    }

    @Test
    void theBuilderRefusesGpuTrainingWhereTheEngineHasNoGpu() throws Exception {
        Assumptions.assumeTrue(Engine.getEngine("PyTorch").getGpuCount() == 0, "this engine has a GPU");
        assertEquals(Device.cpu(), TrainingDevice.AUTO.resolve());
        Path data = Files.createDirectories(dir.resolve("data/a"));
        FineTuning.Builder b = FineTuning.builder().setArchitecture(Architecture.RESNET18)
                .setWeights(WeightSource.torchvision(dir.resolve("w.safetensors")))
                .setData(data.getParent()).setOutput(dir.resolve("m.laud")).optAssetCache(AssetCache.defaultCache())
                .optDevice(TrainingDevice.GPU);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(e.getMessage().startsWith("device gpu: no CUDA GPU for training: the PyTorch "), e.getMessage());
        assertEquals(TrainingDevice.CPU, b.optDevice(TrainingDevice.CPU).build().device());
        assertEquals(TrainingDevice.AUTO, FineTuning.builder().setArchitecture(Architecture.RESNET18)
                .setWeights(WeightSource.torchvision(dir.resolve("w.safetensors"))).setData(data.getParent())
                .setOutput(dir.resolve("m.laud")).build().device());
    }
}
