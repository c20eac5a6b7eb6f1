package org.laudnet.models.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.testing.TestArrays;
import org.laudnet.models.regnet.LaudRegNet;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.ResNetDepth;

class TorchvisionImporterTest {

    @TempDir
    Path dir;

    private NDManager m;
    private ParameterStore ps;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager();
        ps = new ParameterStore(m, false);
    }

    @AfterEach
    void close() {
        m.close();
    }

    /** Fills every parameter except the gates' with seeded values; variances stay positive. */
    static void randomize(ai.djl.nn.Block net, long seed) {
        Random r = new Random(seed);
        for (var p : net.getParameters()) {
            if (p.getKey().contains("gate")) {
                continue;
            }
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            boolean variance = p.getKey().endsWith("runningVar");
            boolean gamma = p.getKey().endsWith("gamma");
            for (int i = 0; i < v.length; i++) {
                v[i] = variance || gamma ? (float) (0.5 + r.nextDouble()) : (float) (0.05 * r.nextGaussian());
            }
            a.set(v);
        }
    }

    private GatedBackbone resNet18(long seed) {
        GatedBackbone net = LaudResNet.builder().setDepth(ResNetDepth.RESNET18).optStem(StemSpec.small(3, 64))
                .optInputSize(32).optNumClasses(10).optStageGates(GateSpec.spatial(2), GateSpec.channel(4),
                        GateSpec.none(), GateSpec.layer())
                .optSeed(seed).build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
        return net;
    }

    @Test
    void resNet18RoundTripThroughTorchvisionNamesGivesIdenticalLogits() throws WeightFileException {
        GatedBackbone source = resNet18(1);
        randomize(source, 11);
        TensorFile exported = TorchvisionImporter.exportResNet(source);
        assertEquals(102, exported.size(), "ResNet-18: 20 convs, 20 BatchNorms x 4, fc weight and bias");
        assertArrayEquals(new long[] {64, 3, 3, 3}, exported.get("conv1.weight").shape());
        assertArrayEquals(new long[] {128, 64, 1, 1}, exported.get("layer2.0.downsample.0.weight").shape());
        assertArrayEquals(new long[] {256}, exported.get("layer3.1.bn2.running_var").shape());
        assertArrayEquals(new long[] {10, 512}, exported.get("fc.weight").shape());
        Path file = dir.resolve("resnet18.safetensors");
        SafetensorsWriter.write(file, exported);

        GatedBackbone target = resNet18(2);
        NDArray x = TestArrays.randn(m, 3, new Shape(2, 3, 32, 32));
        float[] expected = source.run(ps, x, false).logits().toFloatArray();
        assertFalse(Arrays.equals(expected, target.run(ps, x, false).logits().toFloatArray()));
        TorchvisionImporter.loadResNet(file, target);
        assertArrayEquals(expected, target.run(ps, x, false).logits().toFloatArray());
    }

    @Test
    void handMadeFileGivesTheHandComputedLogits() throws WeightFileException {
        // 1-channel 4x4 image; stem conv 3x3 -> 2 channels; one basic block (2 -> 2); fc 2 -> 2
        GatedBackbone net = LaudResNet.builder().setStages(BlockType.BASIC,
                        List.of(new StageSpec(1, 2, 2, 1, GateSpec.none())))
                .optStem(StemSpec.small(1, 2)).optInputSize(4).optNumClasses(2).build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 1, 4, 4));
        List<NamedTensor> t = new ArrayList<>();
        t.add(NamedTensor.of("conv1.weight", new int[] {2, 1, 3, 3}, new float[18]));
        addBn(t, "bn1", new float[] {1f, 2f});
        t.add(NamedTensor.of("layer1.0.conv1.weight", new int[] {2, 2, 3, 3}, new float[36]));
        addBn(t, "layer1.0.bn1", new float[] {0f, 0f});
        t.add(NamedTensor.of("layer1.0.conv2.weight", new int[] {2, 2, 3, 3}, new float[36]));
        addBn(t, "layer1.0.bn2", new float[] {0.5f, -3f});
        t.add(NamedTensor.of("fc.weight", new int[] {2, 2}, new float[] {2f, 7f, -1f, 4f}));
        t.add(NamedTensor.of("fc.bias", new int[] {2}, new float[] {0.25f, 1f}));
        t.add(NamedTensor.of("bn1.num_batches_tracked", new int[] {}, new float[] {100f}));
        Path file = dir.resolve("tiny.safetensors");
        SafetensorsWriter.write(file, TensorFile.of(t));
        TorchvisionImporter.loadResNet(file, net);
        // stem: ReLU(BN(0)) = beta = (1, 2) everywhere; branch: BN2(0) = (0.5, -3); y = ReLU((1.5, -1)) = (1.5, 0);
        // logits = fc(1.5, 0) = (2 * 1.5 + 0.25, -1 * 1.5 + 1)
        NDArray x = TestArrays.randn(m, 4, new Shape(1, 1, 4, 4));
        assertArrayEquals(new float[] {3.25f, -0.5f}, net.run(ps, x, false).logits().toFloatArray(), 1e-6f);
    }

    /** A BatchNorm with gamma 1, mean 0, var 1 - eps, so that BN(0) = beta exactly. */
    private static void addBn(List<NamedTensor> t, String name, float[] beta) {
        int n = beta.length;
        float[] ones = new float[n];
        float[] var = new float[n];
        Arrays.fill(ones, 1f);
        Arrays.fill(var, 1f - 1e-5f);
        t.add(NamedTensor.of(name + ".weight", new int[] {n}, ones));
        t.add(NamedTensor.of(name + ".bias", new int[] {n}, beta));
        t.add(NamedTensor.of(name + ".running_mean", new int[] {n}, new float[n]));
        t.add(NamedTensor.of(name + ".running_var", new int[] {n}, var));
    }

    @Test
    void resNet50And101HaveTorchvisionsTensorCounts() {
        for (ResNetDepth depth : List.of(ResNetDepth.RESNET50, ResNetDepth.RESNET101)) {
            GatedBackbone net = LaudResNet.builder().setDepth(depth).optInputSize(64).build();
            net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 64, 64));
            TensorFile f = TorchvisionImporter.exportResNet(net);
            int convs = depth == ResNetDepth.RESNET50 ? 53 : 104;
            assertEquals(convs * 5 + 2, f.size(), depth.name());
            assertArrayEquals(new long[] {2048, 1024, 1, 1}, f.get("layer4.0.downsample.0.weight").shape());
            assertArrayEquals(new long[] {64, 3, 7, 7}, f.get("conv1.weight").shape());
            assertArrayEquals(new long[] {256, 64, 1, 1}, f.get("layer1.2.conv3.weight").shape());
        }
        GatedBackbone v1 = LaudResNet.builder().setDepth(ResNetDepth.RESNET50).optInputSize(64)
                .optStridePlacement(StridePlacement.CONV1).build();
        v1.initialize(m, DataType.FLOAT32, new Shape(1, 3, 64, 64));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TorchvisionImporter.exportResNet(v1));
        assertTrue(e.getMessage().contains("stridePlacement"), e.getMessage());
    }

    private GatedBackbone tinyRegNet() {
        GatedBackbone net = LaudRegNet.builder().setStages(8, List.of(
                        new StageSpec(1, 16, 16, 2, GateSpec.spatial(2)),
                        new StageSpec(2, 24, 24, 2, GateSpec.channel(3))))
                .optInputSize(32).optNumClasses(5).build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
        return net;
    }

    @Test
    void regNetRoundTripThroughTorchvisionNamesGivesIdenticalLogits() throws WeightFileException {
        GatedBackbone source = tinyRegNet();
        randomize(source, 21);
        TensorFile exported = TorchvisionImporter.exportRegNet(source);
        // a conv is 1 tensor, a BN 4, an SE 4, the fc 2: stem 5; blocks with projection 4 convs + 4 BNs + SE,
        // block2-1 without projection 3 convs + 3 BNs + SE
        assertEquals(5 + (4 * 5 + 4) + (4 * 5 + 4) + (3 * 5 + 4) + 2, exported.size());
        assertArrayEquals(new long[] {32, 3, 3, 3}, exported.get("stem.0.weight").shape());
        assertArrayEquals(new long[] {24, 8, 3, 3}, exported.get("trunk_output.block2.block2-0.f.b.0.weight").shape(),
                "grouped 3x3: 24 filters in 3 groups of 8 input channels");
        assertArrayEquals(new long[] {4, 24, 1, 1},
                exported.get("trunk_output.block2.block2-0.f.se.fc1.weight").shape(), "SE: 0.25 * 16 input channels");
        assertArrayEquals(new long[] {24, 6, 1, 1}, exported.get("trunk_output.block2.block2-1.f.se.fc2.weight")
                .shape(), "SE: 0.25 * 24 input channels");
        assertArrayEquals(new long[] {16, 32, 1, 1}, exported.get("trunk_output.block1.block1-0.proj.0.weight")
                .shape());
        assertFalse(exported.contains("trunk_output.block2.block2-1.proj.0.weight"));
        Path file = dir.resolve("regnet.safetensors");
        SafetensorsWriter.write(file, exported);
        GatedBackbone target = tinyRegNet();
        NDArray x = TestArrays.randn(m, 8, new Shape(2, 3, 32, 32));
        float[] expected = source.run(ps, x, false).logits().toFloatArray();
        TorchvisionImporter.loadRegNet(file, target);
        assertArrayEquals(expected, target.run(ps, x, false).logits().toFloatArray());
    }

    @Test
    void badFilesNameFileTensorAndShapesAndLeaveTheNetworkUntouched() throws WeightFileException {
        GatedBackbone source = resNet18(1);
        randomize(source, 5);
        List<NamedTensor> good = TorchvisionImporter.exportResNet(source).tensors();
        GatedBackbone target = resNet18(3);
        float[] before = target.getHead().getParameters().get("weight").getArray().toFloatArray();
        float[] stemBefore = target.getStemConv().getParameters().get("weight").getArray().toFloatArray();

        List<NamedTensor> missing = new ArrayList<>(good);
        missing.removeIf(t -> t.name().equals("layer3.1.bn2.running_mean"));
        Path f1 = dir.resolve("missing.safetensors");
        SafetensorsWriter.write(f1, TensorFile.of(missing));
        WeightFileException e = assertThrows(WeightFileException.class, () -> TorchvisionImporter.loadResNet(f1,
                target));
        assertTrue(e.getMessage().contains(f1.toString()) && e.getMessage().contains("layer3.1.bn2.running_mean")
                && e.getMessage().contains("missing"), e.getMessage());

        List<NamedTensor> misShaped = new ArrayList<>();
        for (NamedTensor t : good) {
            misShaped.add(t.name().equals("fc.weight")
                    ? new NamedTensor("fc.weight", new long[] {1000, 512}, new float[512000]) : t);
        }
        Path f2 = dir.resolve("shape.safetensors");
        SafetensorsWriter.write(f2, TensorFile.of(misShaped));
        e = assertThrows(WeightFileException.class, () -> TorchvisionImporter.loadResNet(f2, target));
        assertTrue(e.getMessage().contains("fc.weight") && e.getMessage().contains("[10, 512]")
                && e.getMessage().contains("[1000, 512]"), e.getMessage());
        assertEquals("fc.weight", e.tensor().orElseThrow());

        List<NamedTensor> extra = new ArrayList<>(good);
        extra.add(NamedTensor.of("layer5.0.conv1.weight", new int[] {1}, new float[] {1f}));
        Path f3 = dir.resolve("extra.safetensors");
        SafetensorsWriter.write(f3, TensorFile.of(extra));
        e = assertThrows(WeightFileException.class, () -> TorchvisionImporter.loadResNet(f3, target));
        assertTrue(e.getMessage().contains("layer5.0.conv1.weight") && e.getMessage().contains("no parameter"),
                e.getMessage());

        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            List<NamedTensor> nonFinite = new ArrayList<>();
            for (NamedTensor t : good) {
                float[] v = t.data().clone();
                if (t.name().equals("layer2.0.conv2.weight")) {
                    v[7] = bad;
                }
                nonFinite.add(new NamedTensor(t.name(), t.shape(), v));
            }
            Path f4 = dir.resolve("nan.safetensors");
            SafetensorsWriter.write(f4, TensorFile.of(nonFinite));
            e = assertThrows(WeightFileException.class, () -> TorchvisionImporter.loadResNet(f4, target));
            assertTrue(e.getMessage().contains(f4.toString()) && e.getMessage().contains("value 7 of shape ")
                    && e.getMessage().contains(" is " + bad + " (weights must be finite)"), e.getMessage());
            assertEquals("layer2.0.conv2.weight", e.tensor().orElseThrow());
        }

        assertArrayEquals(before, target.getHead().getParameters().get("weight").getArray().toFloatArray());
        assertArrayEquals(stemBefore, target.getStemConv().getParameters().get("weight").getArray().toFloatArray());

        GatedBackbone fresh = LaudResNet.builder().setDepth(ResNetDepth.RESNET18).optInputSize(32).build();
        IllegalArgumentException iae = assertThrows(IllegalArgumentException.class,
                () -> TorchvisionImporter.loadResNet(TensorFile.of(good), f1, fresh));
        assertTrue(iae.getMessage().contains("initialised"), iae.getMessage());

        // the naming is chosen by the network's family: a ResNet is not a RegNetY, and vice versa
        iae = assertThrows(IllegalArgumentException.class,
                () -> TorchvisionImporter.loadRegNet(TensorFile.of(good), f1, target));
        assertTrue(iae.getMessage().contains("RegNetY") && iae.getMessage().contains("resnet"), iae.getMessage());
        iae = assertThrows(IllegalArgumentException.class, () -> TorchvisionImporter.exportRegNet(target));
        assertTrue(iae.getMessage().contains("regnety"), iae.getMessage());
    }
}
