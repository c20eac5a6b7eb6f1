package org.laudnet.bench.fuzz;

import java.io.IOException;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.laudnet.bench.fuzz.FileLayout.Field;
import org.laudnet.bench.fuzz.FileLayout.FieldRole;
import org.laudnet.bench.fuzz.FileLayout.ValueRegion;

/**
 * The mutations every format shares, driven by the seeds' {@link FileLayout}s: truncation at boundaries and at random
 * offsets, bit flips (with checksums recomputed in every other case), length/count/dimension fields set to extreme
 * values, wrong magic bytes and versions, non-finite weights, zero-byte files and directories in place of files.
 * Subclasses supply the seeds and the reader, and implement the format-specific kinds in {@link #mutateSpecific}.
 * Used by one thread at a time.
 */
public abstract class AbstractFuzzTarget implements FuzzTarget {

    /** The kinds every target supports through this class (when its layouts provide what they need). */
    protected static final Set<MutationKind> GENERIC = EnumSet.of(MutationKind.TRUNCATE_BOUNDARY,
            MutationKind.TRUNCATE_RANDOM, MutationKind.BIT_FLIP, MutationKind.LENGTH_FIELD, MutationKind.MAGIC,
            MutationKind.VERSION, MutationKind.NON_FINITE, MutationKind.EMPTY_FILE, MutationKind.DIRECTORY);

