package org.laudnet.models.train;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32;
import org.laudnet.core.util.AtomicFiles;
import org.laudnet.models.io.ParameterStreamCheck;

/**
 * Training checkpoints: the block's parameters ({@link Block#saveParameters}) with the {@link CheckpointState}.
 *
 * <p>File layout (big-endian): magic {@code "LAUDCKPT"} (8 bytes), format version (int32, {@value #VERSION}), epoch
 * (int32), update (int32), temperature (float32), payload length (int64), payload (the block's parameter stream),
 * optimizer-state length (int64, 0 when none), optimizer state ({@link OptimizerState#write}), CRC-32 of everything
 * before it (int64). Version 1 files (written before the optimizer state was saved: no optimizer-state length) are
 * still read; they resume with a fresh optimizer.
 *
 * <p>Writing is atomic and crash-safe through {@link AtomicFiles}: the current {@code <file>} (if any) is first copied
 * to {@code <file>.prev} atomically, then the new checkpoint is written to a temporary file beside {@code <file>}
 * ({@code .<name>.<random>.tmp}), forced to disk and renamed over {@code <file>}. Whenever the writing process stops
 * (an exception, or a kill at any moment), {@code <file>} and {@code <file>.prev} each hold a complete checkpoint: the
 * previous one or the new one, which {@link #load} verifies by its CRC-32. A temporary file a killed writer left
 * behind is never read, and the next {@link #save} of the same file deletes it.
 *
 * <p>Reading treats the file as untrusted: its size, the declared lengths and the checksum are checked before anything
 * is parsed, the optimizer state's arrays are bounded by the bytes that hold them, and before the parameters are loaded
 * into a block their stream must have exactly the structure of the block's own parameters with finite values
 * ({@link ParameterStreamCheck}); every refusal is a {@link CheckpointException} naming the file.
 *
 * <p>The optimizer state (SGD momentum, AdamW moments and per-parameter update counts of a {@link StatefulOptimizer})
 * is saved keyed by parameter name, so a resumed run continues with the same buffers.
 */
public final class Checkpoint {

    /** The format version written. */
    public static final int VERSION = 2;

    /** The first format version, without optimizer state; still readable. */
    public static final int VERSION_1 = 1;

    private static final byte[] MAGIC = "LAUDCKPT".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = 8 + 4 + 4 + 4 + 4 + 8;

    /** The largest checkpoint file read, in bytes (the whole file is held in one array). */
    static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 64L;

    /** Writes a checkpoint payload; used to inject the parameter stream. */
    @FunctionalInterface
    interface PayloadWriter {
        void write(DataOutputStream out) throws IOException;
    }

    private Checkpoint() {}

    /**
     * Atomically writes a checkpoint, keeping the replaced one as {@code <file>.prev}; crash-safe (see the class
     * description): a stale temporary file of an earlier, killed write is deleted first.
     *
     * @param file the checkpoint file
     * @param block the initialised block whose parameters are saved
     * @param state the training state
     * @throws IOException if writing fails (the previous checkpoint is then untouched)
     */
    public static void save(Path file, Block block, CheckpointState state) throws IOException {
        save(file, block, state, null);
    }

    /**
     * Atomically writes a checkpoint with the optimizer's state, keeping the replaced one as {@code <file>.prev};
     * crash-safe (see the class description).
     *
     * @param file the checkpoint file
     * @param block the initialised block whose parameters are saved
     * @param state the training state
     * @param optimizer the optimizer state, or null for none
     * @throws IOException if writing fails (the previous checkpoint is then untouched)
     */
    public static void save(Path file, Block block, CheckpointState state, OptimizerState optimizer)
            throws IOException {
        if (block == null) {
            throw new IllegalArgumentException("block must not be null");
        }
        write(file, state, block::saveParameters, optimizer);
    }

    static void write(Path file, CheckpointState state, PayloadWriter payload) throws IOException {
        write(file, state, payload, null);
    }

