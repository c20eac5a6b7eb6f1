package org.laudnet.core.util;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes files atomically: the content goes to a fresh temporary file beside the target, is forced to the device, and
 * then replaces the target in one rename (a plain replacing move where the file system has no atomic rename), so that
 * a reader (or a crash) sees either the old file or the whole new one; the directory entry is then forced to the
 * device where the platform allows it. On a failure the temporary file is deleted and the target is left as it was.
 *
 * <p>Thread-safe: concurrent writes to the same target each use their own temporary file; the last rename wins.
 */
public final class AtomicFiles {

    private static final Logger LOG = LoggerFactory.getLogger(AtomicFiles.class);
    private static final int TEMP_ATTEMPTS = 16;

    private AtomicFiles() {}

    /**
     * Produces the content of a file.
     */
    @FunctionalInterface
    public interface Content {
        /**
         * Writes the content.
         *
         * @param out the stream to write to (buffer it for small writes; do not close it)
         * @throws IOException if writing fails; the target is then left unchanged
         */
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes {@code target} atomically. Its directory must exist.
     *
     * @param target the file to create or replace
     * @param content what to write
     * @throws IllegalArgumentException if {@code target} names no file inside a directory (a file system root)
     * @throws IOException if the directory does not exist ({@link java.nio.file.NoSuchFileException}) or the content
     *     cannot be written or moved into place
     */
    public static void write(Path target, Content content) throws IOException {
        Path file = target.toAbsolutePath();
        Path dir = file.getParent();
        if (dir == null) {
            throw new IllegalArgumentException("target must name a file inside a directory, got " + target);
        }
        String name = file.getFileName().toString();
        Path tmp = null;
        FileChannel channel = null;
        for (int attempt = 0; channel == null; attempt++) {
            Path candidate = dir.resolve("." + name + "." + Long.toUnsignedString(
                    ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try {
                channel = FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                tmp = candidate;
            } catch (FileAlreadyExistsException e) {
                if (attempt + 1 >= TEMP_ATTEMPTS) {
                    throw e;
                }
            }
        }
        try {
            try (FileChannel ch = channel) {
                OutputStream out = Channels.newOutputStream(ch);
                content.writeTo(out);
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                LOG.debug("atomic move not supported for {}, replacing it non-atomically", file);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException | Error t) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException d) {
                t.addSuppressed(d);
            }
            throw t;
        }
        syncDirectory(dir);
    }

    /** Forces the directory entry of a renamed file to disk where the platform allows opening directories. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("could not sync directory {}: {}", dir, e.toString());
        }
    }
}
