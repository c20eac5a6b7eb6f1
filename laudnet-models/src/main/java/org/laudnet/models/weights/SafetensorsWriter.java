package org.laudnet.models.weights;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes float tensors as a safetensors file of dtype {@code F32} (the layout is described in
 * {@link SafetensorsReader}).
 *
 * <p>Tensors are stored in the order given, contiguously: tensor {@code k} occupies data bytes
 * {@code [4 * sum_{j<k} n_j, 4 * sum_{j<=k} n_j)} with {@code n_j = prod(shape_j)}. The JSON header is padded with
 * spaces to a multiple of 8 bytes so that the data section starts 8-byte aligned. Metadata, when present, is written
 * as the {@code "__metadata__"} object.
 *
 * <p>Writing is atomic: the bytes go to a temporary file in the target directory, are forced to disk, and the
 * temporary file is then renamed over the target; a failed write leaves any previous file untouched and no
 * temporary file behind.
 */
public final class SafetensorsWriter {

    private static final Logger LOG = LoggerFactory.getLogger(SafetensorsWriter.class);
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    private static final int CHUNK_FLOATS = 1 << 18;

    private SafetensorsWriter() {}

    /**
     * Writes tensors and their metadata.
     *
     * @param file the target file; its parent directory must exist
     * @param tensors the tensors (order and metadata are kept)
     * @throws WeightFileException if the file cannot be written
     */
    public static void write(Path file, TensorFile tensors) throws WeightFileException {
        if (file == null) {
            throw new IllegalArgumentException("file must not be null");
        }
        if (tensors == null) {
            throw new IllegalArgumentException("tensors must not be null");
        }
        byte[] header = header(tensors);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
                writeFully(ch, len.flip());
                writeFully(ch, ByteBuffer.wrap(header));
                ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (NamedTensor t : tensors.tensors()) {
                    float[] data = t.data();
                    for (int off = 0; off < data.length; off += CHUNK_FLOATS) {
                        int n = Math.min(CHUNK_FLOATS, data.length - off);
                        buf.clear();
                        buf.asFloatBuffer().put(data, off, n);
                        buf.limit(n * 4);
                        writeFully(ch, buf);
                    }
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            LOG.debug("wrote {} tensors ({} values) to {}", tensors.size(), tensors.totalValues(), file);
        } catch (WeightFileException e) {
            throw e;
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot write: " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    LOG.warn("could not delete temporary file {}", tmp, e);
                }
            }
        }
    }

    /**
     * The JSON header for {@code tensors}, UTF-8 encoded and space-padded to a multiple of 8 bytes.
     *
     * @param tensors the tensors
     * @return the header bytes (without the 8-byte length prefix)
     */
    static byte[] header(TensorFile tensors) {
        JsonObject root = new JsonObject();
        if (!tensors.metadata().isEmpty()) {
            JsonObject meta = new JsonObject();
            for (Map.Entry<String, String> e : tensors.metadata().entrySet()) {
                meta.addProperty(e.getKey(), e.getValue());
            }
            root.add(SafetensorsReader.METADATA_KEY, meta);
        }
        long offset = 0;
        for (NamedTensor t : tensors.tensors()) {
            if (SafetensorsReader.METADATA_KEY.equals(t.name())) {
                throw new IllegalArgumentException("tensor name '" + t.name()
                        + "' is reserved for the metadata object");
            }
            JsonObject entry = new JsonObject();
            entry.addProperty("dtype", SafetensorsDType.F32.name());
            JsonArray shape = new JsonArray();
            for (long d : t.shape()) {
                shape.add(d);
            }
            entry.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offset += 4L * t.numel();
            offsets.add(offset);
            entry.add("data_offsets", offsets);
            root.add(t.name(), entry);
        }
        byte[] json = GSON.toJson(root).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) {
            out[i] = ' ';
        }
        return out;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
