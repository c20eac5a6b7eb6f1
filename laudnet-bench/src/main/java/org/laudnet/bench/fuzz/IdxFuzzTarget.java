package org.laudnet.bench.fuzz;

import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.models.data.IdxDataset;
import org.laudnet.models.data.IdxFormatException;
import org.laudnet.models.data.IdxImages;

/**
 * Fuzzes IDX data files as a dataset reads them: {@code IdxDataset.Builder.setFiles(images, labels)}. Two seeds of 12
 * gray 8 x 8 images and their labels: one with raw images and gzip labels, one the other way round. The layouts
 * describe the decompressed content (magic, the dimensions, image and label boundaries), so mutations of a gzip file
 * reach the IDX parser (the content is recompressed); every other bit-flip and random-truncation case of a gzip file
 * damages the compressed stream itself instead. Used by one thread at a time.
 */
public final class IdxFuzzTarget extends AbstractFuzzTarget {

    private static final int COUNT = 12;
    private static final int SIDE = 8;
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;

    private final List<Seed> seeds;

    /** Generates the seeds. */
    public IdxFuzzTarget() {
        SplittableRandom r = new SplittableRandom(37);
        byte[] images = new byte[16 + COUNT * SIDE * SIDE];
        Bytes.put(images, 0, 4, BE, 0x00000803);
        Bytes.put(images, 4, 4, BE, COUNT);
        Bytes.put(images, 8, 4, BE, SIDE);
        Bytes.put(images, 12, 4, BE, SIDE);
        for (int i = 16; i < images.length; i++) {
            images[i] = (byte) r.nextInt(256);
        }
        byte[] labels = new byte[8 + COUNT];
        Bytes.put(labels, 0, 4, BE, 0x00000801);
        Bytes.put(labels, 4, 4, BE, COUNT);
        for (int i = 0; i < COUNT; i++) {
            labels[8 + i] = (byte) (i % 10);
        }
        FileLayout.Builder im = FileLayout.builder().magic(0, 4)
                .field(4, 4, BE, FileLayout.FieldRole.COUNT, "image count")
                .field(8, 4, BE, FileLayout.FieldRole.DIMENSION, "rows")
                .field(12, 4, BE, FileLayout.FieldRole.DIMENSION, "cols")
                .boundary(4, "count").boundary(8, "rows").boundary(12, "cols").boundary(16, "pixels");
        for (int i = 1; i < COUNT; i++) {
            im.boundary(16 + i * SIDE * SIDE, "image " + i);
        }
        FileLayout.Builder lb = FileLayout.builder().magic(0, 4)
                .field(4, 4, BE, FileLayout.FieldRole.COUNT, "label count")
                .boundary(4, "count").boundary(8, "labels").boundary(8 + COUNT / 2, "label " + COUNT / 2);
        FileLayout imageLayout = im.build();
        FileLayout labelLayout = lb.build();
        seeds = List.of(
                new Seed(List.of(new SeedFile("images-idx3-ubyte", images, imageLayout),
                        new SeedFile("labels-idx1-ubyte.gz", labels, labelLayout, Bytes::gzip)), "images-idx3-ubyte"),
                new Seed(List.of(new SeedFile("images-idx3-ubyte.gz", images, imageLayout, Bytes::gzip),
                        new SeedFile("labels-idx1-ubyte", labels, labelLayout)), "images-idx3-ubyte.gz"));
    }

    @Override
    public FuzzFormat format() {
        return FuzzFormat.IDX;
    }

    @Override
    public Class<? extends LaudInputException> refusal() {
        return IdxFormatException.class;
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
        return k;
    }

    @Override
    public FuzzCase mutate(MutationKind kind, int index, SplittableRandom random) throws java.io.IOException {
        boolean compressed = (kind == MutationKind.BIT_FLIP || kind == MutationKind.TRUNCATE_RANDOM)
                && Math.floorMod(index / 2, 2) == 1;
        if (!compressed) {
            return super.mutate(kind, index, random);
        }
        Seed seed = seedOf(index);
        SeedFile gz = seed.files().stream().filter(f -> f.name().endsWith(".gz")).findFirst().orElseThrow();
        byte[] b = gz.encode(gz.bytes());
        String what;
        if (kind == MutationKind.BIT_FLIP) {
            int flips = 1 + random.nextInt(4);
            StringBuilder at = new StringBuilder();
            for (int i = 0; i < flips; i++) {
                int pos = random.nextInt(b.length);
                b[pos] ^= (byte) (1 << random.nextInt(8));
                at.append(i == 0 ? "" : ", ").append(pos);
            }
            what = "bits flipped in the compressed stream at " + at;
        } else {
            int cut = random.nextInt(b.length);
            b = Bytes.head(b, cut);
            what = "compressed stream cut to " + cut + " bytes";
        }
        return FuzzCase.from(seed, kind).file(gz.name(), b).build(gz.name() + ": " + what);
    }

    @Override
    public LoadResult load(Path entry) throws Exception {
        Path labels = entry.resolveSibling(entry.getFileName().toString().endsWith(".gz") ? "labels-idx1-ubyte"
                : "labels-idx1-ubyte.gz");
        IdxDataset ds = IdxDataset.builder().setFiles(entry, labels).optShuffle(4, 1).build();
        IdxImages im = ds.getImages();
        String summary = im.count() + " images of " + im.rows() + " x " + im.cols();
        if (im.pixels().length != (long) im.count() * im.rows() * im.cols() || ds.size() != im.count()) {
            return LoadResult.defective(summary, "the dataset has " + ds.size() + " samples and "
                    + im.pixels().length + " pixels");
        }
        return LoadResult.valid(summary);
    }
}
