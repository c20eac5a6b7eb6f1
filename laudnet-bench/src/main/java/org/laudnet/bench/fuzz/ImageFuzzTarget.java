package org.laudnet.bench.fuzz;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.models.inference.ImageInputException;
import org.laudnet.models.inference.ImageInputs;

/**
 * Fuzzes encoded images through {@link ImageInputs#read}: one seed per format the library decodes (PNG, JPEG, BMP, GIF)
 * of the same 24 x 16 colour gradient. The layouts ({@link ImageLayouts}) expose chunks, segments and headers; the
 * PNG checksums are recomputed for resealed cases. Dimension bombs declare absurd sizes (PNG IHDR with its CRC, JPEG
 * start of frame, BMP and GIF headers): any that declares more than {@link ImageInputs#MAX_PIXELS} pixels must be
 * refused. A truncated image may be decoded partially and counts as accepted. Used by one thread at a time.
 */
public final class ImageFuzzTarget extends AbstractFuzzTarget {

    private static final int WIDTH = 24;
    private static final int HEIGHT = 16;

    private final List<Seed> seeds = new ArrayList<>();

    /**
     * Generates the seeds.
     *
     * @throws IOException if an encoder fails
     */
    public ImageFuzzTarget() throws IOException {
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < HEIGHT; y++) {
            for (int x = 0; x < WIDTH; x++) {
                img.setRGB(x, y, (x * 10) << 16 | (y * 15) << 8 | ((x + y) * 5));
            }
        }
        add(img, "png", ImageLayouts::png);
        add(img, "jpeg", ImageLayouts::jpeg);
        add(img, "bmp", ImageLayouts::bmp);
        add(img, "gif", ImageLayouts::gif);
    }

    private void add(BufferedImage img, String format, Function<byte[], FileLayout> layout) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (!ImageIO.write(img, format, out)) {
            throw new IOException("no ImageIO writer for " + format);
        }
        byte[] b = out.toByteArray();
        String name = "image." + (format.equals("jpeg") ? "jpg" : format);
        seeds.add(new Seed(List.of(new SeedFile(name, b, layout.apply(b))), name));
    }

    @Override
    public FuzzFormat format() {
        return FuzzFormat.IMAGE;
    }

    @Override
    public Class<? extends LaudInputException> refusal() {
        return ImageInputException.class;
    }

    @Override
    public List<Seed> seeds() {
        return seeds;
    }

    @Override
    public Set<MutationKind> kinds() {
        Set<MutationKind> k = EnumSet.copyOf(GENERIC);
        k.remove(MutationKind.VERSION);
        k.remove(MutationKind.NON_FINITE);
        k.add(MutationKind.DIMENSION_BOMB);
        return k;
    }

    /**
     * Widens the default budget by the decoder's documented bound: {@link ImageInputs} lets an image declare up to
     * {@link ImageInputs#MAX_PIXELS} pixels whatever its encoded size, and a decoder allocates a raster of up to 8 bytes
     * per pixel for them.
     */
    @Override
    public long allocationBudget(long inputBytes, long seedAllocation) {
        return super.allocationBudget(inputBytes, seedAllocation) + 8 * ImageInputs.MAX_PIXELS;
    }

    @Override
    protected boolean truncationMustBeRefused() {
        return false;
    }

    @Override
    protected FuzzCase mutateSpecific(MutationKind kind, int index, SplittableRandom random) {
        if (kind != MutationKind.DIMENSION_BOMB) {
            throw new IllegalArgumentException(format() + " has no " + kind + " mutation");
        }
        Seed seed = seedOf(index);
        SeedFile f = seed.entryFile();
        byte[] b = f.copy();
        long[][] sizes = {{100_000, 100_000}, {Integer.MAX_VALUE, 1}, {1, Integer.MAX_VALUE}, {65_535, 65_535},
            {0, HEIGHT}, {WIDTH, 0}, {50_000, 1_000}, {8_000, 5_001}, {6_000, 6_000}, {WIDTH * 2, HEIGHT * 2}};
        long[] s = sizes[random.nextInt(sizes.length)];
        long w = s[0];
        long h = s[1];
        String name = f.name();
        if (name.endsWith(".png")) {
            ImageLayouts.pngDimensions(b, w, h);
        } else if (name.endsWith(".jpg")) {
            w = Math.min(w, 65_535);
            h = Math.min(h, 65_535);
            int sof = ImageLayouts.jpegFrame(b);
            Bytes.put(b, sof + 5, 2, ByteOrder.BIG_ENDIAN, h);
            Bytes.put(b, sof + 7, 2, ByteOrder.BIG_ENDIAN, w);
        } else if (name.endsWith(".bmp")) {
            if (random.nextBoolean()) {
                h = -h;
            }
            Bytes.put(b, 18, 4, ByteOrder.LITTLE_ENDIAN, w);
            Bytes.put(b, 22, 4, ByteOrder.LITTLE_ENDIAN, h);
        } else {
            w = Math.min(w, 65_535);
            h = Math.min(h, 65_535);
            int d = ImageLayouts.gifImage(b);
            boolean screen = random.nextBoolean();
            Bytes.put(b, 6, 2, ByteOrder.LITTLE_ENDIAN, screen ? w : WIDTH);
            Bytes.put(b, 8, 2, ByteOrder.LITTLE_ENDIAN, screen ? h : HEIGHT);
            Bytes.put(b, d + 5, 2, ByteOrder.LITTLE_ENDIAN, w);
            Bytes.put(b, d + 7, 2, ByteOrder.LITTLE_ENDIAN, h);
        }
        long pixels = Math.abs(w) * Math.abs(h);
        FuzzCase.Builder c = FuzzCase.from(seed, kind).file(name, b);
        if (pixels > ImageInputs.MAX_PIXELS) {
            c.mustRefuse();
        }
        return c.build(name + ": declares " + w + " x " + h + " = " + pixels + " pixels"
                + (name.endsWith(".png") ? " (IHDR CRC recomputed)" : ""));
    }

    @Override
    public LoadResult load(Path entry) throws Exception {
        BufferedImage img = ImageInputs.read(entry);
        long pixels = (long) img.getWidth() * img.getHeight();
        String summary = img.getWidth() + " x " + img.getHeight() + " image (type " + img.getType() + ")";
        if (img.getWidth() <= 0 || img.getHeight() <= 0 || pixels > ImageInputs.MAX_PIXELS) {
            return LoadResult.defective(summary, "decoded " + pixels + " pixels, outside (0, "
                    + ImageInputs.MAX_PIXELS + "]");
        }
        return LoadResult.valid(summary);
    }
}
