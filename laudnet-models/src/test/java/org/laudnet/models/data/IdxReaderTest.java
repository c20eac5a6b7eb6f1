package org.laudnet.models.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    @TempDir
    Path dir;

    static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeInt(magic);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(data);
        out.flush();
        return b.toByteArray();
    }

    static Path write(Path file, byte[] bytes, boolean gzip) throws IOException {
        try (OutputStream os = gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
            os.write(bytes);
        }
        return file;
    }

    private static byte[] pixels() {
        byte[] px = new byte[3 * 2 * 4];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 11);
        }
        return px;
    }

    @Test
    void readsRawAndGzippedImagesAndLabels() throws IOException {
        byte[] img = idx(IdxReader.IMAGES_MAGIC, new int[] {3, 2, 4}, pixels());
        byte[] lab = idx(IdxReader.LABELS_MAGIC, new int[] {3}, new byte[] {7, 0, (byte) 200});
        for (boolean gz : new boolean[] {false, true}) {
            IdxImages im = IdxReader.readImages(write(dir.resolve("img" + gz), img, gz));
            assertEquals(3, im.count());
            assertEquals(2, im.rows());
            assertEquals(4, im.cols());
            assertArrayEquals(pixels(), im.pixels());
            // image 1, row 1, col 2 -> flat index 8 + 4 + 2 = 14 -> 154
            assertEquals(154, im.pixel(1, 1, 2));
            assertEquals(253, im.pixel(2, 1, 3)); // 23 * 11 = 253
            int[] labels = IdxReader.readLabels(write(dir.resolve("lab" + gz), lab, gz));
            assertArrayEquals(new int[] {7, 0, 200}, labels);
        }
    }

    @Test
    void wrongMagicTruncationAndTrailingBytesNameTheFile() throws IOException {
        byte[] lab = idx(IdxReader.LABELS_MAGIC, new int[] {3}, new byte[] {1, 2, 3});
        Path labels = write(dir.resolve("labels.idx"), lab, true);
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(labels));
        assertTrue(e.getMessage().contains(labels.toString()) && e.getMessage().contains("0x00000801"),
                e.getMessage());

        byte[] img = idx(IdxReader.IMAGES_MAGIC, new int[] {3, 2, 4}, pixels());
        Path shortFile = write(dir.resolve("short.idx"), Arrays.copyOf(img, img.length - 5), false);
        IdxFormatException t = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(shortFile));
        assertTrue(t.getMessage().contains(shortFile.toString()) && t.getMessage().contains("truncated"),
                t.getMessage());

        Path header = write(dir.resolve("header.idx"), Arrays.copyOf(img, 6), false);
        IdxFormatException h = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(header));
        assertTrue(h.getMessage().contains("truncated header"), h.getMessage());

        byte[] longer = Arrays.copyOf(img, img.length + 3);
        Path trailing = write(dir.resolve("trailing.idx"), longer, false);
        IdxFormatException l = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(trailing));
        assertTrue(l.getMessage().contains("trailing"), l.getMessage());

        Path missing = dir.resolve("missing.idx");
        IOException mi = assertThrows(IOException.class, () -> IdxReader.readLabels(missing));
        assertTrue(mi.getMessage().contains(missing.toString()), mi.getMessage());
    }
}
