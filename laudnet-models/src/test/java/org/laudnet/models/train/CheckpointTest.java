package org.laudnet.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.models.resnet.LaudResNet;

class CheckpointTest {

    @TempDir
    Path dir;

    private NDManager m;
    private LaudResNet net;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager();
        net = TinyNets.twoStage(GumbelTemperature.constant(1f), 16, 4);
        net.initialize(m, DataType.FLOAT32, new Shape(1, 1, 16, 16));
    }

    @AfterEach
    void close() {
        m.close();
    }

    private float[] firstWeight(LaudResNet n) {
        return n.getParameters().get(0).getValue().getArray().toFloatArray();
    }

    @Test
    void roundTripRestoresWeightsAndState() throws IOException {
        Path file = dir.resolve("a.ckpt");
        float[] before = firstWeight(net);
        Checkpoint.save(file, net, new CheckpointState(3, 42, 0.75f));
        for (Pair<String, Parameter> p : net.getParameters()) {
            p.getValue().getArray().muli(0);
        }
        assertEquals(0f, Math.abs(firstWeight(net)[0]));
        CheckpointState s = Checkpoint.load(file, net, m);
        assertEquals(new CheckpointState(3, 42, 0.75f), s);
        assertArrayEquals(before, firstWeight(net));
        assertFalse(Files.exists(Checkpoint.sibling(file, ".tmp")));
    }

    @Test
    void secondSaveKeepsThePreviousAsPrev() throws IOException {
        Path file = dir.resolve("b.ckpt");
        Checkpoint.save(file, net, new CheckpointState(1, 10, 1f));
        byte[] first = Files.readAllBytes(file);
        Checkpoint.save(file, net, new CheckpointState(2, 20, 1f));
        assertArrayEquals(first, Files.readAllBytes(Checkpoint.sibling(file, ".prev")));
        assertEquals(2, Checkpoint.read(file).state().epoch());
        assertEquals(1, Checkpoint.read(Checkpoint.sibling(file, ".prev")).state().epoch());
    }

    @Test
    void failingWriteLeavesThePreviousCheckpointIntact() throws IOException {
        Path file = dir.resolve("c.ckpt");
        Checkpoint.save(file, net, new CheckpointState(1, 10, 1f));
        byte[] good = Files.readAllBytes(file);
        IOException e = assertThrows(IOException.class, () -> Checkpoint.write(file, new CheckpointState(2, 20, 1f),
                out -> {
                    out.write(new byte[1000]);
                    throw new IOException("disk full");
                }));
        assertEquals("disk full", e.getMessage());
        assertArrayEquals(good, Files.readAllBytes(file));
        assertFalse(Files.exists(Checkpoint.sibling(file, ".tmp")));
        assertFalse(Files.exists(Checkpoint.sibling(file, ".prev")));
    }

    @Test
    void corruptTruncatedAndForeignFilesGiveClearErrors() throws IOException {
        Path file = dir.resolve("d.ckpt");
        Checkpoint.save(file, net, new CheckpointState(1, 10, 1f));
        byte[] good = Files.readAllBytes(file);

        byte[] flipped = good.clone();
        flipped[good.length / 2] ^= 0x55;
        Path corrupt = dir.resolve("corrupt.ckpt");
        Files.write(corrupt, flipped);
        CheckpointException c = assertThrows(CheckpointException.class, () -> Checkpoint.load(corrupt, net, m));
        assertTrue(c.getMessage().contains(corrupt.toString()) && c.getMessage().contains("CRC"), c.getMessage());
        assertEquals(corrupt, c.getFile());

        Path truncated = dir.resolve("truncated.ckpt");
        Files.write(truncated, Arrays.copyOf(good, good.length / 2));
        CheckpointException t = assertThrows(CheckpointException.class, () -> Checkpoint.load(truncated, net, m));
        assertTrue(t.getMessage().contains(truncated.toString()) && t.getMessage().contains("truncated"),
                t.getMessage());

        Path foreign = dir.resolve("foreign.ckpt");
        Files.write(foreign, "not a checkpoint at all, just some text".getBytes());
        CheckpointException f = assertThrows(CheckpointException.class, () -> Checkpoint.load(foreign, net, m));
        assertTrue(f.getMessage().contains("bad magic"), f.getMessage());

        LaudResNet other = TinyNets.twoStage(GumbelTemperature.constant(1f), 16, 7);
        other.initialize(m, DataType.FLOAT32, new Shape(1, 1, 16, 16));
        float[] own = firstWeight(other);
        CheckpointException w = assertThrows(CheckpointException.class, () -> Checkpoint.load(file, other, m));
        assertTrue(w.getMessage().contains(file.toString()) && w.getMessage().contains("shape"), w.getMessage());
        assertArrayEquals(own, firstWeight(other));
        assertEquals(new Shape(7, 16), other.getHead().getParameters().get("weight").getArray().getShape());
    }
}