    private static final float[] NON_FINITE = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
        Float.intBitsToFloat(0x7f800001), Float.intBitsToFloat(0xffc00000)};

    /** Creates the target. */
    protected AbstractFuzzTarget() {}

    /**
     * Returns whether a truncated input must be refused (false where a shorter input can be valid: JSON with trailing
     * whitespace, images decoded partially).
     *
     * @return true by default
     */
    protected boolean truncationMustBeRefused() {
        return true;
    }

    /**
     * Returns whether NaN or infinite weights must be refused.
     *
     * @return true by default
     */
    protected boolean nonFiniteMustBeRefused() {
        return true;
    }

    @Override
    public FuzzCase mutate(MutationKind kind, int index, SplittableRandom random) throws IOException {
        if (!kinds().contains(kind)) {
            throw new IllegalArgumentException("kind must be one of " + kinds() + " for " + format() + ", got " + kind);
        }
        return switch (kind) {
            case TRUNCATE_BOUNDARY -> truncateAtBoundary(index, random);
            case TRUNCATE_RANDOM -> truncateAtRandom(index, random);
            case BIT_FLIP -> flipBits(index, random);
            case LENGTH_FIELD -> lengthField(index, random);
            case MAGIC -> badMagic(index, random);
            case VERSION -> badVersion(index, random);
            case NON_FINITE -> nonFinite(index, random);
            case EMPTY_FILE -> emptyFile(index);
            case DIRECTORY -> directory(index);
            default -> mutateSpecific(kind, index, random);
        };
    }

    /**
     * Makes a case of a format-specific kind ({@link MutationKind#HEADER_EDIT}, {@link MutationKind#TENSOR_EDIT},
     * {@link MutationKind#PATH_ESCAPE}, {@link MutationKind#DIMENSION_BOMB}).
     *
     * @param kind the kind
     * @param index the case's index within its kind
     * @param random the case's random source
     * @return the case
     * @throws IOException if a seed cannot be re-encoded
     */
    protected FuzzCase mutateSpecific(MutationKind kind, int index, SplittableRandom random) throws IOException {
        throw new IllegalArgumentException(format() + " has no " + kind + " mutation");
    }

    /**
     * Picks the seed of a case: seeds in turn.
     *
     * @param index the case's index
     * @return the seed
     */
    protected Seed seedOf(int index) {
        List<Seed> seeds = seeds();
        return seeds.get(Math.floorMod(index, seeds.size()));
    }

    /**
     * Picks the file of a case among the seed's files that satisfy a condition, in turn over the cases.
     *
     * @param seed the seed
     * @param index the case's index
     * @param usable which files qualify
     * @return the file, or null if none qualifies
     */
    protected SeedFile fileOf(Seed seed, int index, java.util.function.Predicate<SeedFile> usable) {
        List<SeedFile> files = seed.files().stream().filter(usable).toList();
        if (files.isEmpty()) {
            return null;
        }
        return files.get(Math.floorMod(index / seeds().size(), files.size()));
    }

    /** Builds a case with one file's content replaced (encoded as that file is). */
    private FuzzCase replaced(Seed seed, SeedFile f, MutationKind kind, byte[] content, boolean refuse,
            String description) {
        FuzzCase.Builder b = FuzzCase.from(seed, kind).file(f.name(), f.encode(content));
        if (refuse) {
            b.mustRefuse();
        }
        return b.build(f.name() + ": " + description);
    }

    private FuzzCase truncateAtBoundary(int index, SplittableRandom random) {
        Seed seed = seedOf(index);
        SeedFile f = fileOf(seed, index, s -> !s.layout().boundaries().isEmpty());
        if (f == null) {
            return truncateAtRandom(index, random);
        }
        TreeSet<Long> cuts = new TreeSet<>();
        for (FileLayout.Boundary b : f.layout().boundaries()) {
            for (long d = -1; d <= 1; d++) {
                if (b.offset() + d >= 0 && b.offset() + d < f.bytes().length) {
                    cuts.add(b.offset() + d);
                }
            }
        }
        if (cuts.isEmpty()) {
            return truncateAtRandom(index, random);
        }
        List<Long> all = new ArrayList<>(cuts);
        long cut = all.get(random.nextInt(all.size()));
        String label = f.layout().boundaries().stream()
                .min((a, b) -> Long.compare(Math.abs(a.offset() - cut), Math.abs(b.offset() - cut)))
                .map(b -> b.label() + (b.offset() == cut ? "" : (cut < b.offset() ? " - 1" : " + 1")))
                .orElse("");
        return replaced(seed, f, MutationKind.TRUNCATE_BOUNDARY, Bytes.head(f.bytes(), cut),
                truncationMustBeRefused(), "cut to " + cut + " of " + f.bytes().length + " bytes (" + label + ")");
    }

    private FuzzCase truncateAtRandom(int index, SplittableRandom random) {
        Seed seed = seedOf(index);
        SeedFile f = fileOf(seed, index, s -> s.bytes().length > 0);
        long cut = random.nextInt(f.bytes().length);
        return replaced(seed, f, MutationKind.TRUNCATE_RANDOM, Bytes.head(f.bytes(), cut), truncationMustBeRefused(),
                "cut to " + cut + " of " + f.bytes().length + " bytes");
    }

    private FuzzCase flipBits(int index, SplittableRandom random) {
        Seed seed = seedOf(index);
        SeedFile f = fileOf(seed, index, s -> s.bytes().length > 0);
        byte[] b = f.copy();
        int flips = 1 + random.nextInt(8);
        List<String> at = new ArrayList<>();
        for (int i = 0; i < flips; i++) {
            int pos = random.nextInt(b.length);
            int bit = random.nextInt(8);
            b[pos] ^= (byte) (1 << bit);
            at.add(pos + "." + bit);
        }
        boolean seal = f.layout().checksummed() && index % 2 == 1;
        return replaced(seed, f, MutationKind.BIT_FLIP, seal ? f.layout().seal(b) : b, false,
                "flipped bits " + at + (seal ? ", checksums recomputed" : ""));
    }

    private FuzzCase lengthField(int index, SplittableRandom random) {
        Seed seed = seedOf(index);
        SeedFile f = fileOf(seed, index, s -> s.layout().fields().stream().anyMatch(x -> x.role() != FieldRole.VERSION));
        if (f == null) {
            return flipBits(index, random);
        }
        List<Field> fields = f.layout().fields().stream().filter(x -> x.role() != FieldRole.VERSION).toList();
        Field field = fields.get(random.nextInt(fields.size()));
        long original = Bytes.get(f.bytes(), field.offset(), field.width(), field.order());
        long[] values = extremeValues(field, original, f.bytes().length);
        long value = values[random.nextInt(values.length)];
        byte[] b = f.copy();
        Bytes.put(b, field.offset(), field.width(), field.order(), value);
        boolean seal = f.layout().checksummed() && index % 2 == 1;
        return replaced(seed, f, MutationKind.LENGTH_FIELD, seal ? f.layout().seal(b) : b, false,
                describe(field) + " " + original + " -> " + Bytes.get(b, field.offset(), field.width(), field.order())
                        + (seal ? ", checksums recomputed" : ""));
    }

    /** The values a length, count or dimension field is set to: zero, negative, huge, just beyond the file. */
    static long[] extremeValues(Field field, long original, long fileBytes) {
        long max = Bytes.allOnes(field.width());
        long signedMax = field.width() == 8 ? Long.MAX_VALUE : max >>> 1;
        long signedMin = field.width() == 8 ? Long.MIN_VALUE : signedMax + 1;
        List<Long> v = new ArrayList<>(List.of(0L, max, signedMax, signedMin, original + 1, original - 1,
                original * 2 + 1, fileBytes, fileBytes + 1, 1L << 20));
        if (field.width() >= 4) {
            v.addAll(List.of(Integer.MAX_VALUE - 8L, 1L << 31, 1L << 30));
        }
        if (field.role() == FieldRole.DIMENSION || field.role() == FieldRole.COUNT) {
            v.add(65_536L);
        }
        v.remove(original);
        return v.stream().mapToLong(Long::longValue).toArray();
    }

    private static String describe(Field field) {
        return field.label() + " (" + (field.width() * 8) + "-bit " + (field.order() == ByteOrder.BIG_ENDIAN ? "BE"
                : "LE") + " @" + field.offset() + ")";
    }

    private FuzzCase badMagic(int index, SplittableRandom random) {
        Seed seed = seedOf(index);
        SeedFile f = fileOf(seed, index, s -> s.layout().magic() != null);
        if (f == null) {
            return flipBits(index, random);
        }
        FileLayout.Range m = f.layout().magic();
        byte[] b = f.copy();
        int from = Math.toIntExact(m.offset());
        String what;
        switch (random.nextInt(4)) {
            case 0 -> {
                int i = from + random.nextInt(m.length());
                b[i] ^= (byte) (1 + random.nextInt(255));
                what = "one magic byte changed at " + i;
            }
            case 1 -> {
                Arrays.fill(b, from, from + m.length(), (byte) 0);
                what = "magic bytes zeroed";
            }
            case 2 -> {
                for (int i = 0; i < m.length() / 2; i++) {
                    byte t = b[from + i];
                    b[from + i] = b[from + m.length() - 1 - i];
                    b[from + m.length() - 1 - i] = t;
                }
                what = "magic bytes reversed";
            }
            default -> {
                byte[] other = "LAUDPLANLAUDCKPT\u0089PNG".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
                int start = random.nextInt(other.length - m.length() + 1);
                System.arraycopy(other, start, b, from, m.length());
                what = "magic bytes of another format";
            }
        }
        if (Arrays.equals(b, f.bytes())) {
            b[from] ^= 0x20;
        }
        boolean seal = f.layout().checksummed() && index % 2 == 1;
        return replaced(seed, f, MutationKind.MAGIC, seal ? f.layout().seal(b) : b, true,
                what + (seal ? ", checksums recomputed" : ""));
    }

    private FuzzCase badVersion(int index, SplittableRandom random) {
        Seed seed = seedOf(index);
        SeedFile f = fileOf(seed, index, s -> s.layout().fields().stream().anyMatch(x -> x.role() == FieldRole.VERSION));
        if (f == null) {
            return badMagic(index, random);
        }
        Field field = f.layout().fields().stream().filter(x -> x.role() == FieldRole.VERSION).findFirst().get();
        long original = Bytes.get(f.bytes(), field.offset(), field.width(), field.order());
        long[] values = {0, -1, original + 1, original + 100, Bytes.allOnes(field.width()) >>> 1,
            Bytes.allOnes(field.width()) >>> 1 ^ Bytes.allOnes(field.width()), original - 1, 1, 0x01000000L};
        long value = values[random.nextInt(values.length)];
        if (value == original) {
            value = original + 1;
        }
        byte[] b = f.copy();
        Bytes.put(b, field.offset(), field.width(), field.order(), value);
        boolean seal = f.layout().checksummed() && index % 2 == 1;
        return replaced(seed, f, MutationKind.VERSION, seal ? f.layout().seal(b) : b, false,
                describe(field) + " " + original + " -> " + (int) value + (seal ? ", checksums recomputed" : ""));
    }

    private FuzzCase nonFinite(int index, SplittableRandom random) {
        Seed seed = seedOf(index);
        SeedFile f = fileOf(seed, index, s -> !s.layout().values().isEmpty());
        if (f == null) {
            throw new IllegalStateException(format() + " seeds hold no weight values for " + MutationKind.NON_FINITE);
        }
        List<ValueRegion> regions = f.layout().values();
        ValueRegion r = regions.get(random.nextInt(regions.size()));
        long element = random.nextLong(r.count());
        float v = NON_FINITE[random.nextInt(NON_FINITE.length)];
        byte[] b = f.copy();
        long at = r.offset() + element * r.width();
        if (r.width() == 8) {
            Bytes.put(b, at, 8, r.order(), Double.doubleToRawLongBits(v));
        } else {
            Bytes.put(b, at, 4, r.order(), Float.floatToRawIntBits(v));
        }
        return replaced(seed, f, MutationKind.NON_FINITE, f.layout().seal(b), nonFiniteMustBeRefused(),
                String.format(Locale.ROOT, "%s[%d] = %s (bits 0x%08x) at byte %d", r.label(), element, v,
                        Float.floatToRawIntBits(v), at));
    }

    private FuzzCase emptyFile(int index) {
        Seed seed = seedOf(index);
        SeedFile f = fileOf(seed, index, s -> true);
        return FuzzCase.from(seed, MutationKind.EMPTY_FILE).file(f.name(), new byte[0]).mustRefuse()
                .build(f.name() + ": zero bytes");
    }

    private FuzzCase directory(int index) {
        Seed seed = seedOf(index);
        SeedFile f = fileOf(seed, index, s -> true);
        return FuzzCase.from(seed, MutationKind.DIRECTORY).directory(f.name()).mustRefuse()
                .build(f.name() + ": a directory in its place");
    }
}
