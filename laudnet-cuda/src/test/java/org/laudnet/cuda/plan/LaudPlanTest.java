package org.laudnet.cuda.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LaudPlanTest {

    static LaudPlan small(long seed, StageGate... gates) {
        return SeededPlans.bottleneckResNet(seed, 3, 32, 16, 3, 1, false, new int[] {1, 2, 1},
                new int[] {8, 16, 16}, 4, 10, gates);
    }

    static LaudPlan mixed(long seed) {
        return small(seed, StageGate.spatial(4), StageGate.both(4, 4), StageGate.layer());
    }

    @Test
    void roundTripPreservesEveryField(@TempDir Path dir) throws IOException {
        LaudPlan plan = small(3, StageGate.both(4, 4), StageGate.channel(4), StageGate.layer());
        Path f = dir.resolve("net.laudplan");
        plan.write(f);
        LaudPlan back = LaudPlan.read(f);
        assertEquals(plan.inputChannels(), back.inputChannels());
        assertEquals(plan.inputSize(), back.inputSize());
        assertEquals(plan.maxPool(), back.maxPool());
        assertConv(plan.stem(), back.stem());
        assertConv(plan.head(), back.head());
        assertEquals(plan.blocks().size(), back.blocks().size());
        for (int i = 0; i < plan.blocks().size(); i++) {
            PlanBlock a = plan.blocks().get(i);
            PlanBlock b = back.blocks().get(i);
            assertEquals(a.bottleneck(), b.bottleneck());
            assertEquals(a.inSize(), b.inSize());
            assertEquals(a.stride(), b.stride());
            assertConv(a.conv1(), b.conv1());
            assertConv(a.conv2(), b.conv2());
            assertConv(a.conv3(), b.conv3());
            if (a.downsample() == null) {
                assertNull(b.downsample());
            } else {
                assertConv(a.downsample(), b.downsample());
            }
            assertEquals(a.gate().mode(), b.gate().mode());
            assertEquals(a.gate().granularity(), b.gate().granularity());
            assertEquals(a.gate().maskSize(), b.gate().maskSize());
            if (a.gate().spatialMasker() != null) {
                assertConv(a.gate().spatialMasker(), b.gate().spatialMasker());
            }
            if (a.gate().channelMasker() != null) {
                assertEquals(a.gate().channelMasker().kind(), b.gate().channelMasker().kind());
                assertEquals(a.gate().channelMasker().groups(), b.gate().channelMasker().groups());
                assertConv(a.gate().channelMasker().first(), b.gate().channelMasker().first());
                assertConv(a.gate().channelMasker().second(), b.gate().channelMasker().second());
            }
        }
        // Byte-identical when written again.
        ByteArrayOutputStream one = new ByteArrayOutputStream();
        ByteArrayOutputStream two = new ByteArrayOutputStream();
        plan.write(one);
        back.write(two);
        assertArrayEquals(one.toByteArray(), two.toByteArray());
        assertEquals(Files.size(f), one.size());
    }

    @Test
    void headerIsMagicThenLittleEndianVersion() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        mixed(1).write(out);
        byte[] b = out.toByteArray();
        assertEquals("LAUDPLAN", new String(b, 0, 8, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(LaudPlan.VERSION, b[8]);
        assertEquals(0, b[9] | b[10] | b[11]);
    }

    @Test
    void rejectsForeignTruncatedAndNewerFiles() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        mixed(1).write(out);
        byte[] good = out.toByteArray();
        byte[] foreign = good.clone();
        foreign[0] = 'X';
        PlanFormatException e1 = assertThrows(PlanFormatException.class,
                () -> LaudPlan.read(new ByteArrayInputStream(foreign), "foreign"));
        assertTrue(e1.getMessage().contains("not a LAUDNet plan"), e1.getMessage());
        byte[] newer = good.clone();
        newer[8] = 9;
        PlanFormatException e2 = assertThrows(PlanFormatException.class,
                () -> LaudPlan.read(new ByteArrayInputStream(newer), "newer"));
        assertTrue(e2.getMessage().contains("version 9"), e2.getMessage());
        byte[] cut = Arrays.copyOf(good, good.length / 2);
        PlanFormatException e3 = assertThrows(PlanFormatException.class,
                () -> LaudPlan.read(new ByteArrayInputStream(cut), "cut"));
        assertTrue(e3.getMessage().contains("truncated"), e3.getMessage());
    }

    @Test
    void seededWeightsDoNotDependOnGates() {
        LaudPlan a = small(5, StageGate.dense(), StageGate.dense(), StageGate.dense());
        LaudPlan b = small(5, StageGate.spatial(2), StageGate.channel(4), StageGate.layer());
        for (int i = 0; i < a.blocks().size(); i++) {
            assertArrayEquals(a.blocks().get(i).conv2().weight(), b.blocks().get(i).conv2().weight());
        }
        assertArrayEquals(a.head().weight(), b.head().weight());
        assertEquals(PlanMode.LAYER, b.blocks().get(3).gate().mode());
        assertEquals(PlanMode.DENSE, b.staticVersion().blocks().get(3).gate().mode());
    }

    @Test
    void resnet50HasTheStandardShape() {
        LaudPlan p = SeededPlans.resnet50(1, 224, 1000, StageGate.spatial(4), StageGate.spatial(4),
                StageGate.spatial(2), StageGate.spatial(1));
        assertEquals(16, p.blocks().size());
        assertEquals(56, p.stemOutSize());
        assertEquals(2048, p.blocks().get(15).outChannels());
        assertEquals(7, p.blocks().get(15).outSize());
        assertEquals(14, p.blocks().get(0).gate().maskSize());
        // 4.1 GMACs for ResNet-50 at 224 (convolutions and fc).
        assertEquals(4.09e9, p.denseMacs(), 0.03e9);
    }

    @Test
    void invalidGeometryIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> small(1, StageGate.spatial(3), StageGate.dense(), StageGate.dense()));
        assertTrue(e.getMessage().contains("granularity 3"), e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> new PlanConv(4, 3, 3, 1, 1, 1, new float[5], new float[4]));
        assertTrue(e2.getMessage().contains("weight must have"), e2.getMessage());
    }

    private static void assertConv(PlanConv a, PlanConv b) {
        if (a == null) {
            assertNull(b);
            return;
        }
        assertEquals(a.outChannels(), b.outChannels());
        assertEquals(a.inChannels(), b.inChannels());
        assertEquals(a.kernel(), b.kernel());
        assertEquals(a.stride(), b.stride());
        assertEquals(a.padding(), b.padding());
        assertEquals(a.groups(), b.groups());
        assertArrayEquals(a.weight(), b.weight());
        assertArrayEquals(a.bias(), b.bias());
    }
}
