package org.laudnet.core.plan;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.util.AtomicFiles;

/**
 * Writes and reads {@link InferencePlan}s in the project's versioned binary plan format.
 *
 * <h2>Layout (format version {@value #VERSION})</h2>
 *
 * All numbers are little-endian; {@code int32}/{@code int64} are two's complement, {@code fp32} IEEE 754 (bit patterns
 * are preserved).
 *
 * <pre>
 * file      := "LAUDPLAN"                 8 ASCII magic bytes
 *              int32 version              {@value #VERSION} or {@value #PLACEMENT_FREE_VERSION} (without the
 *                                         channel mask placement); version 1 was the old laudnet-cuda format (not read)
 *              string architecture        e.g. "resnet"
 *              int32 inputChannels, int32 inputSize
 *              int32 maxPool (0 or 1), int32 maxPoolPadding
 *              conv stem
 *              int32 blockCount           at most {@value #MAX_BLOCKS}
 *              block[blockCount]
 *              conv head
 *              int32 endMarker            0x4C415544
 *              int32 crc                  CRC-32 of every byte before it (magic to end marker), as unsigned
 * string    := int32 n (0 .. {@value #MAX_ARCHITECTURE_BYTES}), n bytes of UTF-8
 * conv      := int32 O, I, k, stride, padding, groups; fp32 weight[O * (I / groups) * k * k]; fp32 bias[O]
 *              (a {@link FoldedConv}; the weight is row-major (O, I / groups, k, k))
 * opt(x)    := int32 presence (0: absent, 1: present), then x when present
 * block     := geometry gate conv1 conv2 opt(conv3) opt(downsample) opt(se) opt(spatial) opt(channel)
 *              int64 maskerMacs, int64 seMacs, int32 stage
 * geometry  := int32 blockType, inChannels, width, outChannels, inHeight, inWidth, stride, convGroups,
 *              int32 stridePlacement                       (a {@link BlockGeometry})
 * gate      := int32 gateMode, spatialGranularity, spatialGroups, channelGroups, int32 maskerKind
 *              [int32 channelMaskPlacement, version 3 only]  (a {@link GateSpec})
 * se        := conv fc1, conv fc2                          (a {@link SqueezeExcitationPlan})
 * spatial   := conv, int32 maskSize, int32 groups          (a {@link SpatialMasker})
 * channel   := int32 kind, int32 groups, conv first, opt(conv second)   (a {@link ChannelMasker})
 * </pre>
 *
 * Enumerations are stored as stable codes, independent of declaration order (one table per enumeration serves both
 * directions): block type {@code BOTTLENECK = 0, BASIC = 1}; stride placement {@code CONV2 = 0, CONV1 = 1}; gate mode
 * {@code NONE = 0, SPATIAL = 1, CHANNEL = 2, BOTH = 3, LAYER = 4}; channel masker kind {@code MLP_1 = 0, MLP_2 = 1,
 * CONV_LINEAR = 2}; channel mask placement {@code AFTER_ACTIVATION = 0, BEFORE_NORM = 1}. Of a block's
 * {@link BlockCost} only {@code maskerMacs} and {@code seMacs} are stored; the reader
 * recomputes the other terms with {@link BlockCost#of(BlockGeometry, long, long)}, and the writer refuses a plan whose
 * cost differs from that recomputation, so a plan always reads back equal to what was written.
 *
 * <h2>Reading untrusted input</h2>
 *
 * The reader treats its input as hostile: every count and array size is bounded before anything is allocated
 * (convolution dimensions at most {@value #MAX_CHANNELS} channels and {@value #MAX_KERNEL} for kernel, stride and
 * padding; at most {@value #MAX_ARRAY_FLOATS} floats per array; when the input's length is known, no more than its
 * remaining bytes can hold; for streams, arrays grow with the data actually received), enumeration codes and presence
 * flags must be known values, and the checksum, end marker and end of input are verified before the records are built.
 * The records then validate the plan's consistency (channels, sizes, and each layer's kernel, stride, padding and
 * groups, see {@link BlockPlan} and {@link InferencePlan}), so a plan the executors cannot run is rejected at read
 * time. Every failure is a {@link PlanFormatException} whose message names the source, the position and the offending
 * value.
 *
 * <p>Stateless and thread-safe.
 */
public final class PlanFile {

