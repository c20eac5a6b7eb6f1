package org.laudnet.models.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile images at every decode path of {@link ImageInputs}: decompression bombs refused from the header without
 * decoding, shapes beyond the aspect-ratio limit, images beyond the pixel limit handed over decoded, and truncated
 * JPEG and PNG files.
 */
class ImageInputsTest {

    /** Far below what decoding a 25000 x 25000 image takes (625 MB of gray pixels); covers the small copies. */
    private static final long BOUNDED_BYTES = 32L << 20;

    /**
     * A real PNG: 8-bit gray, {@code width x height} declared in IHDR, and an IDAT stream holding only the first
     * {@code rows} rows (zeros): a few hundred bytes that a decoder would inflate to the whole declared image.
     */
    static byte[] grayPng(int width, int height, int rows) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        byte[] raw = new byte[rows * (1 + width)]; // each row: filter type 0, then the pixels
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        deflater.setInput(raw);
        deflater.finish();
        byte[] buffer = new byte[raw.length + 64];
        int n = deflater.deflate(buffer);
        deflater.end();
        chunk(out, "IDAT", Arrays.copyOf(buffer, n));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.write(ByteBuffer.allocate(4).putInt(data.length).array());
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(image, format, out), format);
        return out.toByteArray();
    }

    static BufferedImage noise(int width, int height, long seed) {
        Random r = new Random(seed);
        BufferedImage im = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                im.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        return im;
    }

    @FunctionalInterface
    private interface Call {
        void run() throws Exception;
    }

    /** Bytes the current thread allocates while {@code call} runs (HotSpot's per-thread counter). */
    private static long allocatedBy(Call call) throws Exception {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(mx.isThreadAllocatedMemorySupported() && mx.isThreadAllocatedMemoryEnabled());
        long before = mx.getCurrentThreadAllocatedBytes();
        call.run();
        return mx.getCurrentThreadAllocatedBytes() - before;
    }

    @Test
    void aDecompressionBombIsRefusedFromItsHeaderOnEveryEncodedPath(@TempDir Path dir) throws Exception {
        byte[] bomb = grayPng(25_000, 25_000, 4);
        assertTrue(bomb.length < 1000, "the bomb is small: " + bomb.length + " bytes");
        Path file = dir.resolve("bomb.png");
        Files.write(file, bomb);
        // the check must not be the decoder failing: a small image with the same construction decodes
        BufferedImage small = ImageInputs.decode(grayPng(40, 4, 4), "small");
        assertEquals(40, small.getWidth());
        String declared = "declares 25000 x 25000 = 625000000 pixels, outside (0, 40000000]";
        ImageInputs.Decoder<byte[]> bytes = ImageInputs.forType(byte[].class);
        ImageInputs.Decoder<InputStream> stream = ImageInputs.forType(InputStream.class);
        ImageInputs.Decoder<Path> path = ImageInputs.forType(Path.class);
        ImageInputException[] refused = new ImageInputException[3];
        long allocated = allocatedBy(() -> {
            refused[0] = assertThrows(ImageInputException.class, () -> bytes.decode(bomb));
            refused[1] = assertThrows(ImageInputException.class,
                    () -> stream.decode(new ByteArrayInputStream(bomb)));
            refused[2] = assertThrows(ImageInputException.class, () -> path.decode(file));
        });
        String[] sources = {"image bytes", "image stream", file.toString()};
        for (int i = 0; i < 3; i++) {
            assertEquals(sources[i], refused[i].source());
            assertTrue(refused[i].problem().startsWith(declared), refused[i].getMessage());
        }
        assertTrue(allocated < BOUNDED_BYTES, "refusing three bombs allocated " + allocated + " bytes: decoded?");
    }

    @Test
    void decodedImagesBeyondThePixelLimitAreRefusedOnTheImagePaths() throws Exception {
        // 6400 x 6400 = 40.96 M pixels at one bit each: 5 MB
        BufferedImage large = new BufferedImage(6400, 6400, BufferedImage.TYPE_BYTE_BINARY);
        String has = "has 6400 x 6400 = 40960000 pixels, outside (0, 40000000]";
        ImageInputException e = assertThrows(ImageInputException.class,
                () -> ImageInputs.forType(BufferedImage.class).decode(large));
        assertTrue(e.problem().startsWith(has), e.getMessage());
        Image djl = ImageFactory.getInstance().fromImage(large);
        e = assertThrows(ImageInputException.class, () -> ImageInputs.forType(Image.class).decode(djl));
        assertTrue(e.problem().startsWith(has), e.getMessage());
    }

    @Test
    void thinImagesBeyondTheAspectRatioLimitAreRefusedOnEveryPath() throws Exception {
        for (int h : new int[] {3000, 12_000}) {
            BufferedImage thin = new BufferedImage(1, h, BufferedImage.TYPE_INT_RGB);
            String want = " 1 x " + h + " pixels, an aspect ratio of " + h + ".0:1, beyond the limit of 32:1";
            byte[] png = encode(thin, "png");
            ImageInputException e = assertThrows(ImageInputException.class,
                    () -> ImageInputs.forType(byte[].class).decode(png));
            assertEquals("image bytes: declares" + want + " (ImageInputs.MAX_ASPECT_RATIO)", e.getMessage());
            e = assertThrows(ImageInputException.class,
                    () -> ImageInputs.forType(BufferedImage.class).decode(thin));
            assertTrue(e.getMessage().contains("has" + want), e.getMessage());
            Image djl = ImageFactory.getInstance().fromImage(thin);
            e = assertThrows(ImageInputException.class, () -> ImageInputs.forType(Image.class).decode(djl));
            assertTrue(e.getMessage().contains("has" + want), e.getMessage());
        }
        BufferedImage wide = new BufferedImage(33 * 7, 7, BufferedImage.TYPE_INT_RGB);
        ImageInputException e = assertThrows(ImageInputException.class,
                () -> ImageInputs.decode(encode(wide, "png"), "wide"));
        assertTrue(e.getMessage().contains("231 x 7 pixels, an aspect ratio of 33.0:1"), e.getMessage());
        BufferedImage atLimit = ImageInputs.decode(encode(new BufferedImage(256, 8, BufferedImage.TYPE_INT_RGB),
                "png"), "at the limit");
        assertEquals(256, atLimit.getWidth());
        assertEquals(8, atLimit.getHeight());
    }

    @Test
    void truncatedJpegsAreRefusedAtEveryCut() throws Exception {
        BufferedImage image = noise(64, 48, 3);
        byte[] jpeg = encode(image, "jpg");
        BufferedImage whole = ImageInputs.decode(jpeg, "whole");
        assertEquals(64, whole.getWidth());
        int n = jpeg.length;
        // the end marker only, the last bytes of the scan, inside the scan, and inside the tables
        for (int cut : new int[] {n - 2, n - 1, n - 12, n * 3 / 4, n / 2, n / 4, 200}) {
            byte[] part = Arrays.copyOf(jpeg, cut);
            ImageInputException e = assertThrows(ImageInputException.class,
                    () -> ImageInputs.decode(part, "cut at " + cut), "cut at " + cut + " of " + n);
            assertEquals("cut at " + cut, e.source());
            assertTrue(e.problem().startsWith("truncated JPEG"), e.getMessage());
        }
        // a partial decode: without the check this cut decodes to a full-size image from what was there
        byte[] half = Arrays.copyOf(jpeg, n / 2);
        ImageInputException e = assertThrows(ImageInputException.class,
                () -> ImageInputs.forType(byte[].class).decode(half));
        assertTrue(e.getMessage().contains("premature end of data segment"), e.getMessage());
    }

    @Test
    void truncatedPngsAreRefusedAtEveryCut(@TempDir Path dir) throws Exception {
        byte[] png = encode(noise(64, 48, 4), "png");
        int n = png.length;
        for (int cut : new int[] {n - 100, n * 3 / 4, n / 2, 100}) {
            byte[] part = Arrays.copyOf(png, cut);
            Path file = dir.resolve("cut-" + cut + ".png");
            Files.write(file, part);
            ImageInputException e = assertThrows(ImageInputException.class,
                    () -> ImageInputs.read(file), "cut at " + cut + " of " + n);
            assertEquals(file.toString(), e.source());
            assertTrue(e.problem().startsWith("truncated PNG"), e.getMessage());
        }
    }

    @Test
    void emptyAndUndecodableInputsAreNamed() throws Exception {
        ImageInputException e = assertThrows(ImageInputException.class,
                () -> ImageInputs.forType(byte[].class).decode(new byte[0]));
        assertEquals("image bytes: empty", e.getMessage());
        e = assertThrows(ImageInputException.class,
                () -> ImageInputs.forType(InputStream.class).decode(new ByteArrayInputStream(new byte[] {1, 2, 3})));
        assertEquals("image stream: not a decodable image (supported: JPEG, PNG, BMP, GIF)", e.getMessage());
        e = assertThrows(ImageInputException.class, () -> ImageInputs.forType(BufferedImage.class).decode(null));
        assertEquals("image: must not be null", e.getMessage());
    }
}