    static void write(Path file, CheckpointState state, PayloadWriter payload, OptimizerState optimizer)
            throws IOException {
        if (file == null || state == null) {
            throw new IllegalArgumentException("file and state must not be null");
        }
        ByteArrayOutputStream params = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(params)) {
            payload.write(out);
        }
        byte[] p = params.toByteArray();
        byte[] o = new byte[0];
        if (optimizer != null) {
            ByteArrayOutputStream opt = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(opt)) {
                optimizer.write(out);
            }
            o = opt.toByteArray();
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream(p.length + o.length + HEADER + 16);
        DataOutputStream out = new DataOutputStream(all);
        out.write(MAGIC);
        out.writeInt(VERSION);
        out.writeInt(state.epoch());
        out.writeInt(state.update());
        out.writeFloat(state.temperature());
        out.writeLong(p.length);
        out.write(p);
        out.writeLong(o.length);
        out.write(o);
        CRC32 crc = new CRC32();
        crc.update(all.toByteArray());
        out.writeLong(crc.getValue());
        out.flush();

        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        byte[] bytes = all.toByteArray();
        if (Files.exists(file)) {
            AtomicFiles.write(sibling(file, ".prev"), os -> Files.copy(file, os));
        }
        AtomicFiles.write(file, os -> os.write(bytes));
    }

    /**
     * Returns the file next to {@code file} with a suffix appended to its name ({@code .prev}, {@code .tmp}).
     *
     * @param file the checkpoint file
     * @param suffix the suffix
     * @return the sibling path
     */
    public static Path sibling(Path file, String suffix) {
        return file.resolveSibling(file.getFileName().toString() + suffix);
    }

    /**
     * Reads and verifies a checkpoint, then loads its parameters into {@code block}. The whole file is verified before
     * any parameter is touched.
     *
     * @param file the checkpoint file
     * @param block the block (same architecture, initialised)
     * @param manager manager for the loaded arrays
     * @return the training state
     * @throws CheckpointException if the file is not a checkpoint, has an unknown version, is truncated or corrupt, or
     *     does not fit the block (the message names the file); the block then keeps its own parameters
     * @throws IOException if the file cannot be read
     */
    public static CheckpointState load(Path file, Block block, NDManager manager) throws IOException {
        return loadAll(file, block, manager).state();
    }

    /**
     * Like {@link #load}, and also returns the saved optimizer state (if the checkpoint has one).
     *
     * @param file the checkpoint file
     * @param block the block (same architecture, initialised)
     * @param manager manager for the loaded arrays
     * @return the verified contents (state, parameter payload, optimizer state)
     * @throws CheckpointException if the file is invalid or does not fit the block (the block keeps its parameters)
     * @throws IOException if the file cannot be read
     */
    public static CheckpointContent loadAll(Path file, Block block, NDManager manager) throws IOException {
        CheckpointContent c = read(file);
        Map<String, Shape> shapes = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (!p.getValue().isInitialized()) {
                throw new IllegalArgumentException("block must be initialised before loading, parameter "
                        + p.getKey() + " is not");
            }
            shapes.put(p.getKey(), p.getValue().getArray().getShape());
        }
        // the payload must have exactly the structure of the block's own parameters, with finite values, before DJL
        // reads it (DJL allocates what the stream's length fields declare and accepts any shape)
        Optional<ParameterStreamCheck.Problem> mismatch =
                ParameterStreamCheck.verify(block, c.payload(), 0, c.payload().length);
        if (mismatch.isPresent()) {
            ParameterStreamCheck.Problem p = mismatch.get();
            throw new CheckpointException(file, p.kind() == ParameterStreamCheck.ProblemKind.NON_FINITE
                    ? "parameter '" + p.parameter() + "' is not finite: " + p.describe()
                    : "parameters do not fit the block: " + p.describe(), null);
        }
        ByteArrayOutputStream backup = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(backup)) {
            block.saveParameters(out);
        }
        String problem;
        Exception cause = null;
        try {
            block.loadParameters(manager, new DataInputStream(new ByteArrayInputStream(c.payload())));
            problem = shapeMismatch(block, shapes);
        } catch (MalformedModelException | IOException | RuntimeException e) {
            problem = e.getMessage();
            cause = e;
        }
        if (problem != null) {
            try {
                block.loadParameters(manager, new DataInputStream(new ByteArrayInputStream(backup.toByteArray())));
            } catch (MalformedModelException e) {
                throw new IllegalStateException("could not restore the block's own parameters", e);
            }
            throw new CheckpointException(file, "parameters do not fit the block: " + problem, cause);
        }
        return c;
    }

    private static String shapeMismatch(Block block, Map<String, Shape> expected) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            Shape want = expected.get(p.getKey());
            Shape got = p.getValue().getArray().getShape();
            if (!got.equals(want)) {
                return "parameter " + p.getKey() + " has shape " + got + " in the checkpoint, " + want + " in the block";
            }
        }
        return null;
    }

    /**
     * Reads and verifies a checkpoint's header, payload and checksum without loading parameters.
     *
     * @param file the checkpoint file
     * @return the state and the parameter payload
     * @throws CheckpointException if the file is not a valid checkpoint
     * @throws IOException if the file cannot be read
     */
    public static CheckpointContent read(Path file) throws IOException {
        if (file == null) {
            throw new IllegalArgumentException("file must not be null");
        }
        if (Files.isDirectory(file)) {
            throw new CheckpointException(file, "is a directory, not a checkpoint file", null);
        }
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) {
            throw new CheckpointException(file, "has " + size + " bytes, more than a checkpoint may have ("
                    + MAX_FILE_BYTES + ")", null);
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length >= MAGIC.length && !Arrays.equals(Arrays.copyOf(bytes, MAGIC.length), MAGIC)) {
            throw new CheckpointException(file, "not a LAUDNet checkpoint (bad magic)", null);
        }
        if (bytes.length < HEADER + 8) {
            throw new CheckpointException(file, "truncated: " + bytes.length + " bytes, shorter than the header", null);
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        buf.position(MAGIC.length);
        int version = buf.getInt();
        if (version != VERSION && version != VERSION_1) {
            throw new CheckpointException(file, "unsupported format version " + version + " (expected " + VERSION_1
                    + " or " + VERSION + ")", null);
        }
        int epoch = buf.getInt();
        int update = buf.getInt();
        float temperature = buf.getFloat();
        long len = buf.getLong();
        long available = bytes.length - HEADER - 8L - (version == VERSION ? 8L : 0L);
        if (len < 0 || (version == VERSION_1 ? len != available : len > available)) {
            throw new CheckpointException(file, "truncated or corrupt: header announces " + len
                    + " parameter bytes, file holds " + Math.max(0, available), null);
        }
        long optLen = 0;
        if (version == VERSION) {
            optLen = ByteBuffer.wrap(bytes, HEADER + (int) len, 8).getLong();
            if (optLen != available - len) {
                throw new CheckpointException(file, "truncated or corrupt: header announces " + optLen
                        + " optimizer-state bytes, file holds " + (available - len), null);
            }
        }
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 8);
        long stored = ByteBuffer.wrap(bytes, bytes.length - 8, 8).getLong();
        if (stored != crc.getValue()) {
            throw new CheckpointException(file, "corrupt: CRC-32 mismatch", null);
        }
        byte[] payload = Arrays.copyOfRange(bytes, HEADER, HEADER + (int) len);
        OptimizerState optimizer = null;
        if (optLen > 0) {
            int from = HEADER + (int) len + 8;
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, from, (int) optLen))) {
                optimizer = OptimizerState.read(in, optLen);
                if (in.available() != 0) {
                    throw new CheckpointException(file, "corrupt optimizer state: " + in.available()
                            + " bytes follow it", null);
                }
            } catch (CheckpointException e) {
                throw e;
            } catch (IOException | IllegalArgumentException e) {
                throw new CheckpointException(file, "corrupt optimizer state: " + e.getMessage(), e);
            }
        }
        if (!(temperature > 0) || Float.isInfinite(temperature)) {
            throw new CheckpointException(file, "corrupt state: the Gumbel temperature must be finite and positive, got "
                    + temperature, null);
        }
        CheckpointState state;
        try {
            state = new CheckpointState(epoch, update, temperature);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, "corrupt state: " + e.getMessage(), e);
        }
        return new CheckpointContent(state, payload, Optional.ofNullable(optimizer));
    }

    /**
     * A verified checkpoint's contents.
     *
     * @param state the training state
     * @param payload the parameter stream of {@link Block#saveParameters}
     * @param optimizer the optimizer state (empty for version 1 files and for checkpoints saved without one)
     */
    public record CheckpointContent(CheckpointState state, byte[] payload, Optional<OptimizerState> optimizer) {}

}
