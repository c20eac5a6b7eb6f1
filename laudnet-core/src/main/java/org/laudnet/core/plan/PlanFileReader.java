package org.laudnet.core.plan;

import static org.laudnet.core.plan.PlanFile.BLOCK_TYPE;
import static org.laudnet.core.plan.PlanFile.BUFFER_BYTES;
import static org.laudnet.core.plan.PlanFile.convHeaderProblem;
import static org.laudnet.core.plan.PlanFile.END_MARKER;
import static org.laudnet.core.plan.PlanFile.GATE_MODE;
import static org.laudnet.core.plan.PlanFile.hex;
import static org.laudnet.core.plan.PlanFile.MAGIC;
import static org.laudnet.core.plan.PlanFile.MASKER_KIND;
import static org.laudnet.core.plan.PlanFile.MASK_PLACEMENT;
import static org.laudnet.core.plan.PlanFile.MAX_ARCHITECTURE_BYTES;
import static org.laudnet.core.plan.PlanFile.MAX_ARRAY_FLOATS;
import static org.laudnet.core.plan.PlanFile.MAX_BLOCKS;
import static org.laudnet.core.plan.PlanFile.MIN_BLOCK_BYTES;
import static org.laudnet.core.plan.PlanFile.OLD_CUDA_VERSION;
import static org.laudnet.core.plan.PlanFile.PLACEMENT_FREE_VERSION;
import static org.laudnet.core.plan.PlanFile.STREAM_ARRAY_START;
import static org.laudnet.core.plan.PlanFile.STRIDE_PLACEMENT;
import static org.laudnet.core.plan.PlanFile.VERSION;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.gate.ChannelMaskerKind;

/**
 * Reads the binary plan format of {@link PlanFile} from an untrusted source: every count and array size is bounded
 * before anything is allocated, the checksum and end marker are checked before any record is built, and every problem
 * is a {@link PlanFormatException} naming the source, the section and the byte offset. One reader per stream; not
 * thread-safe.
 */
final class PlanFileReader {
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
    /** The format version of the file being read. */
    private int version;

    PlanFileReader(InputStream in, String source, long length) {
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
        } catch (PlanFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new PlanFormatException(source, "cannot read " + where + " at byte " + offset + ": " + e, e);
        } catch (RuntimeException e) {
            // the records validate with IllegalArgumentException; anything else the bytes provoke is refused alike
            throw new PlanFormatException(source, "inconsistent plan, " + where + ": " + e, e);
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
        if (version != VERSION && version != PLACEMENT_FREE_VERSION) {
            throw error(at, "unsupported plan format version " + version + "; this reader reads versions "
                    + PLACEMENT_FREE_VERSION + " and " + VERSION);
        }
        this.version = version;
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
        BlockType type = code(BLOCK_TYPE);
        int inChannels = int32();
        int width = int32();
        int outChannels = int32();
        int inHeight = int32();
        int inWidth = int32();
        int stride = int32();
        int convGroups = int32();
        StridePlacement placement = code(STRIDE_PLACEMENT);
        where = at + " gate";
        GateMode mode = code(GATE_MODE);
        int granularity = int32();
        int spatialGroups = int32();
        int channelGroups = int32();
        ChannelMaskerKind maskerKind = code(MASKER_KIND);
        ChannelMaskPlacement maskPlacement = version >= VERSION ? code(MASK_PLACEMENT)
                : ChannelMaskPlacement.AFTER_ACTIVATION;
        where = at + " conv1";
        FoldedConv conv1 = conv();
        where = at + " conv2";
        FoldedConv conv2 = conv();
        where = at + " conv3";
        FoldedConv conv3 = optConv("conv3");
        where = at + " downsample";
        FoldedConv downsample = optConv("downsample");
        where = at + " squeeze-excitation";
        boolean se = flag("squeeze-excitation presence flag");
        FoldedConv fc1 = se ? conv() : null;
        FoldedConv fc2 = se ? conv() : null;
        where = at + " spatial masker";
        boolean spatial = flag("spatial masker presence flag");
        FoldedConv spatialConv = spatial ? conv() : null;
        int maskSize = spatial ? int32() : 0;
        int maskGroups = spatial ? int32() : 0;
        where = at + " channel masker";
        boolean channel = flag("channel masker presence flag");
        ChannelMaskerKind kind = channel ? code(MASKER_KIND) : null;
        int groups = channel ? int32() : 0;
        FoldedConv first = channel ? conv() : null;
        FoldedConv second = channel ? optConv("channel masker second layer") : null;
        where = at + " cost";
        long maskerMacs = int64();
        long seMacs = int64();
        where = at + " stage";
        int stage = int32();
        return () -> {
            BlockGeometry g = new BlockGeometry(type, inChannels, width, outChannels, inHeight, inWidth, stride,
                    convGroups, placement);
            GateSpec gate = new GateSpec(mode, granularity, spatialGroups, channelGroups, maskerKind, maskPlacement);
            return new BlockPlan(g, gate, conv1, conv2, conv3, downsample,
                    se ? new SqueezeExcitationPlan(fc1, fc2) : null,
                    spatial ? new SpatialMasker(spatialConv, maskSize, maskGroups) : null,
                    channel ? new ChannelMasker(kind, groups, first, second) : null,
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

    /** Reads an enumeration code and decodes it with its table; an unknown code is a format error. */
    private <E extends Enum<E>> E code(PlanFile.Codes<E> codes) throws IOException {
        long at = offset;
        int c = int32();
        E value = codes.valueOf(c);
        if (value == null) {
            throw error(at, "unknown " + codes.name() + " code " + c);
        }
        return value;
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

