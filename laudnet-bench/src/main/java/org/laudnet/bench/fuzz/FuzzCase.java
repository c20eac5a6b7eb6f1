package org.laudnet.bench.fuzz;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One fuzz case: the files to lay out in a fresh directory (a seed with one mutation), the entry the reader is given,
 * and whether the input must be refused (NaN weights, escaping paths, bombs, empty files, directories). Immutable
 * and thread-safe.
 *
 * @param kind the mutation kind
 * @param description what was done, e.g. {@code "header length (u64 @0) = 2^63-1"}
 * @param entries the files, directories and links of the case
 * @param entry the path (relative to the case directory) given to the reader
 * @param mustRefuse whether accepting the input is a failure
 */
public record FuzzCase(MutationKind kind, String description, List<Entry> entries, String entry, boolean mustRefuse) {

    /** Copies the list. */
    public FuzzCase {
        entries = List.copyOf(entries);
        if (kind == null || description == null || entry == null) {
            throw new IllegalArgumentException("kind, description and entry must not be null");
        }
    }

    /** One thing laid out in the case directory. */
    public sealed interface Entry permits FileEntry, DirectoryEntry, LinkEntry {
        /**
         * Returns the path relative to the case directory.
         *
         * @return the name
         */
        String name();
    }

    /** The token a {@link FileEntry} with {@code expandCaseDir} has replaced by the case directory's absolute path. */
    public static final String CASE_DIR_TOKEN = "@CASE_DIR@";

    /**
     * A regular file.
     *
     * @param name the relative path
     * @param bytes the content
     * @param expandCaseDir whether {@link #CASE_DIR_TOKEN} in the content (UTF-8) is replaced by the case directory
     *     (so that a file can hold an absolute path into its own case)
     */
    public record FileEntry(String name, byte[] bytes, boolean expandCaseDir) implements Entry {}

    /**
     * An (empty) directory.
     *
     * @param name the relative path
     */
    public record DirectoryEntry(String name) implements Entry {}

    /**
     * A symbolic link.
     *
     * @param name the relative path of the link
     * @param target the link's target, as stored in the link (relative to the link's directory, or absolute)
     */
    public record LinkEntry(String name, String target) implements Entry {}

    /**
     * Starts a case from a seed: every seed file, to be replaced or added to with the builder's methods.
     *
     * @param seed the seed
     * @param kind the mutation kind
     * @return a builder
     */
    public static Builder from(Seed seed, MutationKind kind) {
        Builder b = new Builder(kind, seed.entry());
        for (SeedFile f : seed.files()) {
            b.entries.add(new FileEntry(f.name(), f.encode(f.bytes()), false));
        }
        return b;
    }

    /**
     * Lays the case out in a directory.
     *
     * @param dir an empty directory
     * @throws IOException if writing fails
     */
    public void materialize(Path dir) throws IOException {
        for (Entry e : entries) {
            Path p = dir.resolve(e.name());
            Files.createDirectories(p.getParent());
            if (e instanceof FileEntry f) {
                Files.write(p, f.expandCaseDir() ? new String(f.bytes(), StandardCharsets.UTF_8)
                        .replace(CASE_DIR_TOKEN, dir.toAbsolutePath().toString()).getBytes(StandardCharsets.UTF_8)
                        : f.bytes());
            } else if (e instanceof DirectoryEntry) {
                Files.createDirectories(p);
            } else if (e instanceof LinkEntry l) {
                Files.createSymbolicLink(p, p.getFileSystem().getPath(l.target()));
            }
        }
    }

    /** Builds a case from a seed's files. Not thread-safe. */
    public static final class Builder {
        private final MutationKind kind;
        private final List<Entry> entries = new ArrayList<>();
        private String entry;
        private boolean mustRefuse;

        private Builder(MutationKind kind, String entry) {
            this.kind = kind;
            this.entry = entry;
        }

        /**
         * Replaces (or adds) a file.
         *
         * @param name its relative path
         * @param bytes its content
         * @return this builder
         */
        public Builder file(String name, byte[] bytes) {
            remove(name);
            entries.add(new FileEntry(name, bytes, false));
            return this;
        }

        /**
         * Replaces (or adds) a UTF-8 text file in which {@link #CASE_DIR_TOKEN} stands for the case directory.
         *
         * @param name its relative path
         * @param text its content
         * @return this builder
         */
        public Builder fileWithCaseDir(String name, String text) {
            remove(name);
            entries.add(new FileEntry(name, text.getBytes(StandardCharsets.UTF_8), true));
            return this;
        }

        /**
         * Replaces (or adds) a directory at a path.
         *
         * @param name its relative path
         * @return this builder
         */
        public Builder directory(String name) {
            remove(name);
            entries.add(new DirectoryEntry(name));
            return this;
        }

        /**
         * Adds a symbolic link.
         *
         * @param name its relative path
         * @param target its target
         * @return this builder
         */
        public Builder link(String name, String target) {
            remove(name);
            entries.add(new LinkEntry(name, target));
            return this;
        }

        /**
         * Removes a file.
         *
         * @param name its relative path
         * @return this builder
         */
        public Builder remove(String name) {
            entries.removeIf(e -> e.name().equals(name));
            return this;
        }

        /**
         * Gives the reader another path.
         *
         * @param name the relative path
         * @return this builder
         */
        public Builder entry(String name) {
            this.entry = name;
            return this;
        }

        /**
         * Marks the case as one that must be refused.
         *
         * @return this builder
         */
        public Builder mustRefuse() {
            this.mustRefuse = true;
            return this;
        }

        /**
         * Builds the case.
         *
         * @param description what was done
         * @return the case
         */
        public FuzzCase build(String description) {
            return new FuzzCase(kind, description, entries, entry, mustRefuse);
        }
    }
}
