package org.laudnet.models.weights.torch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the legacy checkpoint format of PyTorch before 1.6 ({@code torch.save(..., _use_new_zipfile_serialization=
 * False)}): five pickles in a row, then the storages. Layout:
 *
 * <pre>
 *   pickle: the magic number 0x1950a86a20f9469cfc6c     pickle: the protocol version 1001
 *   pickle: sys_info {protocol_version, little_endian, type_sizes}
 *   pickle: the object, storages as persistent ids ('storage', torch.&lt;Type&gt;Storage, key, location, numel, None)
 *   pickle: the storage keys, sorted
 *   per key: numel as a little-endian int64, then numel * element size bytes (little-endian)
 * </pre>
 *
 * The object pickle is read twice by the {@link RestrictedUnpickler}: a dry run that checks every view against its
 * persistent id and collects the storages, then, once the storage section has been checked against them (every key
 * referenced, sizes equal, the section ending with the file), the real read. Storage views (view metadata, PyTorch
 * before 1.0) and big-endian files are refused. The whole file is read into memory (its size checked first).
 * Stateless and thread-safe.
 */
final class LegacyCheckpointReader {

    /** The magic-number pickle of protocol 2 (LONG1 of 10 bytes, STOP). */
    private static final byte[] MAGIC = {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46,
        (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19, 0x2e};
    /** The protocol-version pickle of protocol 2 (BININT2 1001, STOP). */
    private static final byte[] VERSION = {(byte) 0x80, 2, 0x4d, (byte) 0xe9, 3, 0x2e};

    private LegacyCheckpointReader() {}

    /** Whether the file starts with the legacy magic-number pickle. */
    static boolean isLegacy(byte[] head, int n) {
        return n >= MAGIC.length && Arrays.equals(head, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /** The number of bytes {@link #isLegacy} needs. */
    static int headLength() {
        return MAGIC.length;
    }

    static TorchCheckpoint read(Path file) throws TorchCheckpointException {
        byte[] data;
        try {
            long size = Files.size(file);
            if (size > Integer.MAX_VALUE - 8) {
                throw new TorchCheckpointException(file, "a legacy checkpoint of " + size + " bytes is larger than"
                        + " this reader holds in memory; re-save it with PyTorch 1.6 or later");
            }
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            throw e instanceof TorchCheckpointException t ? t
                    : new TorchCheckpointException(file, null, "cannot read: " + e, e);
        }
        int p = MAGIC.length;
        if (data.length < p + VERSION.length || !Arrays.equals(data, p, p + VERSION.length, VERSION, 0,
                VERSION.length)) {
            throw new TorchCheckpointException(file, "a legacy checkpoint must hold protocol version 1001 after its"
                    + " magic number; re-save it with PyTorch 1.6 or later");
        }
        p += VERSION.length;
        RestrictedUnpickler.StorageSource none = (key, dtype, numel) -> {
            throw new TorchCheckpointException(file, null, "a storage outside the object pickle", null);
        };
        RestrictedUnpickler info = new RestrictedUnpickler(file, data, p, none, 0, false);
        Object sysInfo = info.read();
        if (!(sysInfo instanceof Map<?, ?> m) || !Boolean.TRUE.equals(m.get("little_endian"))) {
            throw new TorchCheckpointException(file, "legacy sys_info must be a dict with little_endian True, got "
                    + RestrictedUnpickler.type(sysInfo) + "; big-endian legacy files are not read");
        }
        int objectStart = info.position();
        long budget = 2L * data.length + (1 << 20);
        RestrictedUnpickler dry = new RestrictedUnpickler(file, data, objectStart,
                (key, dtype, numel) -> new TorchStorage(key, dtype, numel, null), budget, true);
        dry.read();
        Map<String, TorchStorage> referenced = dry.storages();
        RestrictedUnpickler keysReader = new RestrictedUnpickler(file, data, dry.position(), none, 0, false);
        Object keys = keysReader.read();
        if (!(keys instanceof List<?> list)) {
            throw new TorchCheckpointException(file, "the legacy storage key pickle must be a list, got "
                    + RestrictedUnpickler.type(keys));
        }
        Map<String, TorchStorage> storages = new HashMap<>();
        Set<String> seen = new HashSet<>();
        long q = keysReader.position();
        for (Object k : list) {
            TorchStorage ref = k instanceof String key ? referenced.get(key) : null;
            if (ref == null || !seen.add((String) k)) {
                throw new TorchCheckpointException(file, "legacy storage key " + k + " is "
                        + (ref == null ? "not referenced by the object pickle" : "listed twice"));
            }
            if (q + 8 > data.length) {
                throw new TorchCheckpointException(file, "storage " + k, "the file ends before the storage's size"
                        + " (truncated)", null);
            }
            long numel = ByteBuffer.wrap(data, (int) q, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            long bytes = ref.numel() * ref.dtype().bytes();
            if (numel != ref.numel() || bytes > data.length - q - 8) {
                throw new TorchCheckpointException(file, "storage " + k, "holds " + numel + " elements of which "
                        + (data.length - q - 8) + " bytes are in the file; its persistent id says " + ref.numel()
                        + " " + ref.dtype() + " elements (truncated or corrupt)", null);
            }
            ByteBuffer slice = ByteBuffer.wrap(data, (int) q + 8, (int) bytes).slice().order(ByteOrder.LITTLE_ENDIAN);
            storages.put((String) k, new TorchStorage((String) k, ref.dtype(), ref.numel(), slice));
            q += 8 + bytes;
        }
        if (storages.size() != referenced.size() || q != data.length) {
            throw new TorchCheckpointException(file, q != data.length ? (data.length - q) + " bytes follow the last"
                    + " legacy storage" : "the object pickle references storages the key list does not name");
        }
        RestrictedUnpickler object = new RestrictedUnpickler(file, data, objectStart,
                (key, dtype, numel) -> storages.get(key), budget, false);
        return new TorchCheckpoint(file, object.read());
    }
}
