package org.laudnet.models.io;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.zip.CRC32;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.util.AtomicFiles;
import org.laudnet.models.weights.WeightFileException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves and loads LAUD networks (any {@link GatedNetwork}, gates included) with their metadata as one versioned file.
 *
 * <p>Layout (big-endian, as DJL's own parameter streams):
 *
 * <pre>
 *   bytes  0..7   magic "LAUDNET" + 0x00
 *   int           format version ({@link #FORMAT_VERSION}; version 1 is still read)
 *   int    n      header length in bytes (at most {@value #MAX_HEADER_BYTES})
 *   n bytes       header: UTF-8 JSON with the architecture id and its family settings, the stem, the stage specs with
 *                 their gate specs, input size, classes, BatchNorm epsilon, seed, and optionally the image
 *                 preprocessing and the class labels ({@link ModelMetadata})
 *   long   p      payload length in bytes
 *   p bytes       payload: the network's {@code saveParameters} stream (DJL's parameter format)
 *   long          CRC-32 of the header and payload bytes
 * </pre>
 *
 * The architecture is rebuilt through an {@link ArchitectureRegistry} (the standard one unless another is given): the
 * header's id selects an {@link ArchitectureFactory}, which turns the recorded settings back into a block family, and
 * the network is rebuilt with {@link GatedBackbone#builder}. Version 1 files (architecture {@code "RESNET"} or
 * {@code "REGNET"} with the family settings at the top level, no metadata) are read as well.
 *
 * <p>Loading checks the magic, the version, the lengths against the file size and the checksum before it parses
 * anything, rebuilds the architecture from the header (whose sizes are bounded: stages, blocks, channels, input side,
 * classes), checks that the payload is large enough for the parameters the header implies before it allocates them,
 * initialises the network as the payload records (its input shape), checks that the payload has exactly the structure
 * of that network's own parameter stream and only finite values ({@link ParameterStreamCheck}: no count or length field
 * of the payload can make DJL allocate, and no parameter can be missing, mis-shaped or NaN) and then loads the
 * parameters; any failure is a {@link WeightFileException} naming the file (and the parameter, when one is concerned).
 * Writing is atomic and crash-safe through {@link AtomicFiles}: the file goes to a temporary file beside the target
 * ({@code .<name>.<random>.tmp}), is forced to disk and is then renamed over the target, so a reader, or the next run
 * after the writing process was killed at any moment, finds either the complete previous model file or the complete
 * new one; a temporary file left by a killed writer is never read, and the next save of the same target deletes it.
 * The Gumbel temperature is a
 * training-time setting and is not stored (a loaded network has the constant temperature 1). Stateless and thread-safe.
 */
public final class LaudModelFile {

    /**
     * The newest format version (versions 1 to 3 are read). Version 3 is written only for a network whose channel
     * gates use the reference's mask placement ({@code ChannelMaskPlacement.BEFORE_NORM}, recorded in the stage's
     * gate), so that a reader that does not know the placement refuses the file instead of running it wrongly; every
     * other network is written as version 2.
     */
    public static final int FORMAT_VERSION = 3;

    /** The version written for networks without the reference's channel mask placement. */
    static final int PLACEMENT_FREE_VERSION = 2;

    /** The largest header accepted, in bytes. */
    public static final int MAX_HEADER_BYTES = 16 << 20;

    private static final Logger LOG = LoggerFactory.getLogger(LaudModelFile.class);
    private static final byte[] MAGIC = {'L', 'A', 'U', 'D', 'N', 'E', 'T', 0};
    private static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 64L;

    /** The largest batch size a model file's parameter stream may record for the network's input. */
    static final int MAX_RECORDED_BATCH = 1 << 16;

    /** The fewest bytes a parameter takes in DJL's parameter stream (8-bit types; this library writes float32). */
    private static final int MIN_BYTES_PER_PARAMETER = 1;

    private LaudModelFile() {}

    /**
     * Saves an initialised network without metadata.
     *
     * @param file the target file (replaced if it exists)
     * @param net the network
     * @throws WeightFileException if the file cannot be written or the architecture is not registered
     * @throws IllegalArgumentException if the network is not initialised
     */
    public static void save(Path file, GatedNetwork net) throws WeightFileException {
        save(file, net, ModelMetadata.none());
    }

    /**
     * Saves an initialised network with its metadata, describing its architecture with the standard registry.
     *
     * @param file the target file (replaced if it exists)
     * @param net the network
     * @param metadata the preprocessing and labels to record
     * @throws WeightFileException if the file cannot be written or the architecture is not registered
     * @throws IllegalArgumentException if the network is not initialised or the metadata does not fit it (labels not
     *     one per class, preprocessing not producing the network's input)
     */
    public static void save(Path file, GatedNetwork net, ModelMetadata metadata) throws WeightFileException {
        save(file, net, metadata, ArchitectureRegistry.standard());
    }

    /**
     * Saves an initialised network with its metadata, describing its architecture with the given registry. The file
     * is replaced atomically; see the class description for what a reader sees if the writer is killed.
     *
     * @param file the target file (replaced if it exists)
     * @param net the network
     * @param metadata the preprocessing and labels to record
     * @param registry where the network family's factory is looked up
     * @throws WeightFileException if the file cannot be written or the architecture is not in the registry
     * @throws IllegalArgumentException if the network is not initialised or the metadata does not fit it
     */
    public static void save(Path file, GatedNetwork net, ModelMetadata metadata, ArchitectureRegistry registry)
            throws WeightFileException {
        if (file == null || net == null || metadata == null || registry == null) {
            throw new IllegalArgumentException("file, net, metadata and registry must not be null");
        }
        if (!net.isInitialized()) {
            throw new IllegalArgumentException("net must be initialised before it is saved");
        }
        metadata.checkFits(net);
        ArchitectureFactory factory = registry.require(net.getFamily().id(), file);
        JsonObject header = ModelHeader.encode(net, factory, metadata);
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        if (headerBytes.length > MAX_HEADER_BYTES) {
            throw new WeightFileException(file, "the header would have " + headerBytes.length + " bytes, at most "
                    + MAX_HEADER_BYTES + " are allowed");
        }
        byte[] payload;
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (DataOutputStream dos = new DataOutputStream(bos)) {
                net.saveParameters(dos);
            }
            payload = bos.toByteArray();
        } catch (WeightFileException e) {
            throw e;
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot serialise the network's parameters", e);
        }
        boolean beforeNorm = net.getStages().stream()
                .anyMatch(st -> st.gate().channelMaskPlacement() == ChannelMaskPlacement.BEFORE_NORM);
        write(file, beforeNorm ? FORMAT_VERSION : PLACEMENT_FREE_VERSION, headerBytes, payload);
        LOG.debug("saved {} {} ({} header bytes, {} parameter bytes)", net.getFamily().id(), file, headerBytes.length,
                payload.length);
    }

    private static void write(Path file, int version, byte[] headerBytes, byte[] payload) throws WeightFileException {
        CRC32 crc = new CRC32();
        crc.update(headerBytes);
        crc.update(payload);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            AtomicFiles.write(file, os -> {
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os));
                out.write(MAGIC);
                out.writeInt(version);
                out.writeInt(headerBytes.length);
                out.write(headerBytes);
                out.writeLong(payload.length);
                out.write(payload);
                out.writeLong(crc.getValue());
                out.flush();
            });
        } catch (WeightFileException e) {
            throw e;
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot write the model file", e);
        }
    }

    /**
     * Loads a model file through the standard registry: rebuilds the architecture from its header, initialises it on
     * {@code manager} and loads its parameters.
     *
     * @param file the model file
     * @param manager owner of the network's parameters
     * @return the network and its metadata
     * @throws WeightFileException if the file is missing, not a LAUD model file, of an unknown version, truncated,
     *     corrupt, of an unknown architecture, or its header or parameters do not describe a valid network (a
     *     parameter that is missing, mis-shaped or not finite is named)
     */
    public static LoadedNetwork load(Path file, NDManager manager) throws WeightFileException {
        return load(file, manager, ArchitectureRegistry.standard());
    }

    /**
     * Loads a model file, looking its architecture up in the given registry.
     *
     * @param file the model file
     * @param manager owner of the network's parameters
     * @param registry where the header's architecture id is looked up
     * @return the network and its metadata
     * @throws WeightFileException if the file is missing, not a LAUD model file, of an unknown version, truncated,
     *     corrupt, of an architecture the registry does not know, or its header or parameters do not describe a
     *     valid network (a parameter that is missing, mis-shaped or not finite is named)
     */
    public static LoadedNetwork load(Path file, NDManager manager, ArchitectureRegistry registry)
            throws WeightFileException {
        if (file == null || manager == null || registry == null) {
            throw new IllegalArgumentException("file, manager and registry must not be null");
        }
        byte[] bytes = readAll(file);
        if (bytes.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(bytes, MAGIC.length), MAGIC)) {
            throw new WeightFileException(file, "not a LAUD model file (bad magic)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        buf.position(MAGIC.length);
        if (buf.remaining() < 8) {
            throw new WeightFileException(file, "truncated: " + bytes.length + " bytes end inside the preamble");
        }
        int version = buf.getInt();
        if (version < 1 || version > FORMAT_VERSION) {
            throw new WeightFileException(file, "unsupported format version " + version + " (this library reads 1 to "
                    + FORMAT_VERSION + ")");
        }
        int headerLength = buf.getInt();
        if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES) {
            throw new WeightFileException(file, "invalid header length " + headerLength + " (at most "
                    + MAX_HEADER_BYTES + " bytes)");
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
        JsonObject header = parse(file, new String(bytes, headerStart, headerLength, StandardCharsets.UTF_8));
        ModelHeader.Decoded decoded;
        GatedBackbone net;
        double minParameters;
        try {
            decoded = ModelHeader.decode(header, version, registry, file);
            net = decoded.build();
            minParameters = ModelHeader.minParameters(net);
        } catch (RuntimeException e) {
            // the builders report invalid settings as IllegalArgumentException; anything else a header provokes in
            // them is refused the same way, with its class named
            throw new WeightFileException(file, "header does not describe a valid network: "
                    + (e instanceof IllegalArgumentException ? "" : e.getClass().getSimpleName() + ": ")
                    + e.getMessage(), e);
        }
        // initialising allocates (and fills) every parameter: first make sure the file can hold them
        if (minParameters * MIN_BYTES_PER_PARAMETER > payloadLength) {
            throw new WeightFileException(file, String.format(Locale.ROOT, "the header describes a network of at"
                    + " least %.0f parameters (%d classes, input %d x %d), but the file has only %d parameter bytes",
                    minParameters, net.getNumClasses(), net.getInputSize(), net.getInputSize(), payloadLength));
        }
        Shape input = recordedInput(file, net, bytes, payloadStart, (int) payloadLength);
        try {
            net.initialize(manager, DataType.FLOAT32, input);
        } catch (RuntimeException e) {
            throw new WeightFileException(file, "cannot initialise the network the header describes: "
                    + e.getMessage(), e);
        }
        // the parameter stream must have exactly the structure of the network just built, with finite values,
        // before DJL reads it (DJL allocates what the stream's own length fields declare)
        Optional<ParameterStreamCheck.Problem> problem =
                ParameterStreamCheck.verify(net, bytes, payloadStart, (int) payloadLength);
        if (problem.isPresent()) {
            ParameterStreamCheck.Problem p = problem.get();
            throw new WeightFileException(file, p.parameter(), "cannot load the parameters: "
                    + (p.kind() == ParameterStreamCheck.ProblemKind.NON_FINITE ? ""
                            : "the parameter stream does not match the network the header describes: ")
                    + p.detail() + " (byte " + (payloadStart + p.offset()) + " of the file)", null);
        }
        try (DataInputStream in = new DataInputStream(
                new ByteArrayInputStream(bytes, payloadStart, (int) payloadLength))) {
            net.loadParameters(manager, in);
            if (in.available() != 0) {
                throw new WeightFileException(file, in.available() + " parameter bytes left unread");
            }
        } catch (WeightFileException e) {
            throw e;
        } catch (IOException | MalformedModelException | RuntimeException e) {
            throw new WeightFileException(file, "cannot load the parameters: " + e.getMessage(), e);
        }
        LOG.debug("loaded {} (format {}) {} from {}", net.getFamily().id(), version, header.get("stages"), file);
        return new LoadedNetwork(net, decoded.metadata());
    }

    /**
     * The input shape the network in the payload was initialised with: DJL records it in the parameter stream, and
     * the network must be initialised alike for its stream to be compared. It must be {@code (B, C, S, S)} with the
     * header's channels and input side and {@code 1 <= B <= }{@value #MAX_RECORDED_BATCH}.
     */
    private static Shape recordedInput(Path file, GatedBackbone net, byte[] bytes, int offset, int length)
            throws WeightFileException {
        Shape[] shapes;
        try {
            shapes = ParameterStreamCheck.recordedInputShapes(bytes, offset, length);
        } catch (IllegalArgumentException e) {
            throw new WeightFileException(file, "cannot load the parameters: the parameter stream does not start "
                    + "with the network's input shape: " + e.getMessage(), e);
        }
        int size = net.getInputSize();
        int channels = net.getStem().inChannels();
        Shape s = shapes.length == 1 ? shapes[0] : null;
        if (s == null || s.dimension() != 4 || s.get(0) < 1 || s.get(0) > MAX_RECORDED_BATCH || s.get(1) != channels
                || s.get(2) != size || s.get(3) != size) {
            throw new WeightFileException(file, "cannot load the parameters: the parameter stream records the input "
                    + "shapes " + Arrays.toString(shapes) + ", the header describes one input (B, " + channels + ", "
                    + size + ", " + size + ") with 1 <= B <= " + MAX_RECORDED_BATCH);
        }
        return s;
    }

    private static byte[] readAll(Path file) throws WeightFileException {
        if (Files.isDirectory(file)) {
            throw new WeightFileException(file, "is a directory, not a model file");
        }
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new WeightFileException(file, "file has " + size + " bytes, more than a model file may have ("
                        + MAX_FILE_BYTES + ")");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new WeightFileException(file, "file does not exist", e);
        } catch (WeightFileException e) {
            throw e;
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot read the model file", e);
        }
    }

    private static JsonObject parse(Path file, String text) throws WeightFileException {
        try {
            JsonElement e = JsonParser.parseString(text);
            if (!e.isJsonObject()) {
                throw new WeightFileException(file, "header is not a JSON object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new WeightFileException(file, "header is not a JSON object", e);
        }
    }
}
