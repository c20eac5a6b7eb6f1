package org.laudnet.models.weights.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.weights.TensorFile;
import org.laudnet.models.weights.TorchvisionImporter;
import org.laudnet.models.weights.TorchvisionImporter.GateNames;
import org.laudnet.models.weights.WeightFileException;

/** Checkpoints made by PyTorch, imported into our networks, reproduce PyTorch's outputs; mapping errors list names. */
class TorchImportTest {

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

    /** The torchvision-style network of tv_resnet_basic.pth: basic blocks 4-4-8-8, 7x7/2 stem of 4, max pool. */
    private GatedBackbone tvNet(int lastWidth) {
        GatedBackbone net = LaudResNet.builder().setStages(BlockType.BASIC, List.of(
                        new StageSpec(1, 4, 4, 1, GateSpec.none()),
                        new StageSpec(1, 4, 4, 2, GateSpec.none()),
                        new StageSpec(1, 8, 8, 2, GateSpec.none()),
                        new StageSpec(1, lastWidth, lastWidth, 2, GateSpec.none())))
                .optStem(new StemSpec(3, 4, 7, 2, true, 1)).optInputSize(32).optNumClasses(5).build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
        return net;
    }

    /** The reference LAUDNet ResNet of laudnet_ref_resnet.pth.tar: width 1/32, one bottleneck per stage. */
    private GatedBackbone laudNet(GateSpec... gates) {
        GatedBackbone net = LaudResNet.builder().setStages(BlockType.BOTTLENECK, List.of(
                        new StageSpec(1, 2, 8, 1, gates[0]),
                        new StageSpec(1, 4, 16, 2, gates[1]),
                        new StageSpec(1, 8, 32, 2, gates[2]),
                        new StageSpec(1, 16, 64, 2, gates[3])))
                .optStem(new StemSpec(3, 2, 7, 2, true, 1)).optInputSize(32).optNumClasses(5).build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
        return net;
    }

    private static final GateSpec[] REFERENCE_GATES = {GateSpec.spatial(2), GateSpec.spatial(2), GateSpec.layer(),
        GateSpec.spatial(1)};

    private NDArray input(Map<String, TorchTensor> io) {
        TorchTensor x = io.get("input");
        return m.create(x.floats(), new Shape(x.shape()));
    }

    @Test
    void torchvisionNamedStateDictReproducesPyTorchsLogits() throws Exception {
        Path file = PthFixtures.fixture("tv_resnet_basic.pth");
        GatedBackbone net = tvNet(8);
        TorchWeights.loadResNet(TorchWeights.read(file), file, net);
        Map<String, TorchTensor> io = TorchCheckpointReader.read(PthFixtures.fixture("tv_resnet_basic.io.pth"))
                .stateDict();
        float[] logits = net.run(ps, input(io), false).logits().toFloatArray();
        assertArrayEquals(io.get("output").floats(), logits, 2e-5f);
    }

    @Test
    void laudNetReferenceCheckpointReproducesTheReferenceOutputsAndDensities() throws Exception {
        Path file = PthFixtures.fixture("laudnet_ref_resnet.pth.tar");
        TensorFile tensors = TorchWeights.read(file);
        assertEquals(GateNames.LAUDNET, TorchWeights.gateNames(tensors));
        GatedBackbone net = laudNet(REFERENCE_GATES);
        TorchWeights.loadResNet(tensors, file, net);
        assertArrayEquals(tensors.get("layer2.0.masker_spatial.conv.weight").data(),
                net.getBlocks().get(1).getSpatialGate().orElseThrow().getParameters().valueAt(0).getArray()
                        .toFloatArray());
        Map<String, TorchTensor> io = TorchCheckpointReader.read(PthFixtures.fixture("laudnet_ref_resnet.io.pth"))
                .stateDict();
        NetworkResult r = net.run(ps, input(io), false);
        assertArrayEquals(io.get("output").floats(), r.logits().toFloatArray(), 2e-5f);
        float[] densities = io.get("densities").floats();
        for (int b = 0; b < 4; b++) {
            assertEquals(densities[b], r.blocks().get(b).d3().getFloat(), 1e-6f, "block " + b);
        }
        assertTrue(densities[0] > 0 && densities[0] < 1 && densities[1] == 0, "the fixture mixes keep and skip");
    }

