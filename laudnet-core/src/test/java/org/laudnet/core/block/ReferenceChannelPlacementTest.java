package org.laudnet.core.block;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.BlockExecutor;
import org.laudnet.core.exec.ExecutionResult;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.testing.ManagedTest;

/**
 * The reference's channel mask placement ({@code conv * mask -> BN -> ReLU}) against the reference bottleneck itself
 * (fixture {@code fidelity/channel-before-norm.txt}, written by {@code scripts/fixtures/reference_fidelity.py}: a
 * channel-mode block with random weights and BatchNorm statistics, its masks and eval output).
 */
class ReferenceChannelPlacementTest extends ManagedTest {

    private static Map<String, float[]> fixture() throws IOException {
        Map<String, float[]> out = new HashMap<>();
        try (InputStream in = ReferenceChannelPlacementTest.class.getResourceAsStream(
                        "/org/laudnet/core/fidelity/channel-before-norm.txt");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("#")) {
                    continue;
                }
                String[] t = line.split(" ");
                float[] v = new float[t.length - 1];
                for (int i = 1; i < t.length; i++) {
                    v[i - 1] = Float.parseFloat(t[i]);
                }
                out.put(t[0], v);
            }
        }
        return out;
    }

    /** The reference's parameter name of one of ours. */
    private static String referenceName(String ours) {
        return ours.replaceAll("(^|_)\\d+", "$1").replace("channel_gate_linear_", "masker_channel.conv.")
                .replace("_gamma", ".weight").replace("_beta", ".bias")
                .replace("_runningMean", ".running_mean").replace("_runningVar", ".running_var")
                .replace("_weight", ".weight").replace("_bias", ".bias");
    }

    private GatedResidualBlock block(ChannelMaskPlacement placement, Map<String, float[]> f) {
        GatedResidualBlock b = GatedResidualBlock.builder().setGeometry(BlockGeometry.bottleneck(16, 4, 3, 1))
                .optGateSpec(GateSpec.channel(2).withMaskerKind(ChannelMaskerKind.MLP_1)
                        .withChannelMaskPlacement(placement))
                .build();
        b.initialize(m, DataType.FLOAT32, new Shape(2, 16, 3, 3));
        for (var p : b.getParameters()) {
            float[] v = f.get(referenceName(p.getKey()));
            Parameter param = p.getValue();
            assertTrue(v != null, "the fixture has " + referenceName(p.getKey()) + " for " + p.getKey());
            assertEquals(param.getArray().size(), v.length, p.getKey());
            param.getArray().set(v);
        }
        return b;
    }

    private NDArray input() {
        float[] v = new float[2 * 16 * 3 * 3];
        for (int k = 0; k < v.length; k++) {
            v[k] = (float) Math.sin(0.37 * k);
        }
        return m.create(v, new Shape(2, 16, 3, 3));
    }

    @Test
    void trainingBlockAndExecutorsEqualTheReferenceBottleneck() throws IOException {
        Map<String, float[]> f = fixture();
        GatedResidualBlock b = block(ChannelMaskPlacement.BEFORE_NORM, f);
        BlockResult r = b.run(ps, input(), false);
        assertArrayEquals(f.get("mask"), r.channelMask().orElseThrow().toFloatArray(), 0f, "channel mask");
        assertArrayEquals(f.get("output"), r.output().toFloatArray(), 1e-5f, "masked-dense eval output");
        for (Backend<?> backend : List.of(DjlBackend.create(m), new ReferenceBackend())) {
            try (BlockExecutor ex = BlockExecutor.builder().setBlock(b).setManager(m).optBackend(backend).build()) {
                for (PathPolicy policy : new PathPolicy[] {PathPolicy.AUTO, PathPolicy.SPARSE, PathPolicy.DENSE}) {
                    ExecutionResult e = ex.run(input(), policy);
                    assertArrayEquals(f.get("output"), e.output().toFloatArray(), 1e-5f,
                            "executor " + policy + " on " + backend);
                }
            }
        }
        // this project's placement computes something else on these BatchNorm statistics
        float[] ours = block(ChannelMaskPlacement.AFTER_ACTIVATION, f).run(ps, input(), false).output().toFloatArray();
        double diff = 0;
        for (int i = 0; i < ours.length; i++) {
            diff = Math.max(diff, Math.abs(ours[i] - f.get("output")[i]));
        }
        assertTrue(diff > 1e-2, "the placements differ, max diff " + diff);
    }
}
