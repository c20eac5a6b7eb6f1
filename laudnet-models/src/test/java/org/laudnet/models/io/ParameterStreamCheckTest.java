package org.laudnet.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.models.resnet.LaudResNet;

class ParameterStreamCheckTest {

    private NDManager m;
    private GatedBackbone net;
    private byte[] stream;

    @BeforeEach
    void open() throws IOException {
        m = NDManager.newBaseManager();
        net = LaudResNet.builder()
                .setStages(BlockType.BASIC, List.of(new StageSpec(1, 8, 8, 1, GateSpec.spatial(2))))
                .optStem(StemSpec.small(3, 8)).optInputSize(8).optNumClasses(3).build();
        net.initialize(m, DataType.FLOAT32, new Shape(2, 3, 8, 8));
        LaudModelFileTest.randomize(net, 3);
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bos)) {
            net.saveParameters(out);
        }
        stream = bos.toByteArray();
    }

    @AfterEach
    void close() {
        m.close();
    }

    @Test
    void aBlocksOwnStreamPassesAndItsRecordsAreLocated() {
        assertEquals(java.util.Optional.empty(), ParameterStreamCheck.verify(net, stream, 0, stream.length));
        List<ParameterStreamCheck.Entry> entries = ParameterStreamCheck.layout(net, stream, 0, stream.length);
        assertEquals(net.getParameters().size(), entries.size());
        ParameterStreamCheck.Entry head = entries.get(entries.size() - 1);
        assertEquals(net.getParameters().get(entries.size() - 1).getKey(), head.parameter());
        float[] values = new float[(int) head.dataBytes() / 4];
        ByteBuffer.wrap(stream, (int) head.dataOffset(), (int) head.dataBytes()).order(ByteOrder.nativeOrder())
                .asFloatBuffer().get(values);
        assertArrayEquals(net.getParameters().get(entries.size() - 1).getValue().getArray().toFloatArray(), values);
        assertArrayEquals(new Shape[] {new Shape(2, 3, 8, 8)},
                ParameterStreamCheck.recordedInputShapes(stream, 0, stream.length));
    }

    @Test
    void nonFiniteValuesAreFoundNamingTheParameterAndValue() {
        ParameterStreamCheck.Entry e = ParameterStreamCheck.layout(net, stream, 0, stream.length).get(2);
        byte[] b = stream.clone();
        ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).putFloat((int) e.dataOffset() + 4, Float.NaN);
        ParameterStreamCheck.Problem p = ParameterStreamCheck.verify(net, b, 0, b.length).orElseThrow();
        assertEquals(ParameterStreamCheck.ProblemKind.NON_FINITE, p.kind());
        assertEquals(e.parameter(), p.parameter());
        assertEquals(e.dataOffset() + 4, p.offset());
        assertTrue(p.describe().contains("value 1 of shape " + e.shape() + " is NaN"), p.describe());
    }

    @Test
    void structuralDifferencesAreFoundBeforeAnythingIsDecoded() {
        List<ParameterStreamCheck.Entry> entries = ParameterStreamCheck.layout(net, stream, 0, stream.length);
        ParameterStreamCheck.Entry e = entries.get(3);
        // a rank field that would make DJL allocate a long[Integer.MAX_VALUE]
        byte[] rank = stream.clone();
        int rankAt = (int) e.dataOffset() - 4 - 1 - (4 + 8 * e.shape().dimension() + 4 + 2 * e.shape().dimension());
        assertEquals(e.shape().dimension(), ByteBuffer.wrap(rank).getInt(rankAt));
        ByteBuffer.wrap(rank).putInt(rankAt, Integer.MAX_VALUE);
        ParameterStreamCheck.Problem p = ParameterStreamCheck.verify(net, rank, 0, rank.length).orElseThrow();
        assertEquals(ParameterStreamCheck.ProblemKind.STRUCTURE, p.kind());
        assertEquals(e.parameter(), p.parameter());
        assertEquals(rankAt, p.offset());
        assertTrue(p.detail().contains("byte 0x7f where the network's own stream has 0x00"), p.detail());

        // a parameter marked absent ('N'), which DJL would skip, leaving the block's own values in place
        byte[] absent = stream.clone();
        absent[(int) e.headerOffset() + 1] = 'N';
        assertEquals(e.parameter(), ParameterStreamCheck.verify(net, absent, 0, absent.length).orElseThrow()
                .parameter());

        byte[] truncated = Arrays.copyOf(stream, stream.length - 10);
        ParameterStreamCheck.Problem t = ParameterStreamCheck.verify(net, truncated, 0, truncated.length)
                .orElseThrow();
        assertTrue(t.detail().contains("the stream ends after"), t.detail());

        byte[] longer = Arrays.copyOf(stream, stream.length + 3);
        assertTrue(ParameterStreamCheck.verify(net, longer, 0, longer.length).orElseThrow().detail()
                .startsWith("3 bytes follow the end of the network's parameters"));
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class,
                () -> ParameterStreamCheck.layout(net, truncated, 0, truncated.length));
        assertTrue(x.getMessage().startsWith("the stream does not match the block"), x.getMessage());
    }

    @Test
    void recordedInputShapesAreBoundedBeforeAllocation() {
        byte[] b = stream.clone();
        ByteBuffer.wrap(b).putInt(1, Integer.MAX_VALUE);
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> ParameterStreamCheck.recordedInputShapes(b, 0, b.length));
        assertTrue(count.getMessage().contains("count must be in [0, 16], got 2147483647"), count.getMessage());
        byte[] r = stream.clone();
        ByteBuffer.wrap(r).putInt(5, 1 << 30);
        IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                () -> ParameterStreamCheck.recordedInputShapes(r, 0, r.length));
        assertTrue(rank.getMessage().contains("must be in [0, 8], got 1073741824"), rank.getMessage());
        IllegalArgumentException shortStream = assertThrows(IllegalArgumentException.class,
                () -> ParameterStreamCheck.recordedInputShapes(stream, 0, 20));
        assertTrue(shortStream.getMessage().contains("the stream ends at byte 20"), shortStream.getMessage());
    }
}
