package org.laudnet.models.weights.torch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.laudnet.core.util.AtomicFiles;
import org.laudnet.models.weights.NamedTensor;
import org.laudnet.models.weights.TensorFile;
import org.laudnet.models.weights.WeightFileException;

/**
 * Writes float32 tensors as a PyTorch state dict file that {@code torch.load} reads (the zip format of
 * {@code torch.save}, PyTorch 1.6 and later): {@code <archive>/data.pkl} pickles an {@code OrderedDict} of name to
 * {@code torch._utils._rebuild_tensor_v2(storage, 0, shape, contiguous strides, False, OrderedDict())} with protocol 2,
 * each storage a persistent id {@code ('storage', torch.FloatStorage, '<i>', 'cpu', numel)} and an uncompressed entry
 * {@code <archive>/data/<i>} of little-endian floats; plus {@code byteorder} ({@code little}) and {@code version}
 * ({@code 3}). The file is replaced atomically. Stateless and thread-safe.
 */
public final class TorchCheckpointWriter {

    private TorchCheckpointWriter() {}

    /**
     * Writes a state dict.
     *
     * @param file the {@code .pth} file to write
     * @param tensors the tensors, in order
     * @throws WeightFileException if the file cannot be written
     */
    public static void write(Path file, TensorFile tensors) throws WeightFileException {
        if (file == null || tensors == null) {
            throw new IllegalArgumentException("file and tensors must not be null");
        }
        String archive = archiveName(file);
        try {
            AtomicFiles.write(file, out -> writeZip(out, archive, tensors));
        } catch (IOException e) {
            throw new WeightFileException(file, "cannot write: " + e, e);
        }
    }

    private static void writeZip(OutputStream out, String archive, TensorFile tensors) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        stored(zip, archive + "/data.pkl", pickle(tensors));
        stored(zip, archive + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        int i = 0;
        for (NamedTensor t : tensors.tensors()) {
            ByteBuffer b = ByteBuffer.allocate(t.numel() * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(t.data());
            stored(zip, archive + "/data/" + i++, b.array());
        }
        stored(zip, archive + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        zip.finish();
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        e.setTime(315532800000L); // 1980-01-01, so that equal content gives equal files
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    /** The protocol-2 pickle of the state dict. */
    static byte[] pickle(TensorFile tensors) {
        Pickle p = new Pickle();
        p.op(0x80).op(2);
        p.global("collections", "OrderedDict").op(')').op('R');
        p.op('(');
        int i = 0;
        for (NamedTensor t : tensors.tensors()) {
            p.string(t.name());
            p.global("torch._utils", "_rebuild_tensor_v2");
            p.op('(');
            p.op('(').string("storage").global("torch", "FloatStorage").string(Integer.toString(i++))
                    .string("cpu").integer(t.numel()).op('t').op('Q');
            p.integer(0);
            long[] shape = t.shape();
            p.op('(');
            for (long d : shape) {
                p.integer(d);
            }
            p.op('t');
            p.op('(');
            long stride = 1;
            long[] strides = new long[shape.length];
            for (int k = shape.length - 1; k >= 0; k--) {
                strides[k] = stride;
                stride *= Math.max(shape[k], 1);
            }
            for (long s : strides) {
                p.integer(s);
            }
            p.op('t');
            p.op(0x89);
            p.global("collections", "OrderedDict").op(')').op('R');
            p.op('t').op('R');
        }
        p.op('u').op('.');
        return p.bytes.toByteArray();
    }

    private static String archiveName(Path file) {
        String n = file.getFileName() == null ? "archive" : file.getFileName().toString();
        int dot = n.indexOf('.');
        String base = (dot > 0 ? n.substring(0, dot) : n).replaceAll("[^A-Za-z0-9_]", "_");
        return base.isEmpty() ? "archive" : base;
    }

    /** A small pickle emitter. */
    private static final class Pickle {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        Pickle op(int code) {
            bytes.write(code);
            return this;
        }

        Pickle global(String module, String name) {
            op('c');
            bytes.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        Pickle string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            le(b.length, 4);
            bytes.writeBytes(b);
            return this;
        }

        Pickle integer(long v) {
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                op('J');
                le(v, 4);
            } else {
                op(0x8a).op(8);
                le(v, 8);
            }
            return this;
        }

        private void le(long v, int n) {
            for (int i = 0; i < n; i++) {
                bytes.write((int) (v >>> (8 * i)) & 0xff);
            }
        }
    }
}
