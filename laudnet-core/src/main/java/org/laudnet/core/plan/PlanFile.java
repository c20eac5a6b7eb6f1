package org.laudnet.core.plan;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *              int32 version              {@value #VERSION}; version 1 was the old laudnet-cuda format (not read)
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
 *                                                          (a {@link GateSpec})
 * se        := conv fc1, conv fc2                          (a {@link SqueezeExcitationPlan})
 * spatial   := conv, int32 maskSize, int32 groups          (a {@link SpatialMasker})
 * channel   := int32 kind, int32 groups, conv first, opt(conv second)   (a {@link ChannelMasker})
 * </pre>
 *
 * Enumerations are stored as stable codes, independent of declaration order: block type {@code BOTTLENECK = 0,
 * BASIC = 1}; stride placement {@code CONV2 = 0, CONV1 = 1}; gate mode {@code NONE = 0, SPATIAL = 1, CHANNEL = 2,
 * BOTH = 3, LAYER = 4}; channel masker kind {@code MLP_1 = 0, MLP_2 = 1, CONV_LINEAR = 2}. Of a block's
 * {@link BlockCost} only {@code maskerMacs} and {@code seMacs} are stored; the reader recomputes the other terms with
 * {@link BlockCost#of(BlockGeometry, long, long)}, and the writer refuses a plan whose cost differs from that
 * recomputation, so a plan always reads back equal to what was written.
 *
 * <h2>Reading untrusted input</h2>
 *
 * The reader treats its input as hostile: every count and array size is bounded before anything is allocated
 * (convolution dimensions at most {@value #MAX_CHANNELS} channels and {@value #MAX_KERNEL} for kernel, stride and
 * padding; at most {@value #MAX_ARRAY_FLOATS} floats per array; when the input's length is known, no more than its
 * remaining bytes can hold; for streams, arrays grow with the data actually received), enumeration codes and presence
 * flags must be known values, and the checksum, end marker and end of input are verified before the records are built.
 * Every failure is a {@link PlanFormatException} whose message names the source, the position and the offending value.
 *
 * <p>Stateless and thread-safe.
 */
public final class PlanFile {

    /** The format version this class writes and reads. */
    public static final int VERSION = 2;

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

    private static final Logger LOG = LoggerFactory.getLogger(PlanFile.class);

    private static final byte[] MAGIC = "LAUDPLAN".getBytes(StandardCharsets.US_ASCII);
    private static final int END_MARKER = 0x4C415544;
    private static final int CONV_HEADER_BYTES = 6 * 4;
    /** The fewest bytes one block occupies: geometry, gate, two 1x1 single-channel convolutions, flags, costs. */
    private static final int MIN_BLOCK_BYTES = 9 * 4 + 5 * 4 + 2 * (CONV_HEADER_BYTES + 2 * 4) + 5 * 4 + 2 * 8;
    private static final int BUFFER_BYTES = 1 << 16;
    private static final int STREAM_ARRAY_START = 1 << 14;
    private static final int TEMP_ATTEMPTS = 100;

    private PlanFile() {}

    // ------------------------------------------------------------------------------------------------------ writing

    /**
     * Writes a plan to a file atomically: the bytes go to a new temporary file in the same directory, which is forced
     * to disk and then moved over {@code file} (an atomic rename where the file system supports it, a plain replacing
     * move otherwise). Readers of {@code file} see either its previous content or the complete new plan; on failure
     * the temporary file is removed and {@code file} is left as it was.
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
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null) {
            throw new IllegalArgumentException("file must name a file inside a directory, got " + file);
        }
        String name = target.getFileName().toString();
        Path tmp = null;
        FileChannel channel = null;
        for (int attempt = 0; channel == null; attempt++) {
            Path candidate = dir.resolve("." + name + "." + Long.toUnsignedString(
                    ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                channel = FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                tmp = candidate;
            } catch (FileAlreadyExistsException e) {
                if (attempt + 1 >= TEMP_ATTEMPTS) {
                    throw e;
                }
            }
        }
        try {
            try (FileChannel ch = channel) {
                writeValidated(plan, Channels.newOutputStream(ch));
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                LOG.debug("atomic move not supported for {}, replacing it non-atomically", target);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (Throwable t) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException d) {
                t.addSuppressed(d);
            }
            throw t;
        }
        syncDirectory(dir);
    }

    /** Forces the directory entry of a renamed file to disk where the platform allows opening directories. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("could not sync directory {}: {}", dir, e.toString());
        }
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
    private static String convHeaderProblem(int o, int i, int k, int stride, int padding, int groups) {
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
        w.int32(VERSION);
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
            w.int32(code(g.type()));
            w.int32(g.inChannels());
            w.int32(g.width());
            w.int32(g.outChannels());
            w.int32(g.inHeight());
            w.int32(g.inWidth());
            w.int32(g.stride());
            w.int32(g.convGroups());
            w.int32(code(g.stridePlacement()));
            GateSpec gate = b.gate();
            w.int32(code(gate.mode()));
            w.int32(gate.spatialGranularity());
            w.int32(gate.spatialGroups());
            w.int32(gate.channelGroups());
            w.int32(code(gate.maskerKind()));
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
                w.int32(code(cm.kind()));
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
        try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ)) {
            return new Reader(Channels.newInputStream(ch), file.toString(), ch.size()).plan();
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
        return new Reader(in, sourceName, -1).plan();
    }

    /** The hostile-input reader of one plan: little-endian, bounded, computing the CRC-32 of what it consumes. */
    private static final class Reader {
        private final InputStream in;
        private final String source;
        /** Total input length, or -1 when unknown (streams). */
        private final long length;
        private final byte[] buf = new byte[BUFFER_BYTES];
        private final CRC32 crc = new CRC32();
        private int pos;
        private int limit;
        /** Bytes consumed so far: the offset of the next field. */
        private long offset;
        /** What is being read, for messages. */
        private String where = "header";
        /** Offset and name of the last enumeration code read, for {@link #unknown}. */
        private long codeAt;
        private String codeWhat;

        Reader(InputStream in, String source, long length) {
            this.in = in;
            this.source = source;
            this.length = length;
        }

        InferencePlan plan() throws IOException {
            try {
                return parse();
            } catch (EOFException e) {
                throw new PlanFormatException(source, "truncated: the input ends at byte " + (offset + limit - pos)
                        + " while reading " + where, e);
            } catch (IllegalArgumentException e) {
                throw new PlanFormatException(source, "inconsistent plan, " + where + ": " + e.getMessage(), e);
            }
        }

        private InferencePlan parse() throws IOException {
            byte[] magic = bytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw error(0, "not a plan file: magic bytes are " + hex(magic) + ", expected " + hex(MAGIC)
                        + " (\"LAUDPLAN\")");
            }
            long at = offset;
            int version = int32();
            if (version == OLD_CUDA_VERSION) {
                throw error(at, "format version 1 is the old laudnet-cuda plan format, which is no longer read; "
                        + "re-export the plan from its trained network with InferencePlan.of and PlanFile.write "
                        + "(format version " + VERSION + ")");
            }
            if (version != VERSION) {
                throw error(at, "unsupported plan format version " + version + "; this reader reads version "
                        + VERSION);
            }
            String architecture = string();
            where = "header";
            int inputChannels = int32();
            int inputSize = int32();
            boolean maxPool = flag("max pool flag");
            int maxPoolPadding = int32();
            where = "stem";
            FoldedConv stem = conv();
            where = "block count";
            at = offset;
            int count = int32();
            if (count < 0 || count > MAX_BLOCKS) {
                throw error(at, "block count must be in [0, " + MAX_BLOCKS + "], got " + count);
            }
            if (length >= 0 && (long) count * MIN_BLOCK_BYTES > remaining()) {
                throw error(at, "truncated or corrupt: " + count + " blocks need at least "
                        + (long) count * MIN_BLOCK_BYTES + " bytes, only " + remaining() + " remain");
            }
            List<Supplier<BlockPlan>> blocks = new ArrayList<>(Math.min(count, 64));
            for (int i = 0; i < count; i++) {
                blocks.add(block(i));
            }
            where = "head";
            FoldedConv head = conv();
            where = "end marker";
            at = offset;
            int end = int32();
            if (end != END_MARKER) {
                throw error(at, "bad end marker 0x" + Integer.toHexString(end) + ", expected 0x"
                        + Integer.toHexString(END_MARKER));
            }
            where = "checksum";
            long computed = crc.getValue();
            at = offset;
            long stored = int32() & 0xFFFFFFFFL;
            if (stored != computed) {
                throw error(at, String.format("corrupt: the CRC-32 of the content is 0x%08x, the file declares 0x%08x",
                        computed, stored));
            }
            where = "end of plan";
            if (fill(1)) {
                throw error(offset, "trailing bytes after the plan's checksum");
            }
            // the bytes are intact: build (and validate) the records
            List<BlockPlan> list = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                where = "block " + i;
                list.add(blocks.get(i).get());
            }
            where = "plan";
            return new InferencePlan(architecture, inputChannels, inputSize, stem, maxPool, maxPoolPadding, list,
                    head);
        }

        /** Reads one block's fields; the returned supplier builds (and validates) the block's records. */
        private Supplier<BlockPlan> block(int index) throws IOException {
            String at = "block " + index;
            where = at + " geometry";
            BlockType type = blockType(code("block type"));
            int inChannels = int32();
            int width = int32();
            int outChannels = int32();
            int inHeight = int32();
            int inWidth = int32();
            int stride = int32();
            int convGroups = int32();
            StridePlacement placement = stridePlacement(code("stride placement"));
            where = at + " gate";
            GateMode mode = gateMode(code("gate mode"));
            int granularity = int32();
            int spatialGroups = int32();
            int channelGroups = int32();
            ChannelMaskerKind maskerKind = maskerKind(code("channel masker kind"));
            where = at + " conv1";
            FoldedConv conv1 = conv();
            where = at + " conv2";
            FoldedConv conv2 = conv();
            where = at + " conv3";
            FoldedConv conv3 = optConv("conv3");
            where = at + " downsample";
            FoldedConv downsample = optConv("downsample");
            where = at + " squeeze-excitation";
            FoldedConv fc1 = null;
            FoldedConv fc2 = null;
            if (flag("squeeze-excitation presence flag")) {
                fc1 = conv();
                fc2 = conv();
            }
            where = at + " spatial masker";
            FoldedConv spatialConv = null;
            int maskSize = 0;
            int maskGroups = 0;
            boolean spatial = flag("spatial masker presence flag");
            if (spatial) {
                spatialConv = conv();
                maskSize = int32();
                maskGroups = int32();
            }
            where = at + " channel masker";
            ChannelMaskerKind kind = null;
            int groups = 0;
            FoldedConv first = null;
            FoldedConv second = null;
            boolean channel = flag("channel masker presence flag");
            if (channel) {
                kind = maskerKind(code("channel masker kind"));
                groups = int32();
                first = conv();
                second = optConv("channel masker second layer");
            }
            where = at + " cost";
            long maskerMacs = int64();
            long seMacs = int64();
            where = at + " stage";
            int stage = int32();
            FoldedConv se1 = fc1;
            FoldedConv se2 = fc2;
            FoldedConv sc = spatialConv;
            int ms = maskSize;
            int mg = maskGroups;
            ChannelMaskerKind ck = kind;
            int cg = groups;
            FoldedConv cf = first;
            FoldedConv cs = second;
            return () -> {
                BlockGeometry g = new BlockGeometry(type, inChannels, width, outChannels, inHeight, inWidth, stride,
                        convGroups, placement);
                GateSpec gate = new GateSpec(mode, granularity, spatialGroups, channelGroups, maskerKind);
                return new BlockPlan(g, gate, conv1, conv2, conv3, downsample,
                        se1 == null ? null : new SqueezeExcitationPlan(se1, se2),
                        spatial ? new SpatialMasker(sc, ms, mg) : null,
                        channel ? new ChannelMasker(ck, cg, cf, cs) : null,
                        BlockCost.of(g, maskerMacs, seMacs), stage);
            };
        }

        private FoldedConv conv() throws IOException {
            long at = offset;
            int o = int32();
            int i = int32();
            int k = int32();
            int s = int32();
            int p = int32();
            int g = int32();
            String problem = convHeaderProblem(o, i, k, s, p, g);
            if (problem != null) {
                throw error(at, "bad convolution header (O " + o + ", I " + i + ", k " + k + ", stride " + s
                        + ", padding " + p + ", groups " + g + "): " + problem);
            }
            long weights = (long) o * (i / g) * k * k;
            if (weights > MAX_ARRAY_FLOATS) {
                throw error(at, "convolution (O " + o + ", I " + i + ", k " + k + ", groups " + g + ") declares "
                        + weights + " weights, more than the limit of " + MAX_ARRAY_FLOATS + " floats per array");
            }
            if (length >= 0 && 4 * (weights + o) > remaining()) {
                throw error(at, "truncated or corrupt: convolution (O " + o + ", I " + i + ", k " + k + ", groups "
                        + g + ") declares " + weights + " weights and " + o + " biases (" + 4 * (weights + o)
                        + " bytes), only " + remaining() + " bytes remain");
            }
            float[] w = floats((int) weights);
            float[] b = floats(o);
            return new FoldedConv(o, i, k, s, p, g, w, b);
        }

        private FoldedConv optConv(String what) throws IOException {
            return flag(what + " presence flag") ? conv() : null;
        }

        /** Reads {@code n} floats (n already bounded); for streams the array grows with the data received. */
        private float[] floats(int n) throws IOException {
            float[] a = new float[length >= 0 ? n : Math.min(n, STREAM_ARRAY_START)];
            int filled = 0;
            while (filled < n) {
                if (filled == a.length) {
                    a = Arrays.copyOf(a, (int) Math.min(n, 2L * a.length));
                }
                need(4);
                int c = Math.min(a.length - filled, (limit - pos) / 4);
                ByteBuffer.wrap(buf, pos, 4 * c).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(a, filled, c);
                consume(4 * c);
                filled += c;
            }
            return a;
        }

        private String string() throws IOException {
            where = "architecture";
            long at = offset;
            int n = int32();
            if (n < 0 || n > MAX_ARCHITECTURE_BYTES) {
                throw error(at, "architecture length must be in [0, " + MAX_ARCHITECTURE_BYTES + "] bytes, got " + n);
            }
            byte[] b = bytes(n);
            try {
                CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(b));
                return chars.toString();
            } catch (CharacterCodingException e) {
                throw error(at + 4, "architecture is not valid UTF-8: " + hex(b));
            }
        }

        private boolean flag(String what) throws IOException {
            long at = offset;
            int v = int32();
            if (v != 0 && v != 1) {
                throw error(at, what + " must be 0 or 1, got " + v);
            }
            return v == 1;
        }

        /** Reads an enumeration code; the caller decodes it and {@link #unknown} rejects a code it does not know. */
        private int code(String what) throws IOException {
            codeAt = offset;
            codeWhat = what;
            return int32();
        }

        private PlanFormatException unknown(int code) {
            return error(codeAt, "unknown " + codeWhat + " code " + code);
        }

        private BlockType blockType(int c) throws PlanFormatException {
            return switch (c) {
                case 0 -> BlockType.BOTTLENECK;
                case 1 -> BlockType.BASIC;
                default -> throw unknown(c);
            };
        }

        private StridePlacement stridePlacement(int c) throws PlanFormatException {
            return switch (c) {
                case 0 -> StridePlacement.CONV2;
                case 1 -> StridePlacement.CONV1;
                default -> throw unknown(c);
            };
        }

        private GateMode gateMode(int c) throws PlanFormatException {
            return switch (c) {
                case 0 -> GateMode.NONE;
                case 1 -> GateMode.SPATIAL;
                case 2 -> GateMode.CHANNEL;
                case 3 -> GateMode.BOTH;
                case 4 -> GateMode.LAYER;
                default -> throw unknown(c);
            };
        }

        private ChannelMaskerKind maskerKind(int c) throws PlanFormatException {
            return switch (c) {
                case 0 -> ChannelMaskerKind.MLP_1;
                case 1 -> ChannelMaskerKind.MLP_2;
                case 2 -> ChannelMaskerKind.CONV_LINEAR;
                default -> throw unknown(c);
            };
        }

        private int int32() throws IOException {
            need(4);
            int v = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8 | (buf[pos + 2] & 0xFF) << 16
                    | (buf[pos + 3] & 0xFF) << 24;
            consume(4);
            return v;
        }

        private long int64() throws IOException {
            long lo = int32() & 0xFFFFFFFFL;
            long hi = int32();
            return hi << 32 | lo;
        }

        /** Reads {@code n <= BUFFER_BYTES} bytes. */
        private byte[] bytes(int n) throws IOException {
            need(n);
            byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
            consume(n);
            return b;
        }

        /** Bytes left in an input of known length. */
        private long remaining() {
            return length - offset;
        }

        private void need(int n) throws IOException {
            if (!fill(n)) {
                throw new EOFException();
            }
        }

        /** Makes at least {@code n <= BUFFER_BYTES} bytes available; returns false at end of input. */
        private boolean fill(int n) throws IOException {
            if (limit - pos >= n) {
                return true;
            }
            System.arraycopy(buf, pos, buf, 0, limit - pos);
            limit -= pos;
            pos = 0;
            while (limit < n) {
                int r = in.read(buf, limit, buf.length - limit);
                if (r < 0) {
                    return false;
                }
                limit += r;
            }
            return true;
        }

        private void consume(int n) {
            crc.update(buf, pos, n);
            pos += n;
            offset += n;
        }

        private PlanFormatException error(long at, String problem) {
            return new PlanFormatException(source, where + " at byte " + at + ": " + problem);
        }
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder("0x");
        for (int i = 0; i < Math.min(b.length, 32); i++) {
            s.append(String.format("%02x", b[i] & 0xFF));
        }
        return b.length > 32 ? s.append("...").toString() : s.toString();
    }

    private static int code(BlockType t) {
        return switch (t) {
            case BOTTLENECK -> 0;
            case BASIC -> 1;
        };
    }

    private static int code(StridePlacement p) {
        return switch (p) {
            case CONV2 -> 0;
            case CONV1 -> 1;
        };
    }

    private static int code(GateMode m) {
        return switch (m) {
            case NONE -> 0;
            case SPATIAL -> 1;
            case CHANNEL -> 2;
            case BOTH -> 3;
            case LAYER -> 4;
        };
    }

    private static int code(ChannelMaskerKind k) {
        return switch (k) {
            case MLP_1 -> 0;
            case MLP_2 -> 1;
            case CONV_LINEAR -> 2;
        };
    }
}
