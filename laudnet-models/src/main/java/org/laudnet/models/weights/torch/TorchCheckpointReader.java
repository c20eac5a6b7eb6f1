package org.laudnet.models.weights.torch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads PyTorch checkpoint files written by {@code torch.save} (PyTorch 1.6 and later): a zip archive whose entries sit
 * under one top-level folder {@code <archive>/}: {@code data.pkl} (the pickled object: a state dict, or a checkpoint
 * dict holding one), {@code data/<key>} (the raw bytes of each tensor storage), {@code byteorder} ({@code little} or
 * {@code big}; little when absent) and {@code version}.
 *
 * <p>The pickle is read by a restricted reader that accepts only what a state dict needs (see
 * {@link UnsafePickleException}): nothing the file names is ever imported or executed. Tensors are materialised dense
 * and row-major whatever their strides and offsets ({@link TorchTensor}); float32, float64, float16, bfloat16 and the
 * integer and boolean types are read.
 *
 * <p>Every size is checked before it is allocated: entries must be stored uncompressed (as {@code torch.save} writes
 * them) so their sizes are bounded by the file; {@code data.pkl} is at most {@link #MAX_PICKLE_BYTES}; a storage entry
 * must hold exactly {@code numel * element size} bytes of its persistent id; views must lie inside their storage; the
 * pickle's stack, memo, nesting and lengths are bounded. The legacy format of PyTorch before 1.6
 * (a stream of pickles followed by the storages, protocol 2, little-endian) is read too, by the same restricted
 * reader ({@code LegacyCheckpointReader}); storage views of PyTorch before 1.0 are refused with a message saying to
 * re-save the file with a newer PyTorch. Every refusal is a
 * {@link TorchCheckpointException} naming the file and the entry or value. Stateless and thread-safe.
 */
public final class TorchCheckpointReader {

    /** The largest {@code data.pkl} accepted, in bytes (a state dict's pickle is a few hundred KB). */
    public static final long MAX_PICKLE_BYTES = 64L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(TorchCheckpointReader.class);
    private static final int MAX_SMALL_ENTRY = 64;

    private TorchCheckpointReader() {}

    /**
     * Reads a checkpoint.
     *
     * @param file the {@code .pth}, {@code .pt} or {@code .pth.tar} file
     * @return the unpickled root object and its tensors
     * @throws TorchCheckpointException if the file is missing, not a PyTorch zip checkpoint, truncated, corrupt, or its
     *     pickle is refused ({@link UnsafePickleException} for a global a state dict does not need)
     */
    public static TorchCheckpoint read(Path file) throws TorchCheckpointException {
        if (file == null) {
            throw new IllegalArgumentException("file must not be null");
        }
        if (checkMagic(file)) {
            return LegacyCheckpointReader.read(file);
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String prefix = archivePrefix(file, zip);
            ByteOrder order = byteOrder(file, zip, prefix);
            String version = small(file, zip, prefix + "version");
            if (version != null && !version.trim().matches("[1-9][0-9]{0,2}")) {
                throw new TorchCheckpointException(file, prefix + "version", "version must be a small positive"
                        + " integer, got '" + version.trim() + "'", null);
            }
            ZipEntry pkl = zip.getEntry(prefix + "data.pkl");
            byte[] pickle = readEntry(file, zip, pkl, MAX_PICKLE_BYTES);
            long storageBytes = storageBytes(zip, prefix);
            // elements of all materialised tensors: at most twice the storages' bytes (views may overlap), plus slack
            long budget = 2 * storageBytes + (1 << 20);
            RestrictedUnpickler unpickler = new RestrictedUnpickler(file, pickle,
                    (key, dtype, numel) -> storage(file, zip, prefix, key, dtype, numel, order), budget);
            Object root = unpickler.read();
            LOG.debug("read {}: archive {}, version {}, {} byte order", file, prefix, version, order);
            return new TorchCheckpoint(file, root);
        } catch (TorchCheckpointException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new TorchCheckpointException(file, "no such file");
        } catch (ZipException e) {
            throw new TorchCheckpointException(file, null, "not a valid zip archive (truncated or corrupt): "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new TorchCheckpointException(file, null, "cannot read: " + e, e);
        }
    }

    /** Returns whether the file is in the legacy format; refuses files that are neither zip nor legacy. */
    private static boolean checkMagic(Path file) throws TorchCheckpointException {
        byte[] head = new byte[Math.max(4, LegacyCheckpointReader.headLength())];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, head.length);
        } catch (NoSuchFileException e) {
            throw new TorchCheckpointException(file, "no such file");
        } catch (IOException e) {
            throw new TorchCheckpointException(file, null, "cannot read: " + e, e);
        }
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            return false;
        }
        if (LegacyCheckpointReader.isLegacy(head, n)) {
            return true;
        }
        if (n >= 2 && (head[0] & 0xff) == 0x80) {
            throw new TorchCheckpointException(file, "a pickle stream without the magic number of PyTorch's legacy"
                    + " format (or of another protocol) is not read; re-save it with PyTorch 1.6 or later:"
                    + " torch.save(torch.load(f), g)");
        }
        throw new TorchCheckpointException(file, "not a PyTorch checkpoint: it does not start with a zip header"
                + " (PK\\3\\4), got " + n + " byte(s) " + hex(head, n));
    }

    /** The single top-level folder holding {@code data.pkl}, with its slash. */
    private static String archivePrefix(Path file, ZipFile zip) throws TorchCheckpointException {
        List<String> found = new ArrayList<>();
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            String name = entries.nextElement().getName();
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
                found.add(name.substring(0, slash + 1));
            }
        }
        if (found.size() != 1) {
            throw new TorchCheckpointException(file, found.isEmpty()
                    ? "the zip archive has no <archive>/data.pkl entry: not a torch.save checkpoint"
                    : "the zip archive has " + found.size() + " data.pkl entries " + found + ", expected one");
        }
        return found.get(0);
    }

    private static ByteOrder byteOrder(Path file, ZipFile zip, String prefix) throws IOException {
        String text = small(file, zip, prefix + "byteorder");
        if (text == null || text.trim().equals("little")) {
            return ByteOrder.LITTLE_ENDIAN;
        }
        if (text.trim().equals("big")) {
            return ByteOrder.BIG_ENDIAN;
        }
        throw new TorchCheckpointException(file, prefix + "byteorder", "must be 'little' or 'big', got '"
                + text.trim() + "'", null);
    }

    private static String small(Path file, ZipFile zip, String name) throws IOException {
        ZipEntry e = zip.getEntry(name);
        return e == null ? null : new String(readEntry(file, zip, e, MAX_SMALL_ENTRY), StandardCharsets.US_ASCII);
    }

    private static long storageBytes(ZipFile zip, String prefix) {
        long total = 0;
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            ZipEntry e = entries.nextElement();
            if (e.getName().startsWith(prefix + "data/") && e.getMethod() == ZipEntry.STORED && e.getSize() > 0) {
                total += e.getSize();
            }
        }
        return total;
    }

    private static TorchStorage storage(Path file, ZipFile zip, String prefix, String key, TorchDType dtype,
            long numel, ByteOrder order) throws TorchCheckpointException {
        String name = prefix + "data/" + key;
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw new TorchCheckpointException(file, name, "the pickle references storage " + key
                    + " but the archive has no such entry", null);
        }
        long expected;
        try {
            expected = Math.multiplyExact(numel, dtype.bytes());
        } catch (ArithmeticException x) {
            throw new TorchCheckpointException(file, name, "storage of " + numel + " " + dtype + " overflows", null);
        }
        if (e.getSize() != expected) {
            throw new TorchCheckpointException(file, name, "storage of " + numel + " " + dtype + " elements needs "
                    + expected + " bytes, the entry has " + e.getSize(), null);
        }
        try {
            return TorchStorage.of(key, dtype, numel, readEntry(file, zip, e, Integer.MAX_VALUE - 8), order);
        } catch (TorchCheckpointException x) {
            throw x;
        } catch (IOException x) {
            throw new TorchCheckpointException(file, name, "cannot read the storage (truncated or corrupt): " + x, x);
        }
    }

    /** Reads a stored entry of known size, at most {@code max} bytes, refusing entries whose data is short or long. */
    private static byte[] readEntry(Path file, ZipFile zip, ZipEntry e, long max) throws IOException {
        if (e.getMethod() != ZipEntry.STORED) {
            throw new TorchCheckpointException(file, e.getName(), "entry is compressed (method " + e.getMethod()
                    + "); torch.save stores entries uncompressed", null);
        }
        long size = e.getSize();
        if (size < 0 || size > max) {
            throw new TorchCheckpointException(file, e.getName(), "entry size " + size + " is outside [0, " + max
                    + "]", null);
        }
        byte[] b = new byte[(int) size];
        try (InputStream in = zip.getInputStream(e)) {
            int n = in.readNBytes(b, 0, b.length);
            if (n != b.length || in.read() != -1) {
                throw new TorchCheckpointException(file, e.getName(), "entry holds " + (n == b.length ? "more" : n)
                        + " bytes, its header says " + size, null);
            }
        }
        return b;
    }

    private static String hex(byte[] b, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append(String.format("%02x", b[i] & 0xff));
        }
        return s.length() == 0 ? "(empty file)" : s.toString();
    }
}
