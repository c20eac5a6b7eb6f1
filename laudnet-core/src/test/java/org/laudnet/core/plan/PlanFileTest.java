package org.laudnet.core.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.gate.ChannelMaskerKind;

class PlanFileTest {

    private static final String ARCH = "resnet";
    private static final String SOURCE = "test-stream";

    @TempDir
    Path dir;

    // ------------------------------------------------------------------------------------------------ plan building

    /** Builds convolutions with seeded random weights. */
    private static final class Convs {
        private final Random random;

        Convs(long seed) {
            random = new Random(seed);
        }

        FoldedConv conv(int o, int i, int k, int stride, int padding, int groups) {
            float[] w = new float[o * (i / groups) * k * k];
            float[] b = new float[o];
            for (int j = 0; j < w.length; j++) {
                w[j] = (float) random.nextGaussian();
            }
            for (int j = 0; j < b.length; j++) {
                b[j] = (float) random.nextGaussian();
            }
            return new FoldedConv(o, i, k, stride, padding, groups, w, b);
        }

        FoldedConv linear(int o, int i) {
            return conv(o, i, 1, 1, 0, 1);
        }
    }

    /**
     * A plan with every optional part: stem 3 -> 8 on 16x16 with a max pool (-> 8x8), then
     * <ol>
     *   <li>a grouped bottleneck 8 -> 16 (w 4, 2 groups, stride 2 on conv2) with downsample, squeeze-excitation and a
     *       BOTH gate (spatial masker m = 2, MLP_2 channel masker G = 2);
     *   <li>a basic block 16 -> 16 with a LAYER gate of 2 mask groups;
     *   <li>a v1 bottleneck 16 -> 8 (w 4, stride 2 on conv1) with downsample and a CONV_LINEAR channel gate G = 2;
     *   <li>a static basic block 8 -> 8;
     *   <li>a basic block with an MLP_1 channel gate G = 4;
     *   <li>a basic block with a SPATIAL gate (S = 1, m = 2);
     * </ol>
     * and a 10-class head.
     */
    static InferencePlan fullPlan(String architecture) {
        Convs c = new Convs(20240607L);
        List<BlockPlan> blocks = new ArrayList<>();

        BlockGeometry g0 = new BlockGeometry(BlockType.BOTTLENECK, 8, 4, 16, 8, 8, 2, 2, StridePlacement.CONV2);
        blocks.add(new BlockPlan(g0, new GateSpec(GateMode.BOTH, 2, 1, 2, ChannelMaskerKind.MLP_2),
                c.conv(4, 8, 1, 1, 0, 1), c.conv(4, 4, 3, 2, 1, 2), c.conv(16, 4, 1, 1, 0, 1),
                c.conv(16, 8, 1, 2, 0, 1),
                new SqueezeExcitationPlan(c.linear(2, 4), c.linear(4, 2)),
                new SpatialMasker(c.linear(2, 8), 2, 1),
                new ChannelMasker(ChannelMaskerKind.MLP_2, 2, c.linear(16, 8), c.linear(4, 16)),
                BlockCost.of(g0, 1234, 2L * 4 * 2), 0));

        BlockGeometry g1 = BlockGeometry.basic(16, 16, 4, 1);
        blocks.add(new BlockPlan(g1, GateSpec.layer().withSpatialGroups(2),
                c.conv(16, 16, 3, 1, 1, 1), c.conv(16, 16, 3, 1, 1, 1), null, null, null,
                new SpatialMasker(c.linear(4, 16), 1, 2), null, BlockCost.of(g1, 77), 0));

        BlockGeometry g2 = new BlockGeometry(BlockType.BOTTLENECK, 16, 4, 8, 4, 4, 2, 1, StridePlacement.CONV1);
        blocks.add(new BlockPlan(g2, new GateSpec(GateMode.CHANNEL, 1, 1, 2, ChannelMaskerKind.CONV_LINEAR),
                c.conv(4, 16, 1, 2, 0, 1), c.conv(4, 4, 3, 1, 1, 1), c.conv(8, 4, 1, 1, 0, 1),
                c.conv(8, 16, 1, 2, 0, 1), null, null,
                new ChannelMasker(ChannelMaskerKind.CONV_LINEAR, 2, c.linear(4, 16), c.linear(4, 4)),
                BlockCost.of(g2, 555), 1));

        BlockGeometry g3 = BlockGeometry.basic(8, 8, 2, 1);
        blocks.add(new BlockPlan(g3, GateSpec.none(), c.conv(8, 8, 3, 1, 1, 1), c.conv(8, 8, 3, 1, 1, 1), null,
                null, null, null, null, BlockCost.of(g3, 0), 1));

        blocks.add(new BlockPlan(g3, GateSpec.channel(4).withMaskerKind(ChannelMaskerKind.MLP_1),
                c.conv(8, 8, 3, 1, 1, 1), c.conv(8, 8, 3, 1, 1, 1), null, null, null, null,
                new ChannelMasker(ChannelMaskerKind.MLP_1, 4, c.linear(8, 8), null), BlockCost.of(g3, 64), 2));

        blocks.add(new BlockPlan(g3, GateSpec.spatial(1), c.conv(8, 8, 3, 1, 1, 1), c.conv(8, 8, 3, 1, 1, 1), null,
                null, null, new SpatialMasker(c.linear(2, 8), 2, 1), null, BlockCost.of(g3, 40), 3));

        return new InferencePlan(architecture, 3, 16, c.conv(8, 3, 3, 1, 1, 1), true, 1, blocks, c.linear(10, 8));
    }

