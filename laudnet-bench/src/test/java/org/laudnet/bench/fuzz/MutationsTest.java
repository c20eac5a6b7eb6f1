package org.laudnet.bench.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;

/** The byte-level helpers the mutations are built from. */
class MutationsTest {

    @Test
    void fieldsOfEveryWidthAndOrderRoundTrip() {
        byte[] b = new byte[16];
        Bytes.put(b, 2, 4, ByteOrder.BIG_ENDIAN, 0x01020304);
        assertArrayEquals(new byte[] {0, 0, 1, 2, 3, 4}, Arrays.copyOf(b, 6));
        Bytes.put(b, 8, 8, ByteOrder.LITTLE_ENDIAN, -2);
        assertEquals(-2, Bytes.get(b, 8, 8, ByteOrder.LITTLE_ENDIAN));
        Bytes.put(b, 0, 2, ByteOrder.LITTLE_ENDIAN, 0xFFFF);
        assertEquals(0xFFFF, Bytes.get(b, 0, 2, ByteOrder.LITTLE_ENDIAN));
        assertArrayEquals(new byte[] {1, 9, 9, 4}, Bytes.splice(new byte[] {1, 2, 3, 4}, 1, 3, new byte[] {9, 9}));
        assertEquals(-1, Bytes.allOnes(8));
        assertEquals(0xFFFFFFFFL, Bytes.allOnes(4));
    }

    @Test
    void extremeValuesCoverZeroNegativeHugeAndTheFileSize() {
        FileLayout.Field f = new FileLayout.Field(0, 4, ByteOrder.BIG_ENDIAN, FileLayout.FieldRole.COUNT, "count");
        long[] v = AbstractFuzzTarget.extremeValues(f, 12, 500);
        for (long x : new long[] {0, 0xFFFFFFFFL, 0x7FFFFFFFL, 0x80000000L, 13, 11, 25, 500, 501, 65_536}) {
            assertTrue(Arrays.stream(v).anyMatch(y -> y == x), x + " in " + Arrays.toString(v));
        }
        assertFalse(Arrays.stream(v).anyMatch(y -> y == 12), "the original value is not a mutation");
    }

    @Test
    void pngDimensionPatchesKeepTheHeaderChecksumValid() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(5, 3, BufferedImage.TYPE_INT_RGB), "png", out);
        byte[] png = ImageLayouts.pngDimensions(out.toByteArray(), 100_000, 70_000);
        CRC32 crc = new CRC32();
        crc.update(png, 12, 17);
        assertEquals(crc.getValue(), Bytes.get(png, 29, 4, ByteOrder.BIG_ENDIAN));
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(png))) {
            ImageReader r = ImageIO.getImageReaders(in).next();
            r.setInput(in);
            assertEquals(100_000, r.getWidth(0));
            assertEquals(70_000, r.getHeight(0));
        }
        FileLayout l = ImageLayouts.png(png);
        assertTrue(l.fields().stream().anyMatch(x -> x.label().equals("IHDR width") && x.offset() == 16), l.toString());
        assertTrue(l.boundaries().stream().anyMatch(x -> x.label().equals("IEND chunk")), l.toString());
    }

    @Test
    void jpegAndGifDimensionsAreFound() throws IOException {
        BufferedImage img = new BufferedImage(7, 5, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream jpg = new ByteArrayOutputStream();
        ImageIO.write(img, "jpeg", jpg);
        int sof = ImageLayouts.jpegFrame(jpg.toByteArray());
        assertEquals(5, Bytes.get(jpg.toByteArray(), sof + 5, 2, ByteOrder.BIG_ENDIAN));
        assertEquals(7, Bytes.get(jpg.toByteArray(), sof + 7, 2, ByteOrder.BIG_ENDIAN));
        ByteArrayOutputStream gif = new ByteArrayOutputStream();
        ImageIO.write(img, "gif", gif);
        int d = ImageLayouts.gifImage(gif.toByteArray());
        assertEquals(0x2C, gif.toByteArray()[d]);
        assertEquals(7, Bytes.get(gif.toByteArray(), d + 5, 2, ByteOrder.LITTLE_ENDIAN));
    }

    @Test
    void jsonEditsCanWriteWhatAParserWouldNot() {
        var root = JsonParser.parseString("{\"a\": {\"b\": [1, 2, 3], \"c\": \"x\"}, \"d\": 4}").getAsJsonObject();
        JsonMutator.Writer w = new JsonMutator.Writer();
        w.duplicates.put(root.getAsJsonObject("a"), "c");
        com.google.gson.JsonPrimitive marker = new com.google.gson.JsonPrimitive(0);
        root.add("d", marker);
        w.raw.put(marker, "NaN");
        assertEquals("{\"a\":{\"b\":[1,2,3],\"c\":\"x\",\"c\":\"x\"},\"d\":NaN}", w.write(root));
        // every random edit changes the document and says where
        for (int i = 0; i < 40; i++) {
            JsonMutator.Edit e = JsonMutator.mutate(root, new SplittableRandom(i));
            assertTrue(e.description().startsWith("$."), e.description());
        }
        assertEquals("{\"a\":{\"b\":[1,2,3],\"c\":\"x\"},\"d\":0}", root.toString(), "the input is not modified");
    }

    @Test
    void reportLinesAreWritableWhateverAMessageHolds() {
        assertEquals("a\\ud800b\\u0001 c", FuzzReport.oneLine("a\ud800b\u0001\n  c", 100));
        assertEquals("x\ud83d\ude00", FuzzReport.oneLine("x\ud83d\ude00", 100), "pairs are kept");
        assertEquals("abcd...", FuzzReport.oneLine("abcdefghij", 7));
        assertEquals("abc...", FuzzReport.oneLine("abc\ud83d\ude00xyz", 7), "a pair is not cut in half");
    }
}