    /**
     * The newest format version; versions 2 and 3 are read. Version 3 adds the channel mask placement to every gate
     * and is written only for a plan that uses the reference's placement ({@link ChannelMaskPlacement#BEFORE_NORM}),
     * so that a reader without it refuses such a plan; every other plan is written as version 2.
     */
    public static final int VERSION = 3;

    /** The version written for plans without the reference's channel mask placement (read as well). */
    public static final int PLACEMENT_FREE_VERSION = 2;

    /** The version of the old laudnet-cuda plan format, which is recognised and rejected. */
    public static final int OLD_CUDA_VERSION = 1;

    /** Largest architecture identifier, in UTF-8 bytes. */
    public static final int MAX_ARCHITECTURE_BYTES = 256;

    /** Largest number of blocks. */
    public static final int MAX_BLOCKS = 4096;

    /** Largest channel count of a convolution. */
    public static final int MAX_CHANNELS = 1 << 20;

    /** Largest kernel side, stride and padding of a convolution. */
    public static final int MAX_KERNEL = 1 << 10;

    /** Largest number of floats in one weight or bias array ({@code 2^28}). */
    public static final int MAX_ARRAY_FLOATS = 1 << 28;


    static final byte[] MAGIC = "LAUDPLAN".getBytes(StandardCharsets.US_ASCII);
    static final int END_MARKER = 0x4C415544;
    private static final int CONV_HEADER_BYTES = 6 * 4;
    /** The fewest bytes one block occupies: geometry, gate, two 1x1 single-channel convolutions, flags, costs. */
    static final int MIN_BLOCK_BYTES = 9 * 4 + 5 * 4 + 2 * (CONV_HEADER_BYTES + 2 * 4) + 5 * 4 + 2 * 8;
    static final int BUFFER_BYTES = 1 << 16;
    static final int STREAM_ARRAY_START = 1 << 14;

    private PlanFile() {}

    // ------------------------------------------------------------------------------------------------------ writing

