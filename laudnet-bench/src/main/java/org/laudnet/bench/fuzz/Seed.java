package org.laudnet.bench.fuzz;

import java.util.List;

/**
 * A valid input of one format, generated programmatically: its files and the one the reader is given. Immutable and
 * thread-safe.
 *
 * @param files the files, the first being the entry point unless {@code entry} names another
 * @param entry the name of the file (or directory) the reader is given
 */
public record Seed(List<SeedFile> files, String entry) {

    /** Copies the list and checks that the entry is one of the files. */
    public Seed {
        files = List.copyOf(files);
        if (files.stream().noneMatch(f -> f.name().equals(entry))) {
            throw new IllegalArgumentException("entry must be one of the seed files, got " + entry);
        }
    }

    /**
     * Returns the entry file.
     *
     * @return the file the reader is given
     */
    public SeedFile entryFile() {
        return file(entry);
    }

    /**
     * Looks a file up by name.
     *
     * @param name its name
     * @return the file
     * @throws IllegalArgumentException if there is none
     */
    public SeedFile file(String name) {
        return files.stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow(
                () -> new IllegalArgumentException("name must be one of the seed files, got " + name));
    }
}
