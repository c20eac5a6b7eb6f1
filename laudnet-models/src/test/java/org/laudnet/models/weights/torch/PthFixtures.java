package org.laudnet.models.weights.torch;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The committed PyTorch fixtures (made by {@code scripts/fixtures/make_pth_fixtures.py}) and hand-made archives for
 * malformed pickles.
 */
final class PthFixtures {

    private PthFixtures() {}

    /** A committed fixture by file name. */
    static Path fixture(String name) {
        URL url = PthFixtures.class.getResource(name);
        if (url == null) {
            throw new IllegalStateException("missing test resource " + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes a torch.save-like archive {@code a/data.pkl} + {@code a/data/<key>} (stored entries). */
    static Path archive(Path file, byte[] pickle, Map<String, byte[]> storages) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("a/data.pkl", pickle);
        for (Map.Entry<String, byte[]> e : storages.entrySet()) {
            entries.put("a/data/" + e.getKey(), e.getValue());
        }
        entries.put("a/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry z = new ZipEntry(e.getKey());
                z.setMethod(ZipEntry.STORED);
                z.setSize(e.getValue().length);
                z.setCompressedSize(e.getValue().length);
                CRC32 crc = new CRC32();
                crc.update(e.getValue());
                z.setCrc(crc.getValue());
                zip.putNextEntry(z);
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return file;
    }

    /** A pickle builder for hand-made cases. */
    static final class Pickle {
        private final ByteArrayOutputStream b = new ByteArrayOutputStream();

        Pickle() {
            op(0x80).op(2);
        }

        Pickle op(int code) {
            b.write(code);
            return this;
        }

        Pickle raw(byte... bytes) {
            b.writeBytes(bytes);
            return this;
        }

        Pickle global(String module, String name) {
            op('c');
            b.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        Pickle str(String s) {
            byte[] u = s.getBytes(StandardCharsets.UTF_8);
            op('X').le(u.length, 4);
            b.writeBytes(u);
            return this;
        }

        Pickle integer(long v) {
            return op('J').le(v, 4);
        }

        Pickle le(long v, int n) {
            for (int i = 0; i < n; i++) {
                b.write((int) (v >>> (8 * i)) & 0xff);
            }
            return this;
        }

        /** {@code _rebuild_tensor_v2(storage(key, FloatStorage, numel), offset, size, stride, False, {})}. */
        Pickle tensor(String key, long numel, long offset, long[] size, long[] stride) {
            global("torch._utils", "_rebuild_tensor_v2").op('(');
            op('(').str("storage").global("torch", "FloatStorage").str(key).str("cpu").integer(numel).op('t')
                    .op('Q');
            integer(offset).op('(');
            for (long s : size) {
                integer(s);
            }
            op('t').op('(');
            for (long s : stride) {
                integer(s);
            }
            op('t').op(0x89).global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
            return this;
        }

        byte[] bytes() {
            return b.toByteArray();
        }
    }
}
