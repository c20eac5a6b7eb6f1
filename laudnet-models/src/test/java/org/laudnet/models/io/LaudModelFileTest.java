package org.laudnet.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.testing.TestArrays;
import org.laudnet.models.regnet.LaudRegNet;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.NetworkResult;
import org.laudnet.models.resnet.StageSpec;
import org.laudnet.models.resnet.StemSpec;
import org.laudnet.models.weights.WeightFileException;

class LaudModelFileTest {

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

    /** Every parameter random, gates included, so that the gates are partly closed. */
    static void randomize(Block net, long seed) {
        Random r = new Random(seed);
        for (var p : net.getParameters()) {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            boolean positive = p.getKey().endsWith("runningVar") || p.getKey().endsWith("gamma");
            for (int i = 0; i < v.length; i++) {
                v[i] = positive ? (float) (0.5 + r.nextDouble()) : (float) (0.1 * r.nextGaussian());
            }
            a.set(v);
        }
    }

    private LaudResNet gatedResNet() {
        LaudResNet net = LaudResNet.builder()
                .setStages(BlockType.BOTTLENECK, List.of(
                        new StageSpec(2, 8, 32, 1, GateSpec.both(2, 4)),
                        new StageSpec(1, 16, 64, 2, GateSpec.channel(2).withMaskerKind(ChannelMaskerKind.MLP_1)),
                        new StageSpec(1, 16, 64, 2, GateSpec.layer())))
                .optStridePlacement(StridePlacement.CONV1)
                .optStem(new StemSpec(3, 16, 3, 1, true, 1))
                .optConvBias(true)
                .optBatchNormEpsilon(1e-3f)
                .optInputSize(32)
                .optNumClasses(7)
                .optSeed(99)
                .build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
        randomize(net, 4);
        return net;
    }

    @Test
    void gatedResNetRoundTripGivesIdenticalEvalOutputs() throws WeightFileException, IOException {
        LaudResNet net = gatedResNet();
        Path file = dir.resolve("sub/net.laud");
        LaudModelFile.save(file, net);
        assertTrue(Files.isRegularFile(file));
        try (NDManager other = NDManager.newBaseManager()) {
            LaudModelFile.LaudModel model = LaudModelFile.load(file, other);
            assertEquals(LaudModelFile.Architecture.RESNET, model.architecture());
            LaudResNet loaded = model.resNet();
            assertEquals(net.getStages(), loaded.getStages());
            assertEquals(net.getStem(), loaded.getStem());
            assertEquals(StridePlacement.CONV1, loaded.getStridePlacement());
            assertTrue(loaded.hasConvBias());
            assertEquals(1e-3f, loaded.getBatchNormEpsilon());
            assertEquals(99, loaded.getSeed());
            assertEquals(net.staticMacs(), loaded.staticMacs());
            NDArray x = TestArrays.randn(m, 6, new Shape(4, 3, 32, 32));
            NetworkResult a = net.run(ps, x, false);
            NDArray x2 = other.create(x.toFloatArray(), x.getShape());
            NetworkResult b = loaded.run(new ParameterStore(other, false), x2, false);
            assertArrayEquals(a.logits().toFloatArray(), b.logits().toFloatArray());
            assertEquals(a.dynamicMacs().getFloat(), b.dynamicMacs().getFloat());
            float d = a.blocks().get(0).d3().getFloat();
            assertEquals(d, b.blocks().get(0).d3().getFloat());
            assertThrows(IllegalStateException.class, model::regNet);
        }
        try (var files = Files.list(file.getParent())) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void regNetRoundTripGivesIdenticalEvalOutputs() throws WeightFileException {
        LaudRegNet net = LaudRegNet.builder().setStages(8, List.of(
                        new StageSpec(1, 16, 16, 2, GateSpec.spatial(2)),
                        new StageSpec(2, 24, 24, 2, GateSpec.both(1, 3))))
                .optInputSize(32).optNumClasses(5).optSeRatio(0.5).build();
        net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
        randomize(net, 8);
        Path file = dir.resolve("regnet.laud");
        LaudModelFile.save(file, net);
        LaudModelFile.LaudModel model = LaudModelFile.load(file, m);
        LaudRegNet loaded = model.regNet();
        assertEquals(0.5, loaded.getSeRatio());
        assertEquals(8, loaded.getGroupWidth());
        NDArray x = TestArrays.randn(m, 7, new Shape(2, 3, 32, 32));
        assertArrayEquals(net.run(ps, x, false).logits().toFloatArray(),
                loaded.run(ps, x, false).logits().toFloatArray());
        assertThrows(IllegalStateException.class, model::resNet);
    }

    @Test
    void badFilesAreRejectedWithTheFileName() throws IOException, WeightFileException {
        LaudResNet net = gatedResNet();
        Path good = dir.resolve("good.laud");
        LaudModelFile.save(good, net);
        byte[] bytes = Files.readAllBytes(good);

        Path missing = dir.resolve("absent.laud");
        assertMessage(missing, "does not exist");

        Path text = dir.resolve("text.laud");
        Files.writeString(text, "hello, world");
        assertMessage(text, "bad magic");

        byte[] v2 = bytes.clone();
        ByteBuffer.wrap(v2).putInt(8, 2);
        Path version = dir.resolve("v2.laud");
        Files.write(version, v2);
        assertMessage(version, "unsupported format version 2");

        for (int cut : new int[] {10, 20, bytes.length / 2, bytes.length - 1}) {
            Path truncated = dir.resolve("cut" + cut + ".laud");
            Files.write(truncated, Arrays.copyOf(bytes, cut));
            assertMessage(truncated, "truncated");
        }

        byte[] flipped = bytes.clone();
        flipped[bytes.length - 100] ^= 0x40;
        Path corrupt = dir.resolve("corrupt.laud");
        Files.write(corrupt, flipped);
        assertMessage(corrupt, "checksum");

        // an intact file is still readable after all of this
        assertFalse(LaudModelFile.load(good, m).resNet().getBlocks().isEmpty());
    }

    private void assertMessage(Path file, String text) {
        WeightFileException e = assertThrows(WeightFileException.class, () -> LaudModelFile.load(file, m));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains(text), e.getMessage());
        assertEquals(file, e.file());
    }
}
