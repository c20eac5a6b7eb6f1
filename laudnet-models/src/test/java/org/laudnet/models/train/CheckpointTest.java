package org.laudnet.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.net.GatedBackbone;

class CheckpointTest {

    @TempDir
    Path dir;

    private NDManager m;
    private GatedBackbone net;

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

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private float[] firstWeight(GatedBackbone n) {
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
        assertEquals(List.of("a.ckpt"), names());
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
        assertEquals(List.of("b.ckpt", "b.ckpt.prev"), names());
    }

    @Test
    void staleTemporaryFilesOfAKilledSaveAreRemovedByTheNextSave() throws IOException {
        Path file = dir.resolve("e.ckpt");
        Checkpoint.save(file, net, new CheckpointState(1, 10, 1f));
        // what a save killed before its renames leaves: temporary files of the checkpoint and of its .prev copy
        Files.write(dir.resolve(".e.ckpt.5xk2p0.tmp"), new byte[] {'L', 'A', 'U'});
        Files.write(dir.resolve(".e.ckpt.prev.9a.tmp"), new byte[0]);
        assertEquals(1, Checkpoint.load(file, net, m).epoch());
        Checkpoint.save(file, net, new CheckpointState(2, 20, 1f));
        assertEquals(List.of("e.ckpt", "e.ckpt.prev"), names());
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
        assertEquals(List.of("c.ckpt"), names());
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

        GatedBackbone other = TinyNets.twoStage(GumbelTemperature.constant(1f), 16, 7);
        other.initialize(m, DataType.FLOAT32, new Shape(1, 1, 16, 16));
        float[] own = firstWeight(other);
        CheckpointException w = assertThrows(CheckpointException.class, () -> Checkpoint.load(file, other, m));
        assertTrue(w.getMessage().contains(file.toString()) && w.getMessage().contains("shape"), w.getMessage());
        assertArrayEquals(own, firstWeight(other));
        assertEquals(new Shape(7, 16), other.getHead().getParameters().get("weight").getArray().getShape());
    }

    @Test
    void optimizerStateRoundTripsAndVersionOneFilesStillLoad() throws IOException {
        Path file = dir.resolve("opt.ckpt");
        String first = net.getParameters().get(0).getKey();
        long[] shape = net.getParameters().get(0).getValue().getArray().getShape().getShape();
        int n = (int) net.getParameters().get(0).getValue().getArray().size();
        float[] slot = new float[n];
        for (int i = 0; i < n; i++) {
            slot[i] = i * 0.25f - 1f;
        }
        OptimizerState st = new OptimizerState("SGD", java.util.Map.of(first,
                new OptimizerState.ParameterSlots(9, shape, java.util.List.of(slot))));
        Checkpoint.save(file, net, new CheckpointState(2, 9, 0.5f), st);
        Checkpoint.CheckpointContent c = Checkpoint.loadAll(file, net, m);
        assertEquals(new CheckpointState(2, 9, 0.5f), c.state());
        OptimizerState back = c.optimizer().orElseThrow();
        assertEquals("SGD", back.algorithm());
        assertEquals(9, back.parameters().get(first).updates());
        assertArrayEquals(slot, back.parameters().get(first).slots().get(0));

        // a version-1 file: same header, no optimizer section
        byte[] v2 = Files.readAllBytes(file);
        java.nio.ByteBuffer h = java.nio.ByteBuffer.wrap(v2);
        int payload = (int) h.getLong(8 + 4 + 4 + 4 + 4);
        int header = 8 + 4 + 4 + 4 + 4 + 8;
        java.io.ByteArrayOutputStream v1 = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream out = new java.io.DataOutputStream(v1);
        out.write(v2, 0, 8);
        out.writeInt(Checkpoint.VERSION_1);
        out.write(v2, 12, header - 12 + payload);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(v1.toByteArray());
        out.writeLong(crc.getValue());
        out.flush();
        Path old = dir.resolve("v1.ckpt");
        Files.write(old, v1.toByteArray());
        Checkpoint.CheckpointContent o = Checkpoint.loadAll(old, net, m);
        assertEquals(new CheckpointState(2, 9, 0.5f), o.state());
        assertTrue(o.optimizer().isEmpty());

        // cutting into the optimizer section is reported as truncation
        Path cut = dir.resolve("cut.ckpt");
        Files.write(cut, Arrays.copyOf(v2, v2.length - 20));
        CheckpointException t = assertThrows(CheckpointException.class, () -> Checkpoint.loadAll(cut, net, m));
        assertTrue(t.getMessage().contains(cut.toString()) && t.getMessage().contains("truncated"), t.getMessage());
    }

