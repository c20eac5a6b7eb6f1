package org.laudnet.cuda.plan;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A whole LAUD-ResNet as plain arrays, with no dependency on a deep-learning engine: the stem convolution (BatchNorm
 * folded), an optional 3x3 stride-2 max pool, the residual blocks ({@link PlanBlock}: folded weights, geometry, gate
 * and gate weights) and the classifier.
 *
 * <pre>
 *   x (B, inputChannels, inputSize, inputSize) -> ReLU(stem(x)) [-> maxPool 3x3/2, padding maxPoolPadding]
 *     -> blocks -> global average pool (B, C) -> head (B, classes)
 * </pre>
 *
 * <p>Binary format (all numbers little-endian): the 8 magic bytes {@code LAUDPLAN}, int32 version ({@value #VERSION}),
 * int32 {@code inputChannels, inputSize, maxPool (0/1), maxPoolPadding}, the stem convolution, int32 block count, each
 * block, the head, and the int32 end marker {@code 0x4C415544}. A convolution is six int32
 * {@code (O, I, k, stride, padding, groups)} followed by its fp32 weight and bias; an optional convolution is preceded by
 * an int32 presence flag. A block is int32 {@code (bottleneck, inSize, stride)}, conv1, conv2, optional conv3, optional
 * downsample, then the gate: int32 {@code (mode ordinal, granularity, maskSize)}, optional spatial masker, int32
 * channel-masker flag and, if set, int32 {@code (kind ordinal, groups)}, the first layer and the optional second one.
 *
 * @param inputChannels image channels
 * @param inputSize image side
 * @param stem stem convolution (folded), followed by ReLU
 * @param maxPool whether a 3x3 stride-2 max pool follows the stem
 * @param maxPoolPadding padding of that max pool ({@code -inf} padding)
 * @param blocks the residual blocks in order
 * @param head the classifier, a linear layer {@code (classes, C)}
 */
public record LaudPlan(
        int inputChannels, int inputSize, PlanConv stem, boolean maxPool, int maxPoolPadding, List<PlanBlock> blocks,
        PlanConv head) {

    /** Current file format version. */
    public static final int VERSION = 1;

    private static final byte[] MAGIC = "LAUDPLAN".getBytes(StandardCharsets.US_ASCII);
    private static final int END_MARKER = 0x4C415544;

    /** Validates that the stem, blocks and head chain (channels and spatial sizes). */
    public LaudPlan {
        if (stem == null || head == null || blocks == null) {
            throw new IllegalArgumentException("stem, blocks and head must not be null");
        }
        if (stem.inChannels() != inputChannels) {
            throw new IllegalArgumentException("stem must read inputChannels = " + inputChannels + ", got "
                    + stem.inChannels());
        }
        if (maxPoolPadding < 0 || maxPoolPadding > 1) {
            throw new IllegalArgumentException("maxPoolPadding must be 0 or 1, got " + maxPoolPadding);
        }
        blocks = List.copyOf(blocks);
        int size = stem.outSize(inputSize);
        if (maxPool) {
            size = (size + 2 * maxPoolPadding - 3) / 2 + 1;
        }
        int channels = stem.outChannels();
        for (int i = 0; i < blocks.size(); i++) {
            PlanBlock b = blocks.get(i);
            if (b.inChannels() != channels || b.inSize() != size) {
                throw new IllegalArgumentException("block " + i + " must take (" + channels + ", " + size + ", " + size
                        + "), got (" + b.inChannels() + ", " + b.inSize() + ", " + b.inSize() + ")");
            }
            channels = b.outChannels();
            size = b.outSize();
        }
        if (head.kernel() != 1 || head.inChannels() != channels) {
            throw new IllegalArgumentException("head must be a linear layer on " + channels + " features, got "
                    + head.inChannels());
        }
    }

    /** Returns the number of classes. */
    public int numClasses() {
        return head.outChannels();
    }

    /** Returns the side of the stem's output after the optional max pool (the first block's input side). */
    public int stemOutSize() {
        int size = stem.outSize(inputSize);
        return maxPool ? (size + 2 * maxPoolPadding - 3) / 2 + 1 : size;
    }

    /** Returns the same network with every block's gate replaced by a dense one (the static network). */
    public LaudPlan staticVersion() {
        List<PlanBlock> list = new ArrayList<>();
        for (PlanBlock b : blocks) {
            list.add(b.withGate(PlanGate.dense()));
        }
        return new LaudPlan(inputChannels, inputSize, stem, maxPool, maxPoolPadding, list, head);
    }

    /** Returns the dense MACs of one image: stem, every block dense, head (maskers and pooling excluded). */
    public long denseMacs() {
        int s = stem.outSize(inputSize);
        long macs = stem.macsPerPixel() * s * s + head.macsPerPixel();
        for (PlanBlock b : blocks) {
            macs += b.denseMacs();
        }
        return macs;
    }

    /**
     * Writes the plan in the binary format described above.
     *
     * @param file destination (created or replaced)
     * @throws IOException if writing fails
     */
    public void write(Path file) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            write(out);
        }
    }

    /**
     * Writes the plan to a stream (not closed).
     *
     * @param out the stream
     * @throws IOException if writing fails
     */
    public void write(OutputStream out) throws IOException {
        Writer w = new Writer(out);
        out.write(MAGIC);
        w.ints(VERSION, inputChannels, inputSize, maxPool ? 1 : 0, maxPoolPadding);
        w.conv(stem);
        w.ints(blocks.size());
        for (PlanBlock b : blocks) {
            w.ints(b.bottleneck() ? 1 : 0, b.inSize(), b.stride());
            w.conv(b.conv1());
            w.conv(b.conv2());
            w.optConv(b.conv3());
            w.optConv(b.downsample());
            PlanGate g = b.gate();
            w.ints(g.mode().ordinal(), g.granularity(), g.maskSize());
            w.optConv(g.spatialMasker());
            ChannelMasker cm = g.channelMasker();
            w.ints(cm == null ? 0 : 1);
            if (cm != null) {
                w.ints(cm.kind().ordinal(), cm.groups());
                w.conv(cm.first());
                w.optConv(cm.second());
            }
        }
        w.conv(head);
        w.ints(END_MARKER);
        out.flush();
    }

    /**
     * Reads a plan file.
     *
     * @param file the file
     * @return the plan
     * @throws PlanFormatException if the file is not a plan of a supported version, or is truncated or inconsistent
     * @throws IOException if reading fails
     */
    public static LaudPlan read(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads a plan from a stream.
     *
     * @param in the stream (not closed)
     * @param name name of the source for error messages
     * @return the plan
     * @throws PlanFormatException if the content is not a valid plan
     * @throws IOException if reading fails
     */
    public static LaudPlan read(InputStream in, String name) throws IOException {
        Reader r = new Reader(new DataInputStream(in), name);
        try {
            byte[] magic = r.bytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new PlanFormatException(name + ": not a LAUDNet plan (magic bytes "
                        + new String(magic, StandardCharsets.ISO_8859_1) + ")");
            }
            int version = r.i();
            if (version != VERSION) {
                throw new PlanFormatException(name + ": unsupported plan version " + version + " (supported: "
                        + VERSION + ")");
            }
            int inputChannels = r.i();
            int inputSize = r.i();
            boolean maxPool = r.i() != 0;
            int maxPoolPadding = r.i();
            PlanConv stem = r.conv();
            int n = r.count("block count", 1 << 16);
            List<PlanBlock> blocks = new ArrayList<>(n);
            for (int k = 0; k < n; k++) {
                boolean bottleneck = r.i() != 0;
                int inSize = r.i();
                int stride = r.i();
                PlanConv c1 = r.conv();
                PlanConv c2 = r.conv();
                PlanConv c3 = r.optConv();
                PlanConv down = r.optConv();
                int mode = r.count("gate mode", PlanMode.values().length - 1);
                int granularity = r.i();
                int maskSize = r.i();
                PlanConv spatial = r.optConv();
                ChannelMasker cm = null;
                if (r.i() != 0) {
                    int kind = r.count("channel masker kind", ChannelMasker.Kind.values().length - 1);
                    int groups = r.i();
                    PlanConv first = r.conv();
                    PlanConv second = r.optConv();
                    cm = new ChannelMasker(ChannelMasker.Kind.values()[kind], groups, first, second);
                }
                PlanGate gate = new PlanGate(PlanMode.values()[mode], granularity, maskSize, spatial, cm);
                blocks.add(new PlanBlock(bottleneck, inSize, stride, c1, c2, c3, down, gate));
            }
            PlanConv head = r.conv();
            int end = r.i();
            if (end != END_MARKER) {
                throw new PlanFormatException(name + ": bad end marker 0x" + Integer.toHexString(end));
            }
            return new LaudPlan(inputChannels, inputSize, stem, maxPool, maxPoolPadding, blocks, head);
        } catch (EOFException e) {
            throw new PlanFormatException(name + ": truncated plan file", e);
        } catch (IllegalArgumentException e) {
            throw new PlanFormatException(name + ": inconsistent plan: " + e.getMessage(), e);
        }
    }

    private static final class Writer {
        private final OutputStream out;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        Writer(OutputStream out) {
            this.out = out;
        }

        void ints(int... values) throws IOException {
            for (int v : values) {
                if (buf.remaining() < 4) {
                    flush();
                }
                buf.putInt(v);
            }
            flush();
        }

        void floats(float[] values) throws IOException {
            for (float v : values) {
                if (buf.remaining() < 4) {
                    flush();
                }
                buf.putFloat(v);
            }
            flush();
        }

        void conv(PlanConv c) throws IOException {
            ints(c.outChannels(), c.inChannels(), c.kernel(), c.stride(), c.padding(), c.groups());
            floats(c.weight());
            floats(c.bias());
        }

        void optConv(PlanConv c) throws IOException {
            ints(c == null ? 0 : 1);
            if (c != null) {
                conv(c);
            }
        }

        private void flush() throws IOException {
            out.write(buf.array(), 0, buf.position());
            buf.clear();
        }
    }

    private static final class Reader {
        private final DataInputStream in;
        private final String name;

        Reader(DataInputStream in, String name) {
            this.in = in;
            this.name = name;
        }

        byte[] bytes(int n) throws IOException {
            byte[] b = new byte[n];
            in.readFully(b);
            return b;
        }

        int i() throws IOException {
            return ByteBuffer.wrap(bytes(4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
        }

        int count(String what, int max) throws IOException {
            int v = i();
            if (v < 0 || v > max) {
                throw new PlanFormatException(name + ": " + what + " must be in [0, " + max + "], got " + v);
            }
            return v;
        }

        float[] floats(long n) throws IOException {
            if (n < 0 || n > (1L << 28)) {
                throw new PlanFormatException(name + ": array of " + n + " floats is out of range");
            }
            float[] a = new float[(int) n];
            ByteBuffer bb = ByteBuffer.wrap(bytes(4 * (int) n)).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().get(a);
            return a;
        }

        PlanConv conv() throws IOException {
            int o = i();
            int in = i();
            int k = i();
            int s = i();
            int p = i();
            int g = i();
            if (o <= 0 || in <= 0 || k <= 0 || g <= 0 || in % g != 0) {
                throw new PlanFormatException(name + ": bad convolution header (" + o + ", " + in + ", " + k + ", " + s
                        + ", " + p + ", " + g + ")");
            }
            float[] w = floats((long) o * (in / g) * k * k);
            float[] b = floats(o);
            return new PlanConv(o, in, k, s, p, g, w, b);
        }

        PlanConv optConv() throws IOException {
            int flag = i();
            if (flag != 0 && flag != 1) {
                throw new PlanFormatException(name + ": presence flag must be 0 or 1, got " + flag);
            }
            return flag == 1 ? conv() : null;
        }
    }
}
