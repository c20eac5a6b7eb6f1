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

    /** Reads images and returns the refusal's message, checking that it names the file. */
    private static String refusal(Path file) {
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> IdxReader.readImages(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        return e.getMessage();
    }

    @Test
    void headersDeclaringMoreThanTheFileCanHoldAreRefusedBeforeAllocating() throws IOException {
        // 20 bytes declaring 2^31 - 9 pixels: refused against the file size, no 2 GiB array
        Path raw = write(dir.resolve("huge.idx"), idx(IdxReader.IMAGES_MAGIC, new int[] {1, 46_341, 46_340},
                new byte[4]), false);
        assertTrue(refusal(raw).contains("truncated: the header announces 2147441940 data bytes, the file holds 4 "
                + "after its 16-byte header"), refusal(raw));
        // a gzip file cannot expand beyond DEFLATE's ratio
        Path gz = write(dir.resolve("huge.idx.gz"), idx(IdxReader.IMAGES_MAGIC, new int[] {1000, 1000, 1000},
                new byte[16]), true);
        assertTrue(refusal(gz).contains("more than a gzip file of " + Files.size(gz) + " bytes can hold"),
                refusal(gz));
        Path labels = write(dir.resolve("labels.idx"), idx(IdxReader.LABELS_MAGIC, new int[] {Integer.MAX_VALUE},
                new byte[3]), false);
        IdxFormatException l = assertThrows(IdxFormatException.class, () -> IdxReader.readLabels(labels));
        assertTrue(l.getMessage().contains("truncated: the header announces 2147483647 data bytes"), l.getMessage());
        // a product that overflows 64 bits is not mistaken for a small one
        Path overflow = write(dir.resolve("overflow.idx"), idx(IdxReader.IMAGES_MAGIC,
                new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, new byte[1]), false);
        assertTrue(refusal(overflow).contains("too large"), refusal(overflow));
        Path zero = write(dir.resolve("zero.idx"), idx(IdxReader.IMAGES_MAGIC, new int[] {3, 0, 4}, new byte[0]),
                false);
        assertTrue(refusal(zero).contains("images must have positive rows and cols, got 0x4"), refusal(zero));
    }

    @Test
    void corruptGzipStreamsAndDirectoriesAreRefusedNamingTheFile() throws IOException {
        byte[] noise = new byte[32];
        new java.util.Random(5).nextBytes(noise);
        byte[] img = idx(IdxReader.IMAGES_MAGIC, new int[] {2, 4, 4}, noise);
        Path good = write(dir.resolve("good.idx.gz"), img, true);
        byte[] gz = Files.readAllBytes(good);
        byte[] flipped = gz.clone();
        flipped[gz.length - 6] ^= 0x10; // inside the CRC-32 of the gzip trailer
        Path crc = dir.resolve("crc.idx.gz");
        Files.write(crc, flipped);
        assertTrue(refusal(crc).contains("corrupt gzip stream"), refusal(crc));
        Path cut = dir.resolve("cut.idx.gz");
        Files.write(cut, Arrays.copyOf(gz, gz.length - 12));
        assertTrue(refusal(cut).contains("truncated"), refusal(cut));
        Path header = dir.resolve("header.idx.gz");
        Files.write(header, Arrays.copyOf(gz, 5));
        assertTrue(refusal(header).contains("gzip header"), refusal(header));
        Path directory = Files.createDirectories(dir.resolve("dir.idx"));
        assertTrue(refusal(directory).contains("is a directory"), refusal(directory));
        assertEquals(2, IdxReader.readImages(good).count());
    }
}