    /** Recomputes a checkpoint's trailing CRC-32 after an edit. */
    private static byte[] resealed(byte[] b) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, 0, b.length - 8);
        java.nio.ByteBuffer.wrap(b).putLong(b.length - 8, crc.getValue());
        return b;
    }

    @Test
    void nonFiniteParametersAndStatesAreRefusedAndTheBlockKeepsItsOwn() throws IOException {
        Path file = dir.resolve("n.ckpt");
        Checkpoint.save(file, net, new CheckpointState(2, 20, 0.5f));
        byte[] good = Files.readAllBytes(file);
        int payloadLength = (int) java.nio.ByteBuffer.wrap(good).getLong(24);
        java.util.List<org.laudnet.models.io.ParameterStreamCheck.Entry> entries =
                org.laudnet.models.io.ParameterStreamCheck.layout(net, good, 32, payloadLength);
        org.laudnet.models.io.ParameterStreamCheck.Entry e = entries.get(1);
        byte[] nan = good.clone();
        java.nio.ByteBuffer.wrap(nan).order(java.nio.ByteOrder.nativeOrder())
                .putFloat(32 + (int) e.dataOffset(), Float.NaN);
        Path nanFile = dir.resolve("nan.ckpt");
        Files.write(nanFile, resealed(nan));
        float[] own = firstWeight(net);
        CheckpointException x = assertThrows(CheckpointException.class, () -> Checkpoint.load(nanFile, net, m));
        assertTrue(x.getMessage().contains(nanFile.toString()) && x.getMessage().contains("parameter '"
                + e.parameter() + "' is not finite") && x.getMessage().contains("value 0 of shape " + e.shape()
                + " is NaN"), x.getMessage());
        assertArrayEquals(own, firstWeight(net));

        byte[] temperature = good.clone();
        java.nio.ByteBuffer.wrap(temperature).putFloat(20, Float.NaN);
        Path tFile = dir.resolve("temperature.ckpt");
        Files.write(tFile, resealed(temperature));
        CheckpointException t = assertThrows(CheckpointException.class, () -> Checkpoint.read(tFile));
        assertTrue(t.getMessage().contains("the Gumbel temperature must be finite and positive, got NaN"),
                t.getMessage());

        // a rank field that would make DJL allocate a long[2^31 - 1] is refused before DJL reads anything
        byte[] rank = good.clone();
        int rankAt = 32 + (int) e.dataOffset() - 4 - 1 - (4 + 8 * e.shape().dimension() + 4
                + 2 * e.shape().dimension());
        java.nio.ByteBuffer.wrap(rank).putInt(rankAt, Integer.MAX_VALUE);
        Path rankFile = dir.resolve("rank.ckpt");
        Files.write(rankFile, resealed(rank));
        CheckpointException r = assertThrows(CheckpointException.class, () -> Checkpoint.load(rankFile, net, m));
        assertTrue(r.getMessage().contains("parameters do not fit the block: parameter '" + e.parameter() + "'"),
                r.getMessage());

        Path directory = Files.createDirectories(dir.resolve("dir.ckpt"));
        CheckpointException d = assertThrows(CheckpointException.class, () -> Checkpoint.load(directory, net, m));
        assertTrue(d.getMessage().contains(directory + ": is a directory"), d.getMessage());
    }
}