    /**
     * Writes a plan to a file atomically ({@link AtomicFiles}): readers of {@code file} see either its previous content
     * or the complete new plan; on failure {@code file} is left as it was.
     *
     * @param plan the plan
     * @param file the destination, created or replaced; its directory must exist
     * @throws IllegalArgumentException if the plan cannot be represented (see {@link #write(InferencePlan,
     *     OutputStream)}); nothing is written then
     * @throws IOException if writing, syncing or moving fails
     */
    public static void write(InferencePlan plan, Path file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("file must not be null");
        }
        validate(plan);
        AtomicFiles.write(file, out -> writeValidated(plan, out));
    }

    /**
     * Writes a plan to a stream in the layout described on this class. The stream is flushed, not closed.
     *
     * @param plan the plan
     * @param out the stream
     * @throws IllegalArgumentException if the plan cannot be represented: its architecture identifier exceeds
     *     {@value #MAX_ARCHITECTURE_BYTES} UTF-8 bytes, it has more than {@value #MAX_BLOCKS} blocks, a convolution
     *     exceeds the bounds the reader accepts, or a block's cost is not {@code BlockCost.of(geometry, maskerMacs,
     *     seMacs)}; nothing is written then
     * @throws IOException if the stream fails
     */
    public static void write(InferencePlan plan, OutputStream out) throws IOException {
        if (out == null) {
            throw new IllegalArgumentException("out must not be null");
        }
        validate(plan);
        writeValidated(plan, out);
    }

    /** Checks everything the format cannot represent before a byte is written. */
    private static void validate(InferencePlan plan) {
        if (plan == null) {
            throw new IllegalArgumentException("plan must not be null");
        }
        int archBytes = plan.architecture().getBytes(StandardCharsets.UTF_8).length;
        if (archBytes > MAX_ARCHITECTURE_BYTES) {
            throw new IllegalArgumentException("plan architecture must have at most " + MAX_ARCHITECTURE_BYTES
                    + " UTF-8 bytes, got " + archBytes);
        }
        if (plan.blocks().size() > MAX_BLOCKS) {
            throw new IllegalArgumentException("plan must have at most " + MAX_BLOCKS + " blocks, got "
                    + plan.blocks().size());
        }
        checkConv("stem", plan.stem());
        checkConv("head", plan.head());
        for (int i = 0; i < plan.blocks().size(); i++) {
            BlockPlan b = plan.blocks().get(i);
            String at = "block " + i + " ";
            checkConv(at + "conv1", b.conv1());
            checkConv(at + "conv2", b.conv2());
            checkConv(at + "conv3", b.conv3());
            checkConv(at + "downsample", b.downsample());
            if (b.squeezeExcitation() != null) {
                checkConv(at + "squeeze-excitation fc1", b.squeezeExcitation().fc1());
                checkConv(at + "squeeze-excitation fc2", b.squeezeExcitation().fc2());
            }
            if (b.spatialMasker() != null) {
                checkConv(at + "spatial masker", b.spatialMasker().conv());
            }
            if (b.channelMasker() != null) {
                checkConv(at + "channel masker first", b.channelMasker().first());
                checkConv(at + "channel masker second", b.channelMasker().second());
            }
            BlockCost cost = b.cost();
            BlockCost recomputed = BlockCost.of(b.geometry(), cost.maskerMacs(), cost.seMacs());
            if (!recomputed.equals(cost)) {
                throw new IllegalArgumentException("block " + i + " cost must be BlockCost.of(geometry, maskerMacs, "
                        + "seMacs) = " + recomputed + " (the format stores only maskerMacs and seMacs), got " + cost);
            }
        }
    }

    private static void checkConv(String what, FoldedConv c) {
        if (c == null) {
            return;
        }
        String problem = convHeaderProblem(c.outChannels(), c.inChannels(), c.kernel(), c.stride(), c.padding(),
                c.groups());
        if (problem == null && c.weight().length > MAX_ARRAY_FLOATS) {
            problem = "has " + c.weight().length + " weights, more than " + MAX_ARRAY_FLOATS;
        }
        if (problem != null) {
            throw new IllegalArgumentException(what + " " + c + " cannot be stored: " + problem);
        }
    }

    /**
     * Returns what is wrong with a convolution header for this format, or null: the bounds both writer and reader
     * apply, and the divisibility a {@link FoldedConv} requires.
     */
    static String convHeaderProblem(int o, int i, int k, int stride, int padding, int groups) {
        if (o < 1 || o > MAX_CHANNELS) {
            return "output channels must be in [1, " + MAX_CHANNELS + "], got " + o;
        }
        if (i < 1 || i > MAX_CHANNELS) {
            return "input channels must be in [1, " + MAX_CHANNELS + "], got " + i;
        }
        if (k < 1 || k > MAX_KERNEL) {
            return "kernel must be in [1, " + MAX_KERNEL + "], got " + k;
        }
        if (stride < 1 || stride > MAX_KERNEL) {
            return "stride must be in [1, " + MAX_KERNEL + "], got " + stride;
        }
        if (padding < 0 || padding > MAX_KERNEL) {
            return "padding must be in [0, " + MAX_KERNEL + "], got " + padding;
        }
        if (groups < 1 || o % groups != 0 || i % groups != 0) {
            return "groups must be positive and divide output channels " + o + " and input channels " + i + ", got "
                    + groups;
        }
        return null;
    }

    private static void writeValidated(InferencePlan plan, OutputStream out) throws IOException {
        Writer w = new Writer(out);
        w.bytes(MAGIC);
        boolean placement = plan.blocks().stream()
                .anyMatch(b -> b.gate().channelMaskPlacement() != ChannelMaskPlacement.AFTER_ACTIVATION);
        w.int32(placement ? VERSION : PLACEMENT_FREE_VERSION);
        byte[] arch = plan.architecture().getBytes(StandardCharsets.UTF_8);
        w.int32(arch.length);
        w.bytes(arch);
        w.int32(plan.inputChannels());
        w.int32(plan.inputSize());
        w.int32(plan.maxPool() ? 1 : 0);
        w.int32(plan.maxPoolPadding());
        w.conv(plan.stem());
        w.int32(plan.blocks().size());
        for (BlockPlan b : plan.blocks()) {
            BlockGeometry g = b.geometry();
            w.int32(BLOCK_TYPE.code(g.type()));
            w.int32(g.inChannels());
            w.int32(g.width());
            w.int32(g.outChannels());
            w.int32(g.inHeight());
            w.int32(g.inWidth());
            w.int32(g.stride());
            w.int32(g.convGroups());
            w.int32(STRIDE_PLACEMENT.code(g.stridePlacement()));
            GateSpec gate = b.gate();
            w.int32(GATE_MODE.code(gate.mode()));
            w.int32(gate.spatialGranularity());
            w.int32(gate.spatialGroups());
            w.int32(gate.channelGroups());
            w.int32(MASKER_KIND.code(gate.maskerKind()));
            if (placement) {
                w.int32(MASK_PLACEMENT.code(gate.channelMaskPlacement()));
            }
            w.conv(b.conv1());
            w.conv(b.conv2());
            w.optConv(b.conv3());
            w.optConv(b.downsample());
            SqueezeExcitationPlan se = b.squeezeExcitation();
            w.int32(se == null ? 0 : 1);
            if (se != null) {
                w.conv(se.fc1());
                w.conv(se.fc2());
            }
            SpatialMasker sm = b.spatialMasker();
            w.int32(sm == null ? 0 : 1);
            if (sm != null) {
                w.conv(sm.conv());
                w.int32(sm.maskSize());
                w.int32(sm.groups());
            }
            ChannelMasker cm = b.channelMasker();
            w.int32(cm == null ? 0 : 1);
            if (cm != null) {
                w.int32(MASKER_KIND.code(cm.kind()));
                w.int32(cm.groups());
                w.conv(cm.first());
                w.optConv(cm.second());
            }
            w.int64(b.cost().maskerMacs());
            w.int64(b.cost().seMacs());
            w.int32(b.stage());
        }
        w.conv(plan.head());
        w.int32(END_MARKER);
        w.finish();
        out.flush();
    }

    /** Little-endian buffered writer that keeps the CRC-32 of everything it has written. */
    private static final class Writer {
        private final OutputStream out;
        private final ByteBuffer buf = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        private final CRC32 crc = new CRC32();

        Writer(OutputStream out) {
            this.out = out;
        }

        void int32(int v) throws IOException {
            room(4);
            buf.putInt(v);
        }

        void int64(long v) throws IOException {
            room(8);
            buf.putLong(v);
        }

        void bytes(byte[] b) throws IOException {
            for (int off = 0; off < b.length; ) {
                room(1);
                int n = Math.min(b.length - off, buf.remaining());
                buf.put(b, off, n);
                off += n;
            }
        }

        void floats(float[] a) throws IOException {
            for (int off = 0; off < a.length; ) {
                room(4);
                int n = Math.min(a.length - off, buf.remaining() / 4);
                buf.asFloatBuffer().put(a, off, n);
                buf.position(buf.position() + 4 * n);
                off += n;
            }
        }

        void conv(FoldedConv c) throws IOException {
            int32(c.outChannels());
            int32(c.inChannels());
            int32(c.kernel());
            int32(c.stride());
            int32(c.padding());
            int32(c.groups());
            floats(c.weight());
            floats(c.bias());
        }

        void optConv(FoldedConv c) throws IOException {
            int32(c == null ? 0 : 1);
            if (c != null) {
                conv(c);
            }
        }

        /** Writes the CRC-32 of everything written so far (not itself covered) and flushes the buffer. */
        void finish() throws IOException {
            drain();
            buf.putInt((int) crc.getValue());
            out.write(buf.array(), 0, buf.position());
            buf.clear();
        }

        private void room(int n) throws IOException {
            if (buf.remaining() < n) {
                drain();
            }
        }

        private void drain() throws IOException {
            crc.update(buf.array(), 0, buf.position());
            out.write(buf.array(), 0, buf.position());
            buf.clear();
        }
    }

    // ------------------------------------------------------------------------------------------------------ reading

    /**
     * Reads a plan file written by {@link #write(InferencePlan, Path)}. The file's length bounds every declared array.
     *
     * @param file the file
     * @return the plan, equal to the one written
     * @throws PlanFormatException if the file is not a plan of format version {@value #VERSION} (wrong magic bytes,
     *     the old version {@value #OLD_CUDA_VERSION} or an unknown version), is truncated, corrupt (checksum mismatch)
     *     or followed by trailing bytes, declares an out-of-range count, size, code or flag, or holds an inconsistent
     *     plan; the message names the file
     * @throws IOException if the file cannot be read
     */
    public static InferencePlan read(Path file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("file must not be null");
        }
        if (Files.isDirectory(file)) {
            throw new PlanFormatException(file.toString(), "is a directory, not a plan file");
        }
        try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ)) {
            return new PlanFileReader(Channels.newInputStream(ch), file.toString(), ch.size()).plan();
        }
    }

    /**
     * Reads a plan from a stream, which must end right after the plan's checksum (it is read to its end, not closed).
     * Without a known length, each declared array is bounded by {@value #MAX_ARRAY_FLOATS} floats and grows only as
     * its data arrives, so a short hostile stream cannot make the reader allocate much more than it sent.
     *
     * @param in the stream
     * @param sourceName the name of the source, used in error messages
     * @return the plan
     * @throws PlanFormatException as {@link #read(Path)}, naming {@code sourceName}
     * @throws IOException if the stream fails
     */
    public static InferencePlan read(InputStream in, String sourceName) throws IOException {
        if (in == null || sourceName == null) {
            throw new IllegalArgumentException("in and sourceName must not be null");
        }
        return new PlanFileReader(in, sourceName, -1).plan();
    }

    /** Returns up to the first 32 bytes as {@code 0x..} hex (with {@code ...} when longer), for messages. */
    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder("0x");
        for (int i = 0; i < Math.min(b.length, 32); i++) {
            s.append(String.format("%02x", b[i] & 0xFF));
        }
        return b.length > 32 ? s.append("...").toString() : s.toString();
    }

    // ------------------------------------------------------------------------------------------ enumeration codes

    /** The stable codes of {@link BlockType}. */
    static final Codes<BlockType> BLOCK_TYPE = new Codes<>("block type", BlockType.class,
            BlockType.BOTTLENECK, BlockType.BASIC);

    /** The stable codes of {@link StridePlacement}. */
    static final Codes<StridePlacement> STRIDE_PLACEMENT = new Codes<>("stride placement", StridePlacement.class,
            StridePlacement.CONV2, StridePlacement.CONV1);

    /** The stable codes of {@link GateMode}. */
    static final Codes<GateMode> GATE_MODE = new Codes<>("gate mode", GateMode.class,
            GateMode.NONE, GateMode.SPATIAL, GateMode.CHANNEL, GateMode.BOTH, GateMode.LAYER);

    /** The stable codes of {@link ChannelMaskPlacement}. */
    static final Codes<ChannelMaskPlacement> MASK_PLACEMENT = new Codes<>("channel mask placement",
            ChannelMaskPlacement.class, ChannelMaskPlacement.AFTER_ACTIVATION, ChannelMaskPlacement.BEFORE_NORM);

    /** The stable codes of {@link ChannelMaskerKind}. */
    static final Codes<ChannelMaskerKind> MASKER_KIND = new Codes<>("channel masker kind", ChannelMaskerKind.class,
            ChannelMaskerKind.MLP_1, ChannelMaskerKind.MLP_2, ChannelMaskerKind.CONV_LINEAR);

    /**
     * The stable file codes of one enumeration, one table serving the writer and the reader: the constant at position
     * {@code c} of the table has code {@code c}, independent of declaration order. The table must list every constant
     * exactly once, which is checked when the table is built (so a constant added to the enumeration without a code
     * fails at class initialisation). Immutable and thread-safe.
     *
     * @param <E> the enumeration
     */
    static final class Codes<E extends Enum<E>> {
        private final String name;
        private final List<E> byCode;
        private final int[] codeByOrdinal;

        @SafeVarargs
        Codes(String name, Class<E> type, E... byCode) {
            E[] all = type.getEnumConstants();
            int[] codes = new int[all.length];
            Arrays.fill(codes, -1);
            for (int c = 0; c < byCode.length; c++) {
                int ordinal = byCode[c].ordinal();
                if (codes[ordinal] >= 0) {
                    throw new IllegalStateException("the " + name + " code table lists " + byCode[c] + " twice");
                }
                codes[ordinal] = c;
            }
            for (E e : all) {
                if (codes[e.ordinal()] < 0) {
                    throw new IllegalStateException("the " + name + " code table lacks " + e);
                }
            }
            this.name = name;
            this.byCode = List.of(byCode);
            this.codeByOrdinal = codes;
        }

        /** Returns what the codes stand for, e.g. {@code "gate mode"}, for messages. */
        String name() {
            return name;
        }

        /** Returns the code of a constant. */
        int code(E value) {
            return codeByOrdinal[value.ordinal()];
        }

        /** Returns the constant of a code, or null for an unknown code. */
        E valueOf(int code) {
            return code >= 0 && code < byCode.size() ? byCode.get(code) : null;
        }
    }
}
