package org.laudnet.models.inference;

import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the inputs a classifier accepts into decoded images, bounding every size before it allocates. Every input
 * type ({@code byte[]}, {@link InputStream}, {@link Path}, DJL {@link Image}, {@link BufferedImage}) goes through the
 * same limits, and every refusal is an {@link ImageInputException} naming the source and the offending value:
 * <ul>
 *   <li>an encoded image holds at most {@value #MAX_ENCODED_BYTES} bytes (a stream is read no further);</li>
 *   <li>an image has at most {@value #MAX_PIXELS} pixels: an encoded image's header is read first and its declared
 *       size checked before any pixel is decoded, so a small file that would decompress to a huge image (a
 *       decompression bomb) costs a header read;</li>
 *   <li>the longer side is at most {@value #MAX_ASPECT_RATIO} times the shorter (checked from the header too): the
 *       centre crop of the preprocessing keeps a square of the shorter side, so it sees {@code 1/32} of an image at
 *       the limit, and at the usual shorter side of 256 the image it is cut from measures {@code 256 x 8192}.
 *       Photographs, panoramas included (rarely beyond 10:1), are far inside the limit; strips and lines are not
 *       images to classify;</li>
 *   <li>an image must decode completely: a truncated file (the decoder fails on the missing data, or reports it with
 *       a warning such as JPEG's "Premature end of JPEG file" or "Missing EOI marker", where it would otherwise return
 *       the image with its missing part filled in) is refused rather than classified from what was decoded. Other
 *       decoder warnings are logged.</li>
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class ImageInputs {

    private static final Logger LOG = LoggerFactory.getLogger(ImageInputs.class);

    /** The most bytes an encoded image may have (64 MiB). */
    public static final int MAX_ENCODED_BYTES = 64 << 20;

    /** The most pixels an image may declare (40 megapixels). */
    public static final long MAX_PIXELS = 40_000_000L;

    /** The most the longer side of an image may be, as a multiple of the shorter: 32, so 32:1 is the widest shape. */
    public static final int MAX_ASPECT_RATIO = 32;

    private ImageInputs() {}

    /**
     * Decodes one input into an image.
     *
     * @param <I> the input type
     */
    @FunctionalInterface
    public interface Decoder<I> {
        /**
         * Decodes.
         *
         * @param input the input
         * @return the image
         * @throws IOException if it is not a decodable image or exceeds the limits (the message says which)
         */
        BufferedImage decode(I input) throws IOException;
    }

    /**
     * Returns the decoder of an input type.
     *
     * @param type {@link Image}, {@link BufferedImage}, {@code byte[]} (an encoded image), {@link InputStream} or
     *     {@link Path}
     * @param <I> the input type
     * @return the decoder
     * @throws IllegalArgumentException for another type
     */
    @SuppressWarnings("unchecked")
    public static <I> Decoder<I> forType(Class<I> type) {
        if (type == Image.class) {
            return in -> fromImage((Image) in);
        }
        if (type == BufferedImage.class) {
            return in -> checkLimits((BufferedImage) in, "image");
        }
        if (type == byte[].class) {
            return in -> decode((byte[]) in, "image bytes");
        }
        if (type == InputStream.class) {
            return in -> decode(readBounded((InputStream) in, "image stream"), "image stream");
        }
        if (type == Path.class) {
            return in -> read((Path) in);
        }
        throw new IllegalArgumentException("input type must be Image, BufferedImage, byte[], InputStream or Path,"
                + " got " + type.getName());
    }

    /**
     * Reads and decodes an image file.
     *
     * @param file the file
     * @return the image
     * @throws IOException if it is missing, too large, or not a decodable image (the message names the file)
     */
    public static BufferedImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new ImageInputException(String.valueOf(file), "no such image file");
        }
        long size = Files.size(file);
        if (size > MAX_ENCODED_BYTES) {
            throw new ImageInputException(String.valueOf(file), size + " bytes, more than the limit of "
                    + MAX_ENCODED_BYTES);
        }
        try (InputStream in = Files.newInputStream(file)) {
            // bounded again while reading: the file may have grown since its size was checked
            return decode(readBounded(in, file.toString()), file.toString());
        }
    }

    private static byte[] readBounded(InputStream in, String source) throws IOException {
        if (in == null) {
            throw new ImageInputException(source, "must not be null");
        }
        byte[] b = in.readNBytes(MAX_ENCODED_BYTES + 1);
        if (b.length > MAX_ENCODED_BYTES) {
            throw new ImageInputException(source, "more than " + MAX_ENCODED_BYTES + " bytes");
        }
        return b;
    }

    /**
     * Decodes an encoded image after checking the size its header declares; refuses a truncated image.
     *
     * @param bytes the encoded image (JPEG, PNG, BMP, GIF)
     * @param source what to call it in messages
     * @return the image, completely decoded
     * @throws ImageInputException if it is empty, not decodable, truncated, declares more than {@value #MAX_PIXELS}
     *     pixels or an aspect ratio beyond {@value #MAX_ASPECT_RATIO}:1
     * @throws IOException if reading the bytes fails otherwise
     */
    public static BufferedImage decode(byte[] bytes, String source) throws IOException {
        if (bytes == null || bytes.length == 0) {
            throw new ImageInputException(source, "empty");
        }
        // an in-memory stream: ImageIO's default for a stream would cache it in a temporary file
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageInputException(source, "not a decodable image (supported: JPEG, PNG, BMP, GIF)");
            }
            ImageReader reader = readers.next();
            List<String> warnings = new ArrayList<>();
            String format = format(reader);
            try {
                reader.setInput(in, true, true);
                reader.addIIOReadWarningListener((r, warning) -> warnings.add(warning));
                checkDimensions(source, "declares", reader.getWidth(0), reader.getHeight(0));
                BufferedImage image = reader.read(0);
                if (image == null) {
                    throw new ImageInputException(source, "not a decodable image");
                }
                String truncation = truncation(warnings);
                if (truncation != null) {
                    throw new ImageInputException(source, "truncated " + format + ": the decoder reported \""
                            + truncation + "\"; a partially decoded image is refused");
                }
                if (!warnings.isEmpty()) {
                    LOG.warn("{}: the {} decoder warned {}; the image decoded completely and is used", source, format,
                            warnings);
                }
                return checkLimits(image, source);
            } catch (ImageInputException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                String truncation = truncation(warnings);
                if (truncation != null || endOfData(e)) {
                    throw new ImageInputException(source, "truncated " + format + ": " + describe(e)
                            + (truncation == null ? "" : " (the decoder reported \"" + truncation + "\")"), e);
                }
                throw new ImageInputException(source, "cannot decode the " + format + " image: " + describe(e), e);
            } finally {
                reader.dispose();
            }
        }
    }

    /**
     * Checks the size of an image against the limits of every input: at most {@value #MAX_PIXELS} pixels, and the
     * longer side at most {@value #MAX_ASPECT_RATIO} times the shorter.
     *
     * @param source what to call the image in messages
     * @param verb how the message introduces the size ("declares" for a header, "has" for an image)
     * @param width the width
     * @param height the height
     * @throws ImageInputException naming the size and the limit it breaks
     */
    static void checkDimensions(String source, String verb, long width, long height) throws ImageInputException {
        long pixels = width * height;
        if (width <= 0 || height <= 0 || pixels > MAX_PIXELS) {
            throw new ImageInputException(source, verb + " " + width + " x " + height + " = " + pixels
                    + " pixels, outside (0, " + MAX_PIXELS + "] (the limit ImageInputs.MAX_PIXELS)");
        }
        long longer = Math.max(width, height);
        long shorter = Math.min(width, height);
        if (longer > MAX_ASPECT_RATIO * shorter) {
            throw new ImageInputException(source, verb + " " + width + " x " + height + " pixels, an aspect ratio of "
                    + String.format(Locale.ROOT, "%.1f", longer / (double) shorter) + ":1, beyond the limit of "
                    + MAX_ASPECT_RATIO + ":1 (ImageInputs.MAX_ASPECT_RATIO)");
        }
    }

    /**
     * Checks a decoded image against the limits of every input ({@value #MAX_PIXELS} pixels, aspect ratio
     * {@value #MAX_ASPECT_RATIO}:1); a classifier applies it to whatever its decoder returns.
     *
     * @param image the image
     * @param source what to call it in messages
     * @return the image
     * @throws ImageInputException if it is null or outside the limits
     */
    public static BufferedImage checkLimits(BufferedImage image, String source) throws ImageInputException {
        if (image == null) {
            throw new ImageInputException(source, "must not be null");
        }
        checkDimensions(source, "has", image.getWidth(), image.getHeight());
        return image;
    }

    /** The format's name in messages: JPEG, PNG, BMP, GIF. */
    private static String format(ImageReader reader) {
        try {
            return reader.getFormatName().toUpperCase(Locale.ROOT);
        } catch (IOException e) {
            return "image";
        }
    }

    /** The decoder's warnings that say the data ended early (each once, joined), or null if none does. */
    private static String truncation(List<String> warnings) {
        Set<String> found = new LinkedHashSet<>();
        for (String w : warnings) {
            String lower = w == null ? "" : w.toLowerCase(Locale.ROOT);
            if (lower.contains("premature end") || lower.contains("truncated")) {
                found.add(w);
            }
        }
        return found.isEmpty() ? null : String.join("\", \"", found);
    }

    /** Whether a decoder's exception comes from the data ending before the image did. */
    private static boolean endOfData(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (t instanceof EOFException || m.contains("unexpected end") || m.contains("premature end")) {
                return true;
            }
        }
        return false;
    }

    /** The messages of an exception and its causes. */
    private static String describe(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (b.length() > 0) {
                b.append(" <- ");
            }
            b.append(t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName());
        }
        return b.toString();
    }

    /**
     * Returns a DJL image as a {@link BufferedImage}: the wrapped one when DJL's AWT factory made it, else its RGB
     * pixels copied (after the size check).
     *
     * @param image the image
     * @return the decoded image
     * @throws IOException if it exceeds the pixel or aspect-ratio limit
     */
    public static BufferedImage fromImage(Image image) throws IOException {
        if (image == null) {
            throw new ImageInputException("image", "must not be null");
        }
        if (image.getWrappedImage() instanceof BufferedImage b) {
            return checkLimits(b, "image");
        }
        checkDimensions("image", "has", image.getWidth(), image.getHeight());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray hwc = image.toNDArray(m, Image.Flag.COLOR).toType(DataType.INT32, false);
            int h = (int) hwc.getShape().get(0);
            int w = (int) hwc.getShape().get(1);
            int[] v = hwc.toIntArray();
            BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = (y * w + x) * 3;
                    out.setRGB(x, y, (v[i] << 16) | (v[i + 1] << 8) | v[i + 2]);
                }
            }
            return out;
        }
    }
}
