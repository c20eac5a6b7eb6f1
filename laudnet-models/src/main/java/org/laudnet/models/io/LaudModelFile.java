package org.laudnet.models.io;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.models.regnet.LaudRegNet;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.StageSpec;
import org.laudnet.models.resnet.StemSpec;
import org.laudnet.models.weights.WeightFileException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves and loads LAUD networks ({@link LaudResNet}, {@link LaudRegNet}, gates included) as one versioned file.
 *
 * <p>Layout (big-endian, as DJL's own parameter streams):
 *
 * <pre>
 *   bytes  0..7   magic "LAUDNET" + 0x00
 *   int           format version ({@link #FORMAT_VERSION})
 *   int    n      header length in bytes
 *   n bytes       header: UTF-8 JSON with the architecture (kind, stem, stage specs with their gate specs, block
 *                 family, stride placement, group width, SE ratio, input size, classes, BatchNorm epsilon, seed)
 *   long   p      payload length in bytes
 *   p bytes       payload: the network's {@code saveParameters} stream (DJL's parameter format)
 *   long          CRC-32 of the header and payload bytes
 * </pre>
 *
 * Loading checks the magic, the version, the lengths against the file size and the checksum before it parses
 * anything, rebuilds the architecture from the header, initialises it and loads the parameters; any failure is a
 * {@link WeightFileException} naming the file. Writing goes to a temporary file in the target directory, is forced to
 * disk, and is then moved over the target (atomically where the file system allows), so a reader never sees a
 * half-written file. The
 * Gumbel temperature is a training-time setting and is not stored (a loaded network has the constant temperature 1).
 */
public final class LaudModelFile {

    /** The current (and only readable) format version. */
    public static final int FORMAT_VERSION = 1;

    private static final Logger LOG = LoggerFactory.getLogger(LaudModelFile.class);
    private static final byte[] MAGIC = {'L', 'A', 'U', 'D', 'N', 'E', 'T', 0};
    private static final int MAX_HEADER_BYTES = 1 << 20;

    private LaudModelFile() {}

    /** The network families a file can hold. */
    public enum Architecture {
        /** A {@link LaudResNet}. */
        RESNET,
        /** A {@link LaudRegNet}. */
        REGNET
    }

    /**
     * A loaded network.
     *
     * @param architecture which family the file held
     * @param network the initialised network with its parameters, a {@link LaudResNet} or a {@link LaudRegNet}
     */
    public record LaudModel(Architecture architecture, AbstractBlock network) {

        /**
         * Returns the network as a ResNet.
         *
         * @return the network
         * @throws IllegalStateException if the file held another architecture
         */
        public LaudResNet resNet() {
            if (!(network instanceof LaudResNet r)) {
                throw new IllegalStateException("the model is a " + architecture + ", not a RESNET");
            }
            return r;
        }

        /**
         * Returns the network as a RegNet.
         *
         * @return the network
         * @throws IllegalStateException if the file held another architecture
         */
        public LaudRegNet regNet() {
            if (!(network instanceof LaudRegNet r)) {
                throw new IllegalStateException("the model is a " + architecture + ", not a REGNET");
            }
            return r;
        }
    }

    /**
     * Saves an initialised ResNet.
     *
     * @param file the target file (replaced if it exists)
     * @param net the network
     * @throws WeightFileException if the file cannot be written
     * @throws IllegalArgumentException if the network is not initialised
     */
    public static void save(Path file, LaudResNet net) throws WeightFileException {
        JsonObject h = new JsonObject();
        h.addProperty("architecture", Architecture.RESNET.name());
        h.addProperty("blockType", net.getBlockType().name());
        h.addProperty("stridePlacement", net.getStridePlacement().name());
        h.addProperty("convBias", net.hasConvBias());
        common(h, net.getStem(), net.getStages(), net.getInputSize(), net.getNumClasses(), net.getBatchNormEpsilon(),
                net.getSeed());
        write(file, h, net);
    }

    /**
     * Saves an initialised RegNet.
     *
     * @param file the target file (replaced if it exists)
     * @param net the network
     * @throws WeightFileException if the file cannot be written
     * @throws IllegalArgumentException if the network is not initialised
     */
    public static void save(Path file, LaudRegNet net) throws WeightFileException {
        JsonObject h = new JsonObject();
        h.addProperty("architecture", Architecture.REGNET.name());
        h.addProperty("groupWidth", net.getGroupWidth());
        h.addProperty("seRatio", net.getSeRatio());
        common(h, net.getStem(), net.getStages(), net.getInputSize(), net.getNumClasses(), net.getBatchNormEpsilon(),
                net.getSeed());
        write(file, h, net);
    }

    private static void common(JsonObject h, StemSpec stem, List<StageSpec> stages, int inputSize, int numClasses,
            float epsilon, long seed) {
        JsonObject s = new JsonObject();
        s.addProperty("inChannels", stem.inChannels());
        s.addProperty("channels", stem.channels());
        s.addProperty("kernel", stem.kernel());
        s.addProperty("stride", stem.stride());
        s.addProperty("maxPool", stem.maxPool());
        s.addProperty("maxPoolPadding", stem.maxPoolPadding());
        h.add("stem", s);
        JsonArray arr = new JsonArray();
        for (StageSpec st : stages) {
            JsonObject o = new JsonObject();
            o.addProperty("blocks", st.blocks());
            o.addProperty("width", st.width());
            o.addProperty("outChannels", st.outChannels());
            o.addProperty("stride", st.stride());
            GateSpec g = st.gate();
            JsonObject gate = new JsonObject();
            gate.addProperty("mode", g.mode().name());
            gate.addProperty("spatialGranularity", g.spatialGranularity());
            gate.addProperty("spatialGroups", g.spatialGroups());
            gate.addProperty("channelGroups", g.channelGroups());
            gate.addProperty("maskerKind", g.maskerKind().name());
            o.add("gate", gate);
            arr.add(o);
        }
        h.add("stages", arr);
        h.addProperty("inputSize", inputSize);
        h.addProperty("numClasses", numClasses);
        h.addProperty("batchNormEpsilon", epsilon);
        h.addProperty("seed", seed);
    }

    private static void write(Path file, JsonObject header, AbstractBlock net) throws WeightFileException {
        if (!net.isInitialized()) {
            throw new IllegalArgumentException("net must be initialised before it is saved");
        }
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        byte[] payload;
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (DataOutputStream dos = new DataOutputStream(bos)) {
                net.saveParameters(dos);
            }
            payload = bos.toByteArray();
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot serialise the network's parameters", e);
        }
        CRC32 crc = new CRC32();
        crc.update(headerBytes);
        crc.update(payload);
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = dir.resolve(target.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch)));
                out.write(MAGIC);
                out.writeInt(FORMAT_VERSION);
                out.writeInt(headerBytes.length);
                out.write(headerBytes);
                out.writeLong(payload.length);
                out.write(payload);
                out.writeLong(crc.getValue());
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot write the model file", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    LOG.warn("cannot delete temporary file {}", tmp, e);
                }
            }
        }
        LOG.debug("saved {} ({} header bytes, {} parameter bytes)", file, headerBytes.length, payload.length);
    }

    /**
     * Loads a model file: rebuilds the architecture from its header, initialises it on {@code manager} and loads its
     * parameters.
     *
     * @param file the model file
     * @param manager owner of the network's parameters
     * @return the network
     * @throws WeightFileException if the file is missing, not a LAUD model file, of an unknown version, truncated,
     *     corrupt, or its header or parameters do not describe a valid network
     */
    public static LaudModel load(Path file, NDManager manager) throws WeightFileException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new WeightFileException(file, "file does not exist", e);
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot read the model file", e);
        }
        if (bytes.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(bytes, MAGIC.length), MAGIC)) {
            throw new WeightFileException(file, "not a LAUD model file (bad magic)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        buf.position(MAGIC.length);
        if (buf.remaining() < 8) {
            throw new WeightFileException(file, "truncated: " + bytes.length + " bytes end inside the preamble");
        }
        int version = buf.getInt();
        if (version != FORMAT_VERSION) {
            throw new WeightFileException(file, "unsupported format version " + version + " (this library reads "
                    + FORMAT_VERSION + ")");
        }
        int headerLength = buf.getInt();
        if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES) {
            throw new WeightFileException(file, "invalid header length " + headerLength);
        }
        if (buf.remaining() < (long) headerLength + 8) {
            throw new WeightFileException(file, "truncated: " + bytes.length + " bytes end inside the header");
        }
        int headerStart = buf.position();
        buf.position(headerStart + headerLength);
        long payloadLength = buf.getLong();
        int payloadStart = buf.position();
        if (payloadLength < 0 || payloadLength != (long) buf.remaining() - 8) {
            throw new WeightFileException(file, "truncated or padded: the header announces " + payloadLength
                    + " parameter bytes but " + Math.max(0, buf.remaining() - 8) + " precede the checksum");
        }
        buf.position(payloadStart + (int) payloadLength);
        long storedCrc = buf.getLong();
        CRC32 crc = new CRC32();
        crc.update(bytes, headerStart, headerLength);
        crc.update(bytes, payloadStart, (int) payloadLength);
        if (crc.getValue() != storedCrc) {
            throw new WeightFileException(file, "checksum mismatch: the file is corrupt");
        }
        JsonObject header;
        try {
            header = JsonParser.parseString(new String(bytes, headerStart, headerLength, StandardCharsets.UTF_8))
                    .getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new WeightFileException(file, "header is not a JSON object", e);
        }
        LaudModel model;
        try {
            model = build(header);
        } catch (IllegalArgumentException | IllegalStateException | NullPointerException
                | UnsupportedOperationException | ClassCastException e) {
            throw new WeightFileException(file, "header does not describe a valid network: " + e.getMessage(), e);
        }
        AbstractBlock net = model.network();
        int size = header.get("inputSize").getAsInt();
        int channels = header.getAsJsonObject("stem").get("inChannels").getAsInt();
        try {
            net.initialize(manager, DataType.FLOAT32, new Shape(1, channels, size, size));
            try (DataInputStream in = new DataInputStream(
                    new ByteArrayInputStream(bytes, payloadStart, (int) payloadLength))) {
                net.loadParameters(manager, in);
                if (in.available() != 0) {
                    throw new WeightFileException(file, in.available() + " parameter bytes left unread");
                }
            }
        } catch (IOException | MalformedModelException | RuntimeException e) {
            throw new WeightFileException(file, "cannot load the parameters: " + e.getMessage(), e);
        }
        LOG.debug("loaded {} {} from {}", model.architecture(), header.get("stages"), file);
        return model;
    }

    private static LaudModel build(JsonObject h) {
        Architecture arch = Architecture.valueOf(str(h, "architecture"));
        JsonObject s = h.getAsJsonObject("stem");
        if (s == null) {
            throw new IllegalArgumentException("header has no stem");
        }
        StemSpec stem = new StemSpec(num(s, "inChannels"), num(s, "channels"), num(s, "kernel"), num(s, "stride"),
                s.get("maxPool").getAsBoolean(), num(s, "maxPoolPadding"));
        JsonArray arr = h.getAsJsonArray("stages");
        if (arr == null) {
            throw new IllegalArgumentException("header has no stages");
        }
        List<StageSpec> stages = new ArrayList<>();
        for (JsonElement e : arr) {
            JsonObject o = e.getAsJsonObject();
            JsonObject g = o.getAsJsonObject("gate");
            GateSpec gate = new GateSpec(GateMode.valueOf(str(g, "mode")), num(g, "spatialGranularity"),
                    num(g, "spatialGroups"), num(g, "channelGroups"), ChannelMaskerKind.valueOf(str(g, "maskerKind")));
            stages.add(new StageSpec(num(o, "blocks"), num(o, "width"), num(o, "outChannels"), num(o, "stride"), gate));
        }
        float epsilon = h.get("batchNormEpsilon").getAsFloat();
        long seed = h.get("seed").getAsLong();
        if (arch == Architecture.RESNET) {
            LaudResNet net = LaudResNet.builder()
                    .setStages(BlockType.valueOf(str(h, "blockType")), stages)
                    .optStridePlacement(StridePlacement.valueOf(str(h, "stridePlacement")))
                    .optConvBias(h.get("convBias").getAsBoolean())
                    .optStem(stem)
                    .optInputSize(num(h, "inputSize"))
                    .optNumClasses(num(h, "numClasses"))
                    .optBatchNormEpsilon(epsilon)
                    .optSeed(seed)
                    .build();
            return new LaudModel(arch, net);
        }
        LaudRegNet net = LaudRegNet.builder()
                .setStages(num(h, "groupWidth"), stages)
                .optSeRatio(h.get("seRatio").getAsDouble())
                .optStem(stem)
                .optInputSize(num(h, "inputSize"))
                .optNumClasses(num(h, "numClasses"))
                .optBatchNormEpsilon(epsilon)
                .optSeed(seed)
                .build();
        return new LaudModel(arch, net);
    }

    private static String str(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null) {
            throw new IllegalArgumentException("header has no field '" + key + "'");
        }
        return e.getAsString();
    }

    private static int num(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null) {
            throw new IllegalArgumentException("header has no field '" + key + "'");
        }
        return e.getAsInt();
    }
}
