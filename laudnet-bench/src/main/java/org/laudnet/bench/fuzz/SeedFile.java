package org.laudnet.bench.fuzz;

import java.util.function.UnaryOperator;

/**
 * One file of a valid seed input, with what the fuzzer knows about its structure. The bytes are owned by the record
 * and never modified (mutations work on copies). For a file stored encoded (a gzip IDX file), {@code bytes} and the
 * layout describe the decoded content, and {@code encoder} turns (mutated) content into the file's bytes, so that
 * mutations reach the parser behind the encoding. Immutable and thread-safe.
 *
 * @param name the file's name relative to the case directory (e.g. {@code model/model.json})
 * @param bytes the valid content (decoded, for an encoded file)
 * @param layout the content's structure
 * @param encoder turns content into the file's bytes (the identity for plain files)
 */
public record SeedFile(String name, byte[] bytes, FileLayout layout, UnaryOperator<byte[]> encoder) {

    /** Checks the fields. */
    public SeedFile {
        if (name == null || name.isBlank() || bytes == null || layout == null || encoder == null) {
            throw new IllegalArgumentException("name, bytes, layout and encoder must be given, got name " + name);
        }
    }

    /**
     * A plain (not encoded) file.
     *
     * @param name the file's name relative to the case directory
     * @param bytes the valid content
     * @param layout its structure
     */
    public SeedFile(String name, byte[] bytes, FileLayout layout) {
        this(name, bytes, layout, UnaryOperator.identity());
    }

    /**
     * Returns the file's bytes for some content.
     *
     * @param content the (mutated) content
     * @return the bytes to write
     */
    public byte[] encode(byte[] content) {
        return encoder.apply(content);
    }

    /**
     * Returns a copy of the content, to mutate.
     *
     * @return a new array
     */
    public byte[] copy() {
        return bytes.clone();
    }
}
