package org.laudnet.bench.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The memory of this process: resident set size from {@code /proc/self/status} (Linux) and the JVM heap in use.
 * Stateless and thread-safe.
 */
public final class ProcessMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {}

    /**
     * Returns the resident set size of this process.
     *
     * @return {@code VmRSS}, KiB
     * @throws IOException if {@code /proc/self/status} cannot be read or has no {@code VmRSS} line (not Linux)
     */
    public static long rssKb() throws IOException {
        for (String line : Files.readAllLines(STATUS)) {
            if (line.startsWith("VmRSS:")) {
                String kb = line.substring("VmRSS:".length()).replace("kB", "").trim();
                try {
                    return Long.parseLong(kb);
                } catch (NumberFormatException e) {
                    throw new IOException(STATUS + " has an unreadable VmRSS line: " + line, e);
                }
            }
        }
        throw new IOException(STATUS + " has no VmRSS line: resident memory is measured on Linux only");
    }

    /**
     * Returns the JVM heap in use (total minus free; run a garbage collection first for a stable figure).
     *
     * @return bytes
     */
    public static long heapUsedBytes() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