    /** The channel-gated reference network of laudnet_ref_channel.pth (one channel per group, one-layer MLP maskers). */
    private static final GateSpec[] REFERENCE_CHANNEL_GATES = {
        GateSpec.channel(2).withMaskerKind(ChannelMaskerKind.MLP_1),
        GateSpec.both(2, 4).withMaskerKind(ChannelMaskerKind.MLP_1),
        GateSpec.channel(8).withMaskerKind(ChannelMaskerKind.MLP_1), GateSpec.spatial(1)};

    @Test
    void laudNetChannelCheckpointGetsTheReferencePlacementAndReproducesTheReferenceOutputs() throws Exception {
        Path file = PthFixtures.fixture("laudnet_ref_channel.pth");
        TensorFile tensors = TorchWeights.read(file);
        GateSpec[] resolved = TorchWeights.resolvePlacement(tensors, null, REFERENCE_CHANNEL_GATES);
        for (int s = 0; s < 3; s++) {
            assertEquals(ChannelMaskPlacement.BEFORE_NORM, resolved[s].channelMaskPlacement(), "stage " + s);
        }
        Map<String, TorchTensor> io = TorchCheckpointReader.read(PthFixtures.fixture("laudnet_ref_channel.io.pth"))
                .stateDict();
        GatedBackbone net = laudNet(resolved);
        TorchWeights.loadResNet(tensors, file, net);
        NetworkResult r = net.run(ps, input(io), false);
        float[] expected = io.get("output").floats();
        assertArrayEquals(expected, r.logits().toFloatArray(), 2e-5f);
        float[] dc = io.get("channel_densities").floats();
        for (int b = 0; b < 3; b++) {
            assertEquals(dc[b], r.blocks().get(b).dc().mean().getFloat(), 1e-6f, "block " + b);
        }
        assertTrue(dc[0] > 0 && dc[0] < 1, "the fixture keeps some channels and skips others");

        // an explicit choice is kept: our placement computes something else on the same weights
        GateSpec[] ours = TorchWeights.resolvePlacement(tensors, ChannelMaskPlacement.AFTER_ACTIVATION,
                REFERENCE_CHANNEL_GATES);
        assertEquals(ChannelMaskPlacement.AFTER_ACTIVATION, ours[0].channelMaskPlacement());
        GatedBackbone other = laudNet(ours);
        TorchWeights.loadResNet(tensors, file, other);
        float[] logits = other.run(ps, input(io), false).logits().toFloatArray();
        double diff = 0;
        for (int i = 0; i < logits.length; i++) {
            diff = Math.max(diff, Math.abs(logits[i] - expected[i]));
        }
        assertTrue(diff > 1e-3, "after-activation should differ from the reference, max difference " + diff);
    }

    @Test
    void torchvisionNamedFilesKeepTheGivenPlacement() throws Exception {
        TensorFile tv = TorchWeights.read(PthFixtures.fixture("tv_resnet_basic.pth"));
        GateSpec[] gates = {GateSpec.channel(2), GateSpec.none(), GateSpec.layer(), GateSpec.spatial(1)};
        GateSpec[] resolved = TorchWeights.resolvePlacement(tv, null, gates);
        assertEquals(ChannelMaskPlacement.AFTER_ACTIVATION, resolved[0].channelMaskPlacement());
        assertArrayEquals(gates, resolved);
        GateSpec[] explicit = TorchWeights.resolvePlacement(tv, ChannelMaskPlacement.BEFORE_NORM, gates);
        assertEquals(ChannelMaskPlacement.BEFORE_NORM, explicit[0].channelMaskPlacement());
    }

