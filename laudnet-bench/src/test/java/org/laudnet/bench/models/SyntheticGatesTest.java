package org.laudnet.bench.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.NetworkResult;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.models.imagenet.ImagePreprocessing;
import org.laudnet.models.resnet.LaudResNet;

/** {@link SyntheticGates} on a small bottleneck ResNet: every gate reaches the target density on seeded inputs. */
class SyntheticGatesTest {

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

    private GatedBackbone net() {
        GatedBackbone net = LaudResNet.builder().setStages(BlockType.BOTTLENECK, List.of(
                        new StageSpec(2, 4, 16, 1, GateSpec.layer()),
                        new StageSpec(1, 8, 32, 2, GateSpec.channel(4)),
                        new StageSpec(2, 8, 32, 2, GateSpec.spatial(2)),
                        new StageSpec(1, 16, 64, 2, GateSpec.both(1, 4))))
                .optStem(new StemSpec(3, 8, 7, 2, true, 1)).optInputSize(64).optNumClasses(5).build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 64, 64));
        Random r = new Random(5);
        for (var p : net.getParameters()) {
            String k = p.getKey();
            if (k.contains("Gate") || k.contains("gate") || k.contains("masker")) {
                continue; // the tool sets the gates
            }
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            boolean positive = k.endsWith("runningVar") || k.endsWith("gamma");
            for (int i = 0; i < v.length; i++) {
                v[i] = positive ? (float) (0.5 + r.nextDouble()) : (float) (0.3 * r.nextGaussian());
            }
            a.set(v);
        }
        return net;
    }

    private NDArray inputs(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n * 3 * 64 * 64];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return m.create(v, new Shape(n, 3, 64, 64));
    }

    @Test
    void everyGateReachesTheTargetDensityAndDecidesByInput() {
        GatedBackbone net = net();
        NDArray x = inputs(40, 11);
        SyntheticGates.Result result = SyntheticGates.apply(net, ps, x, 0.5, 3);
        // layer x2, channel, spatial x2, both (spatial + channel)
        assertEquals(List.of("layer", "layer", "channel", "spatial", "spatial", "spatial", "channel"),
                result.gates().stream().map(SyntheticGates.GateCalibration::kind).toList());
        for (SyntheticGates.GateCalibration g : result.gates()) {
            assertEquals(0.5, g.keepFraction(), 0.05, g.toString());
        }
        // (the stem dominates this small network's MACs)
        assertTrue(result.meanMacsRatio() > 0.5 && result.meanMacsRatio() < 0.98, "ratio " + result.meanMacsRatio());

        // the network's own eval forward sees the same fractions, and decisions differ between samples
        NetworkResult r = net.run(ps, x, false);
        assertEquals(result.gates().get(0).keepFraction(), r.blocks().get(0).d3().mean().getFloat(), 1e-6);
        assertEquals(result.gates().get(3).keepFraction(), r.blocks().get(3).d3().mean().getFloat(), 1e-6);
        assertEquals(result.gates().get(2).keepFraction(), r.blocks().get(2).dc().mean().getFloat(), 1e-6);
        float[] layerKept = net.getBlocks().get(0).getSpatialGate().orElseThrow()
                .gate(ps, net.runStem(ps, x, false), false).mask().toFloatArray();
        assertTrue(layerKept.length == 40 && min(layerKept) == 0f && max(layerKept) == 1f, "layer gate per sample");
        float[] cells = new float[8];
        float[] groups = new float[8];
        for (int i = 0; i < cells.length; i++) {
            NetworkResult one = net.run(ps, x.get(i + ":" + (i + 1)), false);
            cells[i] = one.blocks().get(3).d3().getFloat();
            groups[i] = one.blocks().get(2).dc().getFloat();
        }
        assertTrue(max(cells) - min(cells) > 0.1f, "spatial keep fractions vary between samples");
        assertTrue(max(groups) - min(groups) >= 0.25f, "channel groups kept vary between samples");

        // on other inputs of the same kind the density stays near the target
        NetworkResult other = net.run(ps, inputs(40, 12), false);
        assertEquals(0.5, other.blocks().get(3).d3().mean().getFloat(), 0.15);
        assertEquals(0.5, other.blocks().get(2).dc().mean().getFloat(), 0.15);
    }

    @Test
    void theSameSeedGivesTheSameGatesAndOtherDensitiesAreReached() {
        SyntheticGates.Result a = SyntheticGates.apply(net(), ps, inputs(24, 1), 0.3, 9);
        SyntheticGates.Result b = SyntheticGates.apply(net(), ps, inputs(24, 1), 0.3, 9);
        assertEquals(a, b);
        for (SyntheticGates.GateCalibration g : a.gates()) {
            assertEquals(0.3, g.keepFraction(), 0.05, g.toString());
        }
        SyntheticGates.Result c = SyntheticGates.apply(net(), ps, inputs(24, 1), 0.3, 10);
        assertNotEquals(a.gates().get(3).offset(), c.gates().get(3).offset());
        SyntheticGates.Result open = SyntheticGates.apply(net(), ps, inputs(24, 1), 1.0, 9);
        open.gates().forEach(g -> assertEquals(1f, g.keepFraction(), g.toString()));
        assertTrue(open.meanMacsRatio() > a.meanMacsRatio());
    }

    @Test
    void offsetIsFoundByBisection() {
        float[] margins = {-3f, -1f, 0f, 2f, 5f};
        assertEquals(0.4f, SyntheticGates.keepFraction(margins, SyntheticGates.offset(margins, 0.4)));
        assertEquals(0.6f, SyntheticGates.keepFraction(margins, SyntheticGates.offset(margins, 0.55)), 1e-6);
        assertEquals(1f, SyntheticGates.keepFraction(margins, SyntheticGates.offset(margins, 1.0)));
        assertEquals(0f, SyntheticGates.keepFraction(margins, SyntheticGates.offset(margins, 0.01)));
    }

    @Test
    void badArgumentsAreRefusedByName() {
        GatedBackbone net = net();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SyntheticGates.apply(net, ps, inputs(2, 1), 1.5, 1));
        assertTrue(e.getMessage().contains("density must be in (0, 1], got 1.5"), e.getMessage());
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        List<float[]> s = SyntheticGates.samples(List.of(img), ImagePreprocessing.torchvision(), 3, 1);
        assertEquals(3, s.size());
        assertEquals(3 * 224 * 224, s.get(2).length);
        assertArrayEquals(s.get(1), SyntheticGates.samples(List.of(img), ImagePreprocessing.torchvision(), 3, 1)
                .get(1));
        assertThrows(IllegalArgumentException.class,
                () -> SyntheticGates.samples(List.of(), ImagePreprocessing.torchvision(), 3, 1));
    }

    private static float min(float[] v) {
        float r = Float.MAX_VALUE;
        for (float f : v) {
            r = Math.min(r, f);
        }
        return r;
    }

    private static float max(float[] v) {
        float r = -Float.MAX_VALUE;
        for (float f : v) {
            r = Math.max(r, f);
        }
        return r;
    }
}