    static InferencePlan fullPlan() {
        return fullPlan(ARCH);
    }

    private static byte[] bytes(InferencePlan plan) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PlanFile.write(plan, out);
        return out.toByteArray();
    }

    private static InferencePlan readBytes(byte[] b) throws IOException {
        return PlanFile.read(new ByteArrayInputStream(b), SOURCE);
    }

    private static int convBytes(FoldedConv c) {
        return 24 + 4 * (c.weight().length + c.bias().length);
    }

    /** Offset of the stem's header. */
    private static int stemOffset(InferencePlan p) {
        return 8 + 4 + 4 + p.architecture().getBytes(StandardCharsets.UTF_8).length + 16;
    }

    /** Offset of the first block (after the block count). */
    private static int block0Offset(InferencePlan p) {
        return stemOffset(p) + convBytes(p.stem()) + 4;
    }

    private static byte[] patchInt(byte[] b, int offset, int value) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
        return c;
    }

    /** Recomputes the trailing CRC-32 so that a patched file passes the checksum. */
    private static byte[] withCrc(byte[] b) {
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 4);
        return patchInt(b, b.length - 4, (int) crc.getValue());
    }

    private static PlanFormatException readFails(byte[] b) {
        return assertThrows(PlanFormatException.class, () -> readBytes(b));
    }

    private static void assertMessage(PlanFormatException e, String... parts) {
        assertTrue(e.getMessage().startsWith(e.source() + ": "), e.getMessage());
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message lacks '" + part + "': " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------------------------------------------- equality

    private static void assertConvEquals(FoldedConv expected, FoldedConv actual, String what) {
        if (expected == null) {
            assertNull(actual, what);
            return;
        }
        assertEquals(expected.outChannels(), actual.outChannels(), what + " O");
        assertEquals(expected.inChannels(), actual.inChannels(), what + " I");
        assertEquals(expected.kernel(), actual.kernel(), what + " k");
        assertEquals(expected.stride(), actual.stride(), what + " stride");
        assertEquals(expected.padding(), actual.padding(), what + " padding");
        assertEquals(expected.groups(), actual.groups(), what + " groups");
        assertArrayEquals(expected.weight(), actual.weight(), what + " weight");
        assertArrayEquals(expected.bias(), actual.bias(), what + " bias");
        assertEquals(expected, actual, what);
    }

    /** Compares every field of two plans, then the records as a whole. */
    static void assertPlanEquals(InferencePlan e, InferencePlan a) {
        assertEquals(e.architecture(), a.architecture());
        assertEquals(e.inputChannels(), a.inputChannels());
        assertEquals(e.inputSize(), a.inputSize());
        assertEquals(e.maxPool(), a.maxPool());
        assertEquals(e.maxPoolPadding(), a.maxPoolPadding());
        assertConvEquals(e.stem(), a.stem(), "stem");
        assertConvEquals(e.head(), a.head(), "head");
        assertEquals(e.blocks().size(), a.blocks().size(), "block count");
        for (int i = 0; i < e.blocks().size(); i++) {
            BlockPlan eb = e.blocks().get(i);
            BlockPlan ab = a.blocks().get(i);
            String at = "block " + i + " ";
            assertEquals(eb.geometry(), ab.geometry(), at + "geometry");
            assertEquals(eb.gate(), ab.gate(), at + "gate");
            assertConvEquals(eb.conv1(), ab.conv1(), at + "conv1");
            assertConvEquals(eb.conv2(), ab.conv2(), at + "conv2");
            assertConvEquals(eb.conv3(), ab.conv3(), at + "conv3");
            assertConvEquals(eb.downsample(), ab.downsample(), at + "downsample");
            if (eb.squeezeExcitation() == null) {
                assertNull(ab.squeezeExcitation(), at + "squeeze-excitation");
            } else {
                assertConvEquals(eb.squeezeExcitation().fc1(), ab.squeezeExcitation().fc1(), at + "se fc1");
                assertConvEquals(eb.squeezeExcitation().fc2(), ab.squeezeExcitation().fc2(), at + "se fc2");
            }
            if (eb.spatialMasker() == null) {
                assertNull(ab.spatialMasker(), at + "spatial masker");
            } else {
                assertConvEquals(eb.spatialMasker().conv(), ab.spatialMasker().conv(), at + "spatial masker conv");
                assertEquals(eb.spatialMasker().maskSize(), ab.spatialMasker().maskSize(), at + "mask size");
                assertEquals(eb.spatialMasker().groups(), ab.spatialMasker().groups(), at + "mask groups");
            }
            if (eb.channelMasker() == null) {
                assertNull(ab.channelMasker(), at + "channel masker");
            } else {
                assertEquals(eb.channelMasker().kind(), ab.channelMasker().kind(), at + "masker kind");
                assertEquals(eb.channelMasker().groups(), ab.channelMasker().groups(), at + "channel groups");
                assertConvEquals(eb.channelMasker().first(), ab.channelMasker().first(), at + "masker first");
                assertConvEquals(eb.channelMasker().second(), ab.channelMasker().second(), at + "masker second");
            }
            assertEquals(eb.cost(), ab.cost(), at + "cost");
            assertEquals(eb.stage(), ab.stage(), at + "stage");
            assertEquals(eb, ab, at);
        }
        assertEquals(e, a);
    }

    // ---------------------------------------------------------------------------------------------------- round trip

    @Test
    void roundTripThroughStreamPreservesEveryField() throws IOException {
        InferencePlan plan = fullPlan();
        byte[] b = bytes(plan);
        InferencePlan read = readBytes(b);
        assertPlanEquals(plan, read);
        // the plan exercises every mode and masker kind
        assertEquals(List.of(GateMode.BOTH, GateMode.LAYER, GateMode.CHANNEL, GateMode.NONE, GateMode.CHANNEL,
                GateMode.SPATIAL), read.blocks().stream().map(BlockPlan::mode).collect(Collectors.toList()));
        assertEquals(plan.staticMacs(), read.staticMacs());
        // the format is deterministic: writing the read plan gives the same bytes
        assertArrayEquals(b, bytes(read));
    }

    @Test
    void roundTripThroughFile() throws IOException {
        InferencePlan plan = fullPlan();
        Path file = dir.resolve("model.plan");
        PlanFile.write(plan, file);
        assertPlanEquals(plan, PlanFile.read(file));
        assertArrayEquals(bytes(plan), Files.readAllBytes(file));
    }

    @Test
    void roundTripOfPlanWithoutBlocksAndWithUnicodeArchitecture() throws IOException {
        Convs c = new Convs(7);
        InferencePlan plan = new InferencePlan("régnet-ÿ \u2603", 1, 5, c.conv(3, 1, 3, 2, 0, 1), false, 0,
                List.of(), c.linear(2, 3));
        InferencePlan read = readBytes(bytes(plan));
        assertPlanEquals(plan, read);
        assertTrue(read.blocks().isEmpty());
    }

    @Test
    void roundTripPreservesSpecialFloatBits() throws IOException {
        float[] w = {Float.NaN, Float.POSITIVE_INFINITY, -0f, Float.MIN_VALUE, -Float.MAX_VALUE, 1e-40f};
        float[] bias = {Float.intBitsToFloat(0x7fc00001), 0f, 3f};
        InferencePlan plan = new InferencePlan("x", 2, 4, new FoldedConv(3, 2, 1, 1, 0, 1, w.clone(), bias.clone()),
                false, 0, List.of(), FoldedConv.linear(1, 3, new float[3], new float[1]));
        InferencePlan read = readBytes(bytes(plan));
        for (int i = 0; i < w.length; i++) {
            assertEquals(Float.floatToRawIntBits(w[i]), Float.floatToRawIntBits(read.stem().weight()[i]), "w" + i);
        }
        assertEquals(0x7fc00001, Float.floatToRawIntBits(read.stem().bias()[0]));
    }

    @Test
    void referenceChannelPlacementIsWrittenAsVersion3AndReadBack() throws IOException {
        InferencePlan full = fullPlan();
        List<BlockPlan> blocks = new ArrayList<>(full.blocks());
        BlockPlan b = blocks.get(2);
        blocks.set(2, new BlockPlan(b.geometry(), b.gate().withChannelMaskPlacement(ChannelMaskPlacement.BEFORE_NORM),
                b.conv1(), b.conv2(), b.conv3(), b.downsample(), b.squeezeExcitation(), b.spatialMasker(),
                b.channelMasker(), b.cost(), b.stage()));
        InferencePlan plan = new InferencePlan(full.architecture(), full.inputChannels(), full.inputSize(),
                full.stem(), full.maxPool(), full.maxPoolPadding(), blocks, full.head());
        byte[] b3 = bytes(plan);
        assertEquals(3, ByteBuffer.wrap(b3).order(ByteOrder.LITTLE_ENDIAN).getInt(8));
        InferencePlan read = readBytes(b3);
        assertEquals(plan, read);
        assertEquals(ChannelMaskPlacement.BEFORE_NORM, read.blocks().get(2).gate().channelMaskPlacement());
        assertEquals(ChannelMaskPlacement.AFTER_ACTIVATION, read.blocks().get(4).gate().channelMaskPlacement());
        // the placement needs an ungrouped 3x3 convolution without squeeze-excitation (block 0 has both)
        BlockPlan b0 = full.blocks().get(0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BlockPlan(b0.geometry(),
                b0.gate().withChannelMaskPlacement(ChannelMaskPlacement.BEFORE_NORM), b0.conv1(), b0.conv2(),
                b0.conv3(), b0.downsample(), b0.squeezeExcitation(), b0.spatialMasker(), b0.channelMasker(),
                b0.cost(), b0.stage()));
        assertTrue(e.getMessage().contains("BEFORE_NORM"), e.getMessage());
    }

    @Test
    void layoutStartsWithMagicVersionAndArchitecture() throws IOException {
        byte[] b = bytes(fullPlan());
        assertEquals("LAUDPLAN", new String(b, 0, 8, StandardCharsets.US_ASCII));
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(PlanFile.PLACEMENT_FREE_VERSION, bb.getInt(8));
        assertEquals(2, PlanFile.PLACEMENT_FREE_VERSION);
        assertEquals(3, PlanFile.VERSION);
        assertEquals(ARCH.length(), bb.getInt(12));
        assertEquals(ARCH, new String(b, 16, ARCH.length(), StandardCharsets.UTF_8));
        assertEquals(6, bb.getInt(block0Offset(fullPlan()) - 4), "block count");
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 4);
        assertEquals((int) crc.getValue(), bb.getInt(b.length - 4), "trailing CRC-32");
    }

    // ---------------------------------------------------------------------------------------------------- damage

    @Test
    void truncationAtManyCutPointsFailsAsTruncated() throws IOException {
        byte[] b = bytes(fullPlan());
        for (int cut = 0; cut < b.length; cut = nextProbe(cut, b.length)) {
            byte[] prefix = Arrays.copyOf(b, cut);
            PlanFormatException e = readFails(prefix);
            assertEquals(SOURCE, e.source());
            assertMessage(e, "truncated");
        }
    }

    /**
     * The next byte position to probe: every position in the first 4 KiB (header, stem, block 0 with all its optional
     * parts) and the last 1 KiB (last block, head, end marker, checksum), every 7th in between (weight arrays).
     */
    private static int nextProbe(int position, int length) {
        return position < 4096 || position >= length - 1024 ? position + 1 : position + 7;
    }

    @Test
    void truncatedFilesFailAsTruncated() throws IOException {
        byte[] b = bytes(fullPlan());
        Path file = dir.resolve("cut.plan");
        for (int cut = 0; cut < b.length; cut += cut < 200 ? 1 : 97) {
            Files.write(file, Arrays.copyOf(b, cut));
            PlanFormatException e = assertThrows(PlanFormatException.class, () -> PlanFile.read(file), "cut " + cut);
            assertEquals(file.toString(), e.source());
            assertMessage(e, "truncated");
        }
        Files.write(file, Arrays.copyOf(b, b.length - 1));
        assertMessage(assertThrows(PlanFormatException.class, () -> PlanFile.read(file)), "truncated", "checksum");
    }

    @Test
    void flippedWeightByteFailsTheChecksum() throws IOException {
        InferencePlan plan = fullPlan();
        byte[] b = bytes(plan);
        int weightByte = stemOffset(plan) + 24 + 4 * 17 + 2;
        b[weightByte] ^= 0x10;
        assertMessage(readFails(b), SOURCE, "checksum", "corrupt", "CRC-32");
    }

    @Test
    void flippedHeaderValueFailsTheChecksumBeforeTheRecordsAreBuilt() throws IOException {
        InferencePlan plan = fullPlan();
        byte[] b = bytes(plan);
        // inputChannels 3 -> 4 would be an inconsistent plan, but the checksum is verified first
        assertMessage(readFails(patchInt(b, stemOffset(plan) - 16, 4)), "corrupt");
        // the checksum itself
        byte[] c = b.clone();
        c[c.length - 1] ^= 1;
        assertMessage(readFails(c), "corrupt");
    }

    @Test
    void singleByteFlipsAreRejectedAsFormatErrors() throws IOException {
        byte[] b = bytes(fullPlan());
        for (int i = 0; i < b.length; i = nextProbe(i, b.length)) {
            byte[] c = b.clone();
            c[i] ^= (byte) (1 << (i % 8));
            int at = i;
            assertThrows(PlanFormatException.class, () -> readBytes(c), () -> "flip at byte " + at);
        }
    }

    @Test
    void wrongMagicIsRejected() throws IOException {
        byte[] b = bytes(fullPlan());
        b[4] = 'X';
        assertMessage(readFails(b), SOURCE, "not a plan file", "magic");
        byte[] text = "hello, this is not a plan at all...".getBytes(StandardCharsets.US_ASCII);
        assertMessage(readFails(text), "not a plan file");
    }

    @Test
    void oldVersionOneIsRejectedAsTheOldFormat() throws IOException {
        byte[] b = patchInt(bytes(fullPlan()), 8, 1);
        PlanFormatException e = readFails(b);
        assertMessage(e, SOURCE, "version 1", "old", "re-export");
        // an old file is recognised from its first 12 bytes alone
        assertMessage(readFails(Arrays.copyOf(b, 12)), "old", "re-export");
    }

    @Test
    void unknownVersionIsRejected() throws IOException {
        PlanFormatException e = readFails(patchInt(bytes(fullPlan()), 8, 99));
        assertMessage(e, SOURCE, "unsupported", "version 99", "versions 2 and 3");
        assertMessage(readFails(patchInt(bytes(fullPlan()), 8, -5)), "unsupported", "version -5");
    }

    @Test
    void trailingBytesAreRejected() throws IOException {
        byte[] b = bytes(fullPlan());
        byte[] longer = Arrays.copyOf(b, b.length + 3);
        assertMessage(readFails(longer), SOURCE, "trailing", "byte " + b.length);
        Path file = dir.resolve("trailing.plan");
        Files.write(file, Arrays.copyOf(b, b.length + 1));
        assertMessage(assertThrows(PlanFormatException.class, () -> PlanFile.read(file)), file.toString(),
                "trailing");
        // a second plan appended is trailing garbage as well
        byte[] twice = Arrays.copyOf(b, 2 * b.length);
        System.arraycopy(b, 0, twice, b.length, b.length);
        assertMessage(readFails(twice), "trailing");
    }

    @Test
    void unknownEnumCodesAreRejected() throws IOException {
        InferencePlan plan = fullPlan();
        byte[] b = bytes(plan);
        int block = block0Offset(plan);
        assertMessage(readFails(patchInt(b, block, 7)), "block 0", "unknown block type code 7");
        assertMessage(readFails(patchInt(b, block + 32, -1)), "unknown stride placement code -1");
        assertMessage(readFails(patchInt(b, block + 36, 5)), "unknown gate mode code 5");
        assertMessage(readFails(patchInt(b, block + 52, 3)), "unknown channel masker kind code 3");
    }

    @Test
    void enumerationCodesAreTheDocumentedOnesInBothDirections() {
        assertCodes(PlanFile.BLOCK_TYPE, BlockType.BOTTLENECK, BlockType.BASIC);
        assertCodes(PlanFile.STRIDE_PLACEMENT, StridePlacement.CONV2, StridePlacement.CONV1);
        assertCodes(PlanFile.GATE_MODE, GateMode.NONE, GateMode.SPATIAL, GateMode.CHANNEL, GateMode.BOTH,
                GateMode.LAYER);
        assertCodes(PlanFile.MASKER_KIND, ChannelMaskerKind.MLP_1, ChannelMaskerKind.MLP_2,
                ChannelMaskerKind.CONV_LINEAR);
        // a table must list every constant exactly once
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new PlanFile.Codes<>("gate mode", GateMode.class, GateMode.NONE, GateMode.SPATIAL));
        assertTrue(e.getMessage().contains("lacks CHANNEL"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> new PlanFile.Codes<>("block type", BlockType.class,
                BlockType.BASIC, BlockType.BOTTLENECK, BlockType.BASIC));
        assertTrue(e.getMessage().contains("BASIC twice"), e.getMessage());
    }

    @SafeVarargs
    private static <E extends Enum<E>> void assertCodes(PlanFile.Codes<E> codes, E... byCode) {
        for (int c = 0; c < byCode.length; c++) {
            assertEquals(c, codes.code(byCode[c]), byCode[c].toString());
            assertEquals(byCode[c], codes.valueOf(c));
        }
        assertNull(codes.valueOf(byCode.length));
        assertNull(codes.valueOf(-1));
    }

    @Test
    void badPresenceFlagsAreRejected() throws IOException {
        InferencePlan plan = fullPlan();
        BlockPlan b0 = plan.blocks().get(0);
        byte[] b = bytes(plan);
        int conv3Flag = block0Offset(plan) + 56 + convBytes(b0.conv1()) + convBytes(b0.conv2());
        assertEquals(1, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(conv3Flag));
        assertMessage(readFails(patchInt(b, conv3Flag, 2)), "block 0 conv3", "presence flag must be 0 or 1, got 2");
        int maxPoolFlag = stemOffset(plan) - 8;
        assertMessage(readFails(patchInt(b, maxPoolFlag, 256)), "max pool flag must be 0 or 1, got 256");
    }

    @Test
    void absurdArrayLengthsAreRejectedBeforeAllocating() throws IOException {
        InferencePlan plan = fullPlan();
        byte[] b = bytes(plan);
        int stem = stemOffset(plan);
        // 2^20 x 2^20 x 3 x 3 weights: beyond any array
        byte[] huge = patchInt(patchInt(patchInt(b, stem, 1 << 20), stem + 4, 1 << 20), stem + 8, 3);
        long before = allocatedBytes();
        assertMessage(readFails(huge), "stem", "9895604649984 weights", "limit of 268435456");
        // 4096 x 4096 x 3 x 3 = 151M floats (604 MB): under the per-array limit, more than the file holds
        byte[] big = patchInt(patchInt(patchInt(b, stem, 4096), stem + 4, 4096), stem + 8, 3);
        Path file = dir.resolve("big.plan");
        Files.write(file, big);
        assertMessage(assertThrows(PlanFormatException.class, () -> PlanFile.read(file)), file.toString(),
                "150994944 weights", "truncated or corrupt", "bytes remain");
        // a stream of a few kilobytes declaring exactly 2^28 floats (1 GiB) fails once its data ends
        byte[] limit = patchInt(patchInt(patchInt(b, stem, 4096), stem + 4, 4096), stem + 8, 4);
        assertMessage(readFails(limit), "truncated");
        long allocated = allocatedBytes() - before;
        if (before >= 0) {
            assertTrue(allocated < 64L << 20, "reading absurd declarations allocated " + allocated + " bytes");
        }
        // negative and absurd counts
        assertMessage(readFails(patchInt(b, stem, -1)), "output channels must be in [1, 1048576], got -1");
        assertMessage(readFails(patchInt(b, stem + 20, 0)), "groups must be positive");
        assertMessage(readFails(patchInt(b, 12, Integer.MAX_VALUE)), "architecture length", "2147483647");
        assertMessage(readFails(patchInt(b, block0Offset(plan) - 4, -1)), "block count must be in [0, 4096], got -1");
        assertMessage(readFails(patchInt(b, block0Offset(plan) - 4, 1 << 30)), "got 1073741824");
        Files.write(file, patchInt(b, block0Offset(plan) - 4, 4000));
        assertMessage(assertThrows(PlanFormatException.class, () -> PlanFile.read(file)), "4000 blocks",
                "truncated or corrupt");
    }

    /** Bytes the current thread has allocated so far, or -1 where the JVM does not tell. */
    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled()) {
            return t.getThreadAllocatedBytes(Thread.currentThread().getId());
        }
        return -1;
    }

    @Test
    void invalidUtf8ArchitectureIsRejected() throws IOException {
        byte[] b = bytes(fullPlan());
        b[16] = (byte) 0xC3; // a lead byte followed by 'e' is malformed
        assertMessage(readFails(b), "architecture is not valid UTF-8");
    }

    @Test
    void inconsistentRecordsAreWrappedNamingTheSource() throws IOException {
        InferencePlan plan = fullPlan();
        byte[] b = bytes(plan);
        // a well-formed file (checksum recomputed) whose stem does not read inputChannels
        PlanFormatException e = readFails(withCrc(patchInt(b, stemOffset(plan) - 16, 4)));
        assertMessage(e, SOURCE, "inconsistent plan", "inputChannels");
        assertTrue(e.getCause() instanceof IllegalArgumentException);
        // block 0's width no longer matches conv1
        e = readFails(withCrc(patchInt(b, block0Offset(plan) + 8, 8)));
        assertMessage(e, SOURCE, "inconsistent plan", "block 0");
        // a negative masker cost
        int cost = bytesUntilCost(plan);
        e = readFails(withCrc(patchInt(patchInt(b, cost, -1), cost + 4, -1)));
        assertMessage(e, "block 0", "non-negative");
        // the end marker
        assertMessage(readFails(withCrc(patchInt(b, b.length - 8, 0))), "bad end marker 0x0");
    }

    /** Offset of block 0's maskerMacs. */
    private static int bytesUntilCost(InferencePlan plan) {
        BlockPlan b0 = plan.blocks().get(0);
        return block0Offset(plan) + 56 + convBytes(b0.conv1()) + convBytes(b0.conv2()) + 4 + convBytes(b0.conv3())
                + 4 + convBytes(b0.downsample()) + 4 + convBytes(b0.squeezeExcitation().fc1())
                + convBytes(b0.squeezeExcitation().fc2()) + 4 + convBytes(b0.spatialMasker().conv()) + 8 + 4 + 8
                + convBytes(b0.channelMasker().first()) + 4 + convBytes(b0.channelMasker().second());
    }

    @Test
    void costOffsetHelperPointsAtMaskerMacs() throws IOException {
        InferencePlan plan = fullPlan();
        ByteBuffer bb = ByteBuffer.wrap(bytes(plan)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1234L, bb.getLong(bytesUntilCost(plan)));
        assertEquals(16L, bb.getLong(bytesUntilCost(plan) + 8));
    }

    /** Offsets of the convolution headers of block 0 of {@link #fullPlan()}, in file order. */
    private static Map<String, Integer> block0ConvOffsets(InferencePlan plan) {
        BlockPlan b0 = plan.blocks().get(0);
        Map<String, Integer> at = new LinkedHashMap<>();
        int o = block0Offset(plan) + 56;
        at.put("conv1", o);
        o += convBytes(b0.conv1());
        at.put("conv2", o);
        o += convBytes(b0.conv2()) + 4;
        at.put("conv3", o);
        o += convBytes(b0.conv3()) + 4;
        at.put("downsample", o);
        o += convBytes(b0.downsample()) + 4;
        at.put("fc1", o);
        o += convBytes(b0.squeezeExcitation().fc1());
        at.put("fc2", o);
        o += convBytes(b0.squeezeExcitation().fc2()) + 4;
        at.put("spatial", o);
        o += convBytes(b0.spatialMasker().conv()) + 8 + 4 + 8;
        at.put("first", o);
        o += convBytes(b0.channelMasker().first()) + 4;
        at.put("second", o);
        assertEquals(bytesUntilCost(plan), o + convBytes(b0.channelMasker().second()));
        return at;
    }

    @Test
    void layersWithTheWrongStrideOrPaddingAreRejectedAtReadTime() throws IOException {
        InferencePlan plan = fullPlan();
        byte[] b = bytes(plan);
        Map<String, Integer> at = block0ConvOffsets(plan);
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        // the headers are where the helper says: O, I, k, stride, padding, groups of each layer as written
        BlockPlan b0 = plan.blocks().get(0);
        assertEquals(b0.conv2().padding(), bb.getInt(at.get("conv2") + 16));
        assertEquals(b0.spatialMasker().conv().stride(), bb.getInt(at.get("spatial") + 12));
        assertEquals(b0.channelMasker().second().outChannels(), bb.getInt(at.get("second")));
        // stride is the 4th header field, padding the 5th; neither changes the size of the weights
        Object[][] cases = {
            {"conv1", 16, 1, "conv1 must be a 1x1 convolution with stride 1, padding 0"},
            {"conv1", 12, 2, "conv1 must be a 1x1 convolution with stride 1, padding 0"},
            {"conv2", 16, 0, "conv2 must be a 3x3 convolution with stride 2, padding 1 and 2 groups"},
            {"conv3", 12, 2, "conv3 must be a 1x1 convolution with stride 1, padding 0"},
            {"downsample", 16, 1, "downsample must be a 1x1 convolution with stride 2, padding 0"},
            {"fc1", 16, 1, "squeeze-excitation fc1 must be a 1x1 convolution"},
            {"fc2", 12, 3, "squeeze-excitation fc2 must be a 1x1 convolution"},
            {"spatial", 12, 2, "the spatial masker must be a 1x1 convolution with stride 1, padding 0"},
            {"spatial", 16, 1, "the spatial masker must be a 1x1 convolution with stride 1, padding 0"},
            {"first", 16, 1, "the channel masker's first layer must be a 1x1 convolution"},
            {"second", 12, 2, "the channel masker's second layer must be a 1x1 convolution"},
        };
        for (Object[] c : cases) {
            byte[] bad = withCrc(patchInt(b, at.get((String) c[0]) + (int) c[1], (int) c[2]));
            PlanFormatException e = readFails(bad);
            assertMessage(e, SOURCE, "inconsistent plan", "block 0", (String) c[3],
                    ((int) c[1] == 12 ? "/" : "pad ") + c[2]);
            assertTrue(e.getCause() instanceof IllegalArgumentException, e.getMessage());
        }
        // the head: a linear layer, so padding 1 (which would turn (B, C, 1, 1) into a 3x3 map) is rejected
        int head = b.length - 8 - convBytes(plan.head());
        assertEquals(plan.head().outChannels(), bb.getInt(head));
        PlanFormatException e = readFails(withCrc(patchInt(b, head + 16, 1)));
        assertMessage(e, SOURCE, "inconsistent plan", "head (a linear layer) must be a 1x1 convolution with stride 1,"
                + " padding 0 and 1 group, got FoldedConv[10 <- 8, 1x1/1, pad 1, groups 1]");
        assertMessage(readFails(withCrc(patchInt(b, head + 12, 2))), "head", "1x1/2");
        // the unpatched file still reads
        assertPlanEquals(plan, readBytes(b));
    }

    // ---------------------------------------------------------------------------------------------------- writing

    @Test
    void writerRejectsWhatTheFormatCannotRepresent() {
        InferencePlan plan = fullPlan();
        BlockPlan b0 = plan.blocks().get(0);
        BlockCost bad = new BlockCost(BlockType.BOTTLENECK, 1, 2, 3, 4, b0.cost().maskerMacs(), b0.cost().seMacs());
        List<BlockPlan> blocks = new ArrayList<>(plan.blocks());
        blocks.set(0, new BlockPlan(b0.geometry(), b0.gate(), b0.conv1(), b0.conv2(), b0.conv3(), b0.downsample(),
                b0.squeezeExcitation(), b0.spatialMasker(), b0.channelMasker(), bad, b0.stage()));
        InferencePlan badCost = new InferencePlan(ARCH, 3, 16, plan.stem(), true, 1, blocks, plan.head());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PlanFile.write(badCost, out));
        assertTrue(e.getMessage().contains("block 0 cost"), e.getMessage());
        assertEquals(0, out.size(), "nothing is written for an invalid plan");

        String longName = "é".repeat(129); // 258 UTF-8 bytes
        e = assertThrows(IllegalArgumentException.class, () -> PlanFile.write(fullPlan(longName), out));
        assertTrue(e.getMessage().contains("258"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PlanFile.write(null, out));
    }

    @Test
    void architectureOfExactlyTheLimitRoundTrips() throws IOException {
        String name = "a".repeat(PlanFile.MAX_ARCHITECTURE_BYTES);
        assertEquals(name, readBytes(bytes(fullPlan(name))).architecture());
    }

    @Test
    void atomicWriteReplacesAnExistingFileAndLeavesNoTemporaryFile() throws IOException {
        Path file = dir.resolve("model.plan");
        Files.write(file, "an older, unrelated content".getBytes(StandardCharsets.US_ASCII));
        InferencePlan plan = fullPlan();
        PlanFile.write(plan, file);
        assertPlanEquals(plan, PlanFile.read(file));
        assertEquals(List.of(file), list(dir));

        // replacing a plan with another one
        InferencePlan other = plan.staticVersion();
        PlanFile.write(other, file);
        assertPlanEquals(other, PlanFile.read(file));
        assertEquals(List.of(file), list(dir));
    }

    @Test
    void failedWritesLeaveTheTargetAndNoTemporaryFile() throws IOException {
        Path file = dir.resolve("model.plan");
        byte[] old = "old".getBytes(StandardCharsets.US_ASCII);
        Files.write(file, old);
        InferencePlan plan = fullPlan();
        InferencePlan tooLong = fullPlan("x".repeat(300));
        assertThrows(IllegalArgumentException.class, () -> PlanFile.write(tooLong, file));
        assertArrayEquals(old, Files.readAllBytes(file));
        assertEquals(List.of(file), list(dir));

        // the move fails: the target is a non-empty directory
        Path blocked = dir.resolve("blocked.plan");
        Files.createDirectory(blocked);
        Files.write(blocked.resolve("inside"), old);
        assertThrows(IOException.class, () -> PlanFile.write(plan, blocked));
        assertEquals(List.of(blocked, file), list(dir));
        assertTrue(Files.isDirectory(blocked));

        // the directory does not exist
        assertThrows(NoSuchFileException.class, () -> PlanFile.write(plan, dir.resolve("missing/model.plan")));
        assertEquals(List.of(blocked, file), list(dir));
    }

    @Test
    void relativePathsAreWrittenInTheirDirectory() throws IOException {
        Path file = dir.resolve("sub").resolve("..").resolve("rel.plan");
        Files.createDirectory(dir.resolve("sub"));
        PlanFile.write(fullPlan(), file);
        assertPlanEquals(fullPlan(), PlanFile.read(dir.resolve("rel.plan")));
        assertFalse(list(dir.resolve("sub")).iterator().hasNext());
    }

    private static List<Path> list(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.sorted().collect(Collectors.toList());
        }
    }

    // ---------------------------------------------------------------------------------------------------- streams

    @Test
    void slowStreamsDeliveringOneByteAtATimeAreRead() throws IOException {
        InferencePlan plan = fullPlan();
        byte[] b = bytes(plan);
        InputStream trickle = new ByteArrayInputStream(b) {
            @Override
            public synchronized int read(byte[] dst, int off, int len) {
                return super.read(dst, off, Math.min(len, 1));
            }
        };
        assertPlanEquals(plan, PlanFile.read(trickle, SOURCE));
    }

    @Test
    void aDirectoryInPlaceOfThePlanIsAFormatError() throws IOException {
        Path d = Files.createDirectories(dir.resolve("model.plan"));
        PlanFormatException e = assertThrows(PlanFormatException.class, () -> PlanFile.read(d));
        assertMessage(e, d.toString(), "is a directory");
    }

    @Test
    void sourceNameAppearsInEveryMessage() throws IOException {
        byte[] b = bytes(fullPlan());
        Function<byte[], PlanFormatException> read = x -> assertThrows(PlanFormatException.class,
                () -> PlanFile.read(new ByteArrayInputStream(x), "s3://bucket/model.plan"));
        for (byte[] bad : List.of(Arrays.copyOf(b, 100), patchInt(b, 8, 1), Arrays.copyOf(b, b.length + 1))) {
            PlanFormatException e = read.apply(bad);
            assertEquals("s3://bucket/model.plan", e.source());
            assertTrue(e.getMessage().startsWith("s3://bucket/model.plan: "), e.getMessage());
            assertNotEquals("", e.problem());
        }
    }
}
