package org.laudnet.bench.fuzz;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The structure of valid PNG, JPEG, BMP and GIF files for mutations, and the patches of their declared dimensions
 * (with the PNG chunk checksum recomputed): chunk, segment and header boundaries, length and dimension fields, magic
 * bytes. Only for trusted input (the fuzzer's own seeds). Stateless and thread-safe.
 */
public final class ImageLayouts {

    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private ImageLayouts() {}

    /**
     * Describes a PNG file: the signature, every chunk (length field, type, data, CRC) and the IHDR dimensions; its
     * sealer recomputes every chunk's CRC.
     *
     * @param b the file
     * @return the layout
     */
    public static FileLayout png(byte[] b) {
        FileLayout.Builder l = FileLayout.builder().magic(0, 8).sealer(ImageLayouts::sealPng);
        int p = 8;
        while (p + 12 <= b.length) {
            int n = (int) Bytes.get(b, p, 4, BE);
            String type = new String(b, p + 4, 4, StandardCharsets.ISO_8859_1);
            l.boundary(p, type + " chunk").boundary(p + 8, type + " data").boundary(p + 8 + n, type + " CRC");
            l.field(p, 4, BE, FileLayout.FieldRole.LENGTH, type + " length");
            if (type.equals("IHDR")) {
                l.field(p + 8, 4, BE, FileLayout.FieldRole.DIMENSION, "IHDR width");
                l.field(p + 12, 4, BE, FileLayout.FieldRole.DIMENSION, "IHDR height");
            }
            p += 12 + n;
        }
        return l.build();
    }

    /** Recomputes the CRC of every chunk whose length fits the file. */
    static byte[] sealPng(byte[] b) {
        int p = 8;
        while (p + 12 <= b.length) {
            long n = Bytes.get(b, p, 4, BE);
            if (p + 12 + n > b.length) {
                break;
            }
            Bytes.put(b, p + 8 + n, 4, BE, Bytes.crc32(b, p + 4, (int) (p + 8 + n)));
            p += 12 + (int) n;
        }
        return b;
    }

    /**
     * Sets the IHDR width and height of a PNG file and recomputes the chunk's CRC.
     *
     * @param b the file (modified)
     * @param width the width
     * @param height the height
     * @return {@code b}
     */
    public static byte[] pngDimensions(byte[] b, long width, long height) {
        Bytes.put(b, 16, 4, BE, width);
        Bytes.put(b, 20, 4, BE, height);
        Bytes.put(b, 29, 4, BE, Bytes.crc32(b, 12, 29));
        return b;
    }

    /**
     * Describes a baseline JPEG file: SOI, every marker segment up to the scan (length field, boundaries), the frame's
     * dimensions, the scan data and EOI.
     *
     * @param b the file
     * @return the layout
     */
    public static FileLayout jpeg(byte[] b) {
        FileLayout.Builder l = FileLayout.builder().magic(0, 2);
        int p = 2;
        while (p + 4 <= b.length && (b[p] & 0xFF) == 0xFF) {
            int marker = b[p + 1] & 0xFF;
            int n = (int) Bytes.get(b, p + 2, 2, BE);
            String name = String.format("marker 0x%02X", marker);
            l.boundary(p, name).field(p + 2, 2, BE, FileLayout.FieldRole.LENGTH, name + " length");
            if (marker == 0xC0 || marker == 0xC2) {
                l.field(p + 5, 2, BE, FileLayout.FieldRole.DIMENSION, "frame height");
                l.field(p + 7, 2, BE, FileLayout.FieldRole.DIMENSION, "frame width");
                l.field(p + 9, 1, BE, FileLayout.FieldRole.COUNT, "frame components");
            }
            p += 2 + n;
            if (marker == 0xDA) {
                l.boundary(p, "scan data");
                break;
            }
        }
        l.boundary(b.length - 2, "EOI");
        return l.build();
    }

    /**
     * Returns the offset of a JPEG's start-of-frame marker.
     *
     * @param b the file
     * @return the offset of the {@code 0xFF 0xC0} (or {@code 0xC2}) marker
     * @throws IllegalArgumentException if there is none before the scan
     */
    public static int jpegFrame(byte[] b) {
        int p = 2;
        while (p + 4 <= b.length && (b[p] & 0xFF) == 0xFF) {
            int marker = b[p + 1] & 0xFF;
            if (marker == 0xC0 || marker == 0xC2) {
                return p;
            }
            if (marker == 0xDA) {
                break;
            }
            p += 2 + (int) Bytes.get(b, p + 2, 2, BE);
        }
        throw new IllegalArgumentException("b must be a JPEG with a start-of-frame marker");
    }

    /**
     * Describes a BMP file with a BITMAPINFOHEADER: file size, pixel offset, header size, dimensions, bit depth,
     * image size.
     *
     * @param b the file
     * @return the layout
     */
    public static FileLayout bmp(byte[] b) {
        int pixels = (int) Bytes.get(b, 10, 4, LE);
        return FileLayout.builder().magic(0, 2)
                .field(2, 4, LE, FileLayout.FieldRole.LENGTH, "file size")
                .field(10, 4, LE, FileLayout.FieldRole.LENGTH, "pixel offset")
                .field(14, 4, LE, FileLayout.FieldRole.LENGTH, "DIB header size")
                .field(18, 4, LE, FileLayout.FieldRole.DIMENSION, "width")
                .field(22, 4, LE, FileLayout.FieldRole.DIMENSION, "height")
                .field(28, 2, LE, FileLayout.FieldRole.COUNT, "bits per pixel")
                .field(34, 4, LE, FileLayout.FieldRole.LENGTH, "image size")
                .boundary(14, "DIB header").boundary(54, "after the header").boundary(pixels, "pixels")
                .boundary(pixels + (b.length - pixels) / 2, "half the pixels")
                .build();
    }

    /**
     * Describes a GIF file: signature, logical screen size, the global colour table, the image descriptor (position
     * and size), the LZW data and the trailer.
     *
     * @param b the file
     * @return the layout
     */
    public static FileLayout gif(byte[] b) {
        FileLayout.Builder l = FileLayout.builder().magic(0, 6)
                .field(6, 2, LE, FileLayout.FieldRole.DIMENSION, "screen width")
                .field(8, 2, LE, FileLayout.FieldRole.DIMENSION, "screen height")
                .boundary(6, "screen descriptor").boundary(13, "colour table");
        int p = 13;
        if ((b[10] & 0x80) != 0) {
            p += 3 * (1 << ((b[10] & 0x07) + 1));
        }
        int descriptor = gifImage(b);
        l.boundary(p, "after the colour table").boundary(descriptor, "image descriptor");
        l.field(descriptor + 5, 2, LE, FileLayout.FieldRole.DIMENSION, "image width");
        l.field(descriptor + 7, 2, LE, FileLayout.FieldRole.DIMENSION, "image height");
        int data = descriptor + 10;
        if ((b[descriptor + 9] & 0x80) != 0) {
            data += 3 * (1 << ((b[descriptor + 9] & 0x07) + 1));
        }
        l.boundary(data, "image data").boundary(b.length - 1, "trailer");
        l.field(data + 1, 1, LE, FileLayout.FieldRole.LENGTH, "first data block length");
        return l.build();
    }

    /**
     * Returns the offset of a GIF's first image descriptor ({@code 0x2C}), skipping extension blocks.
     *
     * @param b the file
     * @return the offset
     * @throws IllegalArgumentException if there is none
     */
    public static int gifImage(byte[] b) {
        int p = 13;
        if ((b[10] & 0x80) != 0) {
            p += 3 * (1 << ((b[10] & 0x07) + 1));
        }
        while (p < b.length) {
            int tag = b[p] & 0xFF;
            if (tag == 0x2C) {
                return p;
            }
            if (tag != 0x21) {
                break;
            }
            p += 2;
            while (p < b.length && b[p] != 0) {
                p += 1 + (b[p] & 0xFF);
            }
            p++;
        }
        throw new IllegalArgumentException("b must be a GIF with an image descriptor");
    }
}