    @Test
    void mappingErrorsListMissingUnexpectedAndMisShapedTensorsAndWriteNothing() throws Exception {
        Path tv = PthFixtures.fixture("tv_resnet_basic.pth");
        GatedBackbone wrong = tvNet(16);
        float[] before = wrong.getHead().getParameters().get("weight").getArray().toFloatArray();
        WeightFileException e = assertThrows(WeightFileException.class,
                () -> TorchWeights.loadResNet(TorchWeights.read(tv), tv, wrong));
        assertTrue(e.getMessage().contains("16 shape mismatch(es)") && e.getMessage().contains(
                "layer4.0.conv1.weight: expected shape [16, 8, 3, 3] but the file has [8, 8, 3, 3]")
                && e.getMessage().contains("nothing was loaded"), e.getMessage());
        assertEquals("layer4.0.conv1.weight", e.tensor().orElseThrow());
        assertArrayEquals(before, wrong.getHead().getParameters().get("weight").getArray().toFloatArray());

        Path ref = PthFixtures.fixture("laudnet_ref_resnet.pth.tar");
        TensorFile tensors = TorchWeights.read(ref);
        // a static network for a gated checkpoint
        TorchCheckpointException te = assertThrows(TorchCheckpointException.class, () -> TorchWeights.loadResNet(
                tensors, ref, laudNet(GateSpec.none(), GateSpec.none(), GateSpec.none(), GateSpec.none())));
        assertTrue(te.getMessage().contains("masker_spatial") && te.getMessage().contains("no gates"),
                te.getMessage());
        // other gates than the checkpoint's: channel gate of stage 1 missing, spatial gate unexpected
        GatedBackbone other = laudNet(GateSpec.channel(2).withMaskerKind(ChannelMaskerKind.MLP_2),
                GateSpec.spatial(2), GateSpec.layer(), GateSpec.none());
        e = assertThrows(WeightFileException.class, () -> TorchWeights.loadResNet(tensors, ref, other));
        assertTrue(e.getMessage().contains("4 tensor(s) missing from the file: layer1.0.masker_channel.conv.0.weight,"
                + " layer1.0.masker_channel.conv.0.bias") && e.getMessage().contains("4 unexpected tensor(s)")
                && e.getMessage().contains("layer1.0.masker_spatial.conv.bias, layer1.0.masker_spatial.conv.weight,"
                + " layer4.0.masker_spatial.conv.bias"), e.getMessage());
        // the torchvision naming refuses gate tensors it has no place for
        e = assertThrows(WeightFileException.class, () -> TorchvisionImporter.loadResNet(tensors, ref,
                laudNet(REFERENCE_GATES), GateNames.FRESH));
        assertTrue(e.getMessage().contains("8 unexpected tensor(s)"), e.getMessage());
    }

    @Test
    void channelMaskerKindsRoundTripUnderTheReferenceNames() throws Exception {
        for (ChannelMaskerKind kind : ChannelMaskerKind.values()) {
            GateSpec both = GateSpec.both(2, 2).withMaskerKind(kind);
            GateSpec channel = GateSpec.channel(4).withMaskerKind(kind);
            GateSpec[] gates = {both, channel, GateSpec.layer(), GateSpec.spatial(1)};
            GatedBackbone source = laudNet(gates);
            Random r = new Random(kind.ordinal());
            for (var p : source.getParameters()) {
                NDArray a = p.getValue().getArray();
                float[] v = new float[(int) a.size()];
                boolean positive = p.getKey().endsWith("runningVar") || p.getKey().endsWith("gamma");
                for (int i = 0; i < v.length; i++) {
                    v[i] = positive ? (float) (0.5 + r.nextDouble()) : (float) (0.3 * r.nextGaussian());
                }
                a.set(v);
            }
            TensorFile exported = TorchvisionImporter.exportResNet(source, GateNames.LAUDNET);
            List<String> expectedNames = switch (kind) {
                case MLP_1 -> List.of("layer1.0.masker_channel.conv.weight", "layer2.0.masker_channel.conv.bias");
                case MLP_2 -> List.of("layer1.0.masker_channel.conv.0.weight", "layer2.0.masker_channel.conv.2.bias");
                case CONV_LINEAR -> List.of("layer1.0.masker_channel.conv.0.weight",
                        "layer1.0.masker_channel.conv.1.running_var", "layer2.0.masker_channel.linear.weight");
            };
            for (String n : expectedNames) {
                assertTrue(exported.contains(n), kind + ": " + n + " not in " + exported.names());
            }
            assertTrue(exported.contains("layer1.0.masker_spatial.conv.weight"));
            Path f = dir.resolve(kind + ".pth");
            TorchCheckpointWriter.write(f, exported);
            GatedBackbone target = laudNet(gates);
            TorchWeights.loadResNet(TorchWeights.read(f), f, target);
            NDArray x = m.randomNormal(new Shape(2, 3, 32, 32));
            NetworkResult a = source.run(ps, x, false);
            NetworkResult b = target.run(ps, x, false);
            assertArrayEquals(a.logits().toFloatArray(), b.logits().toFloatArray(), kind.toString());
        }
    }
}
