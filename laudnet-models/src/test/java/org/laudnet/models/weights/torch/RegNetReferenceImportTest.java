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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.models.regnet.LaudRegNet;
import org.laudnet.models.train.Architecture;
import org.laudnet.models.weights.TensorFile;
import org.laudnet.models.weights.TorchvisionImporter;
import org.laudnet.models.weights.TorchvisionImporter.GateNames;
import org.laudnet.models.weights.WeightFileException;

/**
 * A checkpoint of the reference's own RegNetY module ({@code laud_regnet.py}, tiny widths) with a spatial, a channel,
 * a layer and a both-mode stage, imported by the reference's gate names, reproduces the reference's masks and
 * outputs.
 */
class RegNetReferenceImportTest {

    /** Stage gates of laudnet_ref_regnet.pth.tar: S = 2 on 8x8, 4 channel groups, layer (S = 2 on 2x2), both. */
    private static final GateSpec[] GATES = {
        GateSpec.spatial(2),
        GateSpec.channel(4).withMaskerKind(ChannelMaskerKind.MLP_1),
        GateSpec.layer(),
        GateSpec.both(1, 4).withMaskerKind(ChannelMaskerKind.MLP_1)};

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

    /** The reference network: stem 3x3/2 of 8, widths 8, 8, 16, 16, group width 4, SE ratio 0.25, 32 x 32 input. */
    private GatedBackbone net(GateSpec... gates) {
        GatedBackbone net = LaudRegNet.builder().setStages(4, List.of(
                        new StageSpec(1, 8, 8, 2, gates[0]),
                        new StageSpec(1, 8, 8, 2, gates[1]),
                        new StageSpec(1, 16, 16, 2, gates[2]),
                        new StageSpec(1, 16, 16, 2, gates[3])))
                .optStem(new StemSpec(3, 8, 3, 2, false, 0)).optInputSize(32).optNumClasses(5).build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
        return net;
    }

    private static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    @Test
    void referenceRegNetCheckpointReproducesTheReferenceMasksAndOutputs() throws Exception {
        Path file = PthFixtures.fixture("laudnet_ref_regnet.pth.tar");
        TensorFile tensors = TorchWeights.read(file);
        assertEquals(GateNames.LAUDNET, TorchWeights.gateNames(tensors));
        // the reference's RegNet masks channels after the activation: no placement change on import
        GateSpec[] resolved = TorchWeights.resolvePlacement(tensors, null, GATES);
        assertArrayEquals(GATES, resolved);
        assertEquals(ChannelMaskPlacement.AFTER_ACTIVATION, resolved[1].channelMaskPlacement());

        GatedBackbone net = net(resolved);
        TorchWeights.loadRegNet(tensors, file, net);
        assertArrayEquals(tensors.get("trunk_output.block1.block1-0.f.masker_spatial.conv.weight").data(),
                net.getBlocks().get(0).getSpatialGate().orElseThrow().getParameters().valueAt(0).getArray()
                        .toFloatArray());

        Map<String, TorchTensor> io = TorchCheckpointReader.read(PthFixtures.fixture("laudnet_ref_regnet.io.pth"))
                .stateDict();
        TorchTensor x = io.get("input");
        NetworkResult r = net.run(ps, m.create(x.floats(), new Shape(x.shape())), false);

        float[] densities = io.get("densities").floats();
        float[] channel = io.get("channel_densities").floats();
        for (int b = 0; b < 4; b++) {
            var block = r.blocks().get(b);
            float d3 = block.d3().mean().getFloat();
            float dc = block.dc().mean().getFloat();
            assertEquals(densities[b], d3, 1e-6f, "spatial density of block " + b);
            assertEquals(channel[b], dc, 1e-6f, "channel density of block " + b);
        }
        assertTrue(densities[0] > 0 && densities[0] < 1, "stage 1 keeps some cells and skips others");
        assertTrue(channel[1] > 0 && channel[1] < 1, "stage 2 keeps some channels and skips others");

        // this project's squeeze averages over the computed positions M2: equal to the reference module with
        // that squeeze, and different from the reference's squeeze over every position where stage 1 skips cells
        float[] logits = r.logits().toFloatArray();
        assertArrayEquals(io.get("output_se_m2").floats(), logits, 2e-5f);
        double diff = maxDiff(io.get("output").floats(), logits);
        assertTrue(diff > 1e-4, "the reference's squeeze over all positions differs, max difference " + diff);
    }

    @Test
    void gatesRoundTripUnderReferenceNamesAndMismatchesAreListed() throws Exception {
        Path file = PthFixtures.fixture("laudnet_ref_regnet.pth.tar");
        TensorFile tensors = TorchWeights.read(file);
        GatedBackbone net = net(GATES);
        TorchWeights.loadRegNet(tensors, file, net);
        TensorFile exported = TorchvisionImporter.exportRegNet(net, GateNames.LAUDNET);
        for (String name : exported.names()) {
            assertArrayEquals(tensors.get(name).data(), exported.get(name).data(), name);
        }
        assertTrue(exported.names().contains("trunk_output.block4.block4-0.f.masker_channel.conv.weight"));

        // the architecture's PyTorch entry point takes the gates too (it refused RegNet gate names before)
        GatedBackbone viaArch = net(GATES);
        Architecture.REGNETY_400MF.loadPyTorch(tensors, file, viaArch);
        assertArrayEquals(tensors.get("trunk_output.block2.block2-0.f.masker_channel.conv.weight").data(),
                TorchvisionImporter.exportRegNet(viaArch, GateNames.LAUDNET)
                        .get("trunk_output.block2.block2-0.f.masker_channel.conv.weight").data());

        // a static network for a gated checkpoint
        TorchCheckpointException te = assertThrows(TorchCheckpointException.class, () -> TorchWeights.loadRegNet(
                tensors, file, net(GateSpec.none(), GateSpec.none(), GateSpec.none(), GateSpec.none())));
        assertTrue(te.getMessage().contains("masker_spatial") && te.getMessage().contains("no gates"),
                te.getMessage());
        // other gates than the checkpoint's: the stage-2 channel gate as a spatial one
        GatedBackbone other = net(GATES[0], GateSpec.spatial(2), GATES[2], GATES[3]);
        float[] before = other.getHead().getParameters().get("weight").getArray().toFloatArray();
        WeightFileException e = assertThrows(WeightFileException.class,
                () -> TorchWeights.loadRegNet(tensors, file, other));
        assertTrue(e.getMessage().contains("tensor(s) missing from the file: "
                + "trunk_output.block2.block2-0.f.masker_spatial.conv.weight")
                && e.getMessage().contains("unexpected tensor(s), the network has no parameter for them: "
                + "trunk_output.block2.block2-0.f.masker_channel.conv.bias"), e.getMessage());
        assertArrayEquals(before, other.getHead().getParameters().get("weight").getArray().toFloatArray());
    }
}
