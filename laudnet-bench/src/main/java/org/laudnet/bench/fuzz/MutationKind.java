package org.laudnet.bench.fuzz;

/**
 * The kinds of damage the fuzzer does to a valid seed file. Each format supports the kinds that apply to it (see
 * {@link FuzzTarget#kinds()}). Immutable and thread-safe.
 */
public enum MutationKind {
    /** Truncation at a structural boundary the format exposes (a length field, the end of a header, a tensor), +-1. */
    TRUNCATE_BOUNDARY("truncate-boundary", "truncated at a structural boundary (or one byte either side)"),
    /** Truncation at a random offset. */
    TRUNCATE_RANDOM("truncate-random", "truncated at a random offset"),
    /** One to eight random bit flips, in raw files and (for checksummed formats) with the checksum recomputed. */
    BIT_FLIP("bit-flip", "random bit flips (checksums recomputed in every other case)"),
    /** A length, count or dimension field set to a huge, zero, negative or off-by-one value. */
    LENGTH_FIELD("length-field", "a length/count/dimension field set to huge, zero, negative or off-by-one"),
    /** Wrong magic bytes. */
    MAGIC("bad-magic", "wrong magic bytes"),
    /** A wrong format version. */
    VERSION("bad-version", "an unknown, old or negative format version"),
    /** A structural edit of a JSON header: removed, retyped or absurd fields, deep nesting. */
    HEADER_EDIT("header-edit", "JSON header edited structurally: fields removed, retyped, absurd values"),
    /** Duplicate or missing tensor names, shape or size mismatches. */
    TENSOR_EDIT("tensor-edit", "duplicate/missing tensors, shape or size mismatch"),
    /** NaN or infinite weights (checksums recomputed). */
    NON_FINITE("non-finite", "NaN or infinite weights, checksums recomputed"),
    /** A zero-byte file. */
    EMPTY_FILE("empty-file", "zero-byte file"),
    /** A directory in place of the file. */
    DIRECTORY("directory", "a directory in place of the file"),
    /** Shard paths that leave the model's directory: {@code ../}, absolute paths, links, odd names. */
    PATH_ESCAPE("path-escape", "shard paths leaving the model directory (../, absolute, symbolic links)"),
    /** Absurd declared image dimensions (decompression bombs), checksums recomputed. */
    DIMENSION_BOMB("dimension-bomb", "absurd declared image dimensions (PNG IHDR + CRC, JPEG SOF, BMP, GIF)");

    private final String id;
    private final String description;

    MutationKind(String id, String description) {
        this.id = id;
        this.description = description;
    }

    /**
     * Returns the short name used in tables, e.g. {@code bit-flip}.
     *
     * @return the identifier
     */
    public String id() {
        return id;
    }

    /**
     * Returns what the mutation does.
     *
     * @return the description
     */
    public String description() {
        return description;
    }

    @Override
    public String toString() {
        return id;
    }
}
