package org.laudnet.cuda.check;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Markdown report of a GPU check and its verdict: lines are appended in order, and any part that finds a
 * comparison out of tolerance marks the report failed. Thread-safe (a shutdown hook may write it while the check
 * appends).
 */
final class Report {

    private final StringBuilder md = new StringBuilder();
    private boolean failed;

    /**
     * Appends a line.
     *
     * @param s the text, without the newline
     */
    synchronized void line(String s) {
        md.append(s).append('\n');
    }

    /**
     * Records the outcome of a comparison that counts.
     *
     * @param pass whether it passed
     * @return {@code pass}
     */
    synchronized boolean check(boolean pass) {
        failed |= !pass;
        return pass;
    }

    /** Marks the report failed. */
    synchronized void fail() {
        failed = true;
    }

    /** Returns whether a comparison failed. */
    synchronized boolean failed() {
        return failed;
    }

    /** Returns the text so far. */
    synchronized String text() {
        return md.toString();
    }

    /**
     * Writes the report.
     *
     * @param file the destination (its folder is created)
     * @throws IOException if writing fails
     */
    synchronized void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
    }
}
