package org.laudnet.core.util;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes files atomically and crash-safely.
 *
 * <p>The content goes to a fresh temporary file beside the target, named {@code .<target name>.<random>.tmp}
 * ({@code <random>} is 1 to 13 characters of {@code [0-9a-z]}, see {@link #isTempOf}), is forced to the device, and
 * then replaces the target in one rename (a plain replacing move where the file system has no atomic rename); the
 * directory entry is then forced to the device where the platform allows it. On a failure the temporary file is
 * deleted and the target is left as it was.
 *
 * <p>Guarantee: a reader of the target, and the next run after the writing process died at any moment (even killed
 * with {@code SIGKILL}, which runs no clean-up), sees either the complete previous file or the complete new one, never
 * a mixture or a truncated file (after a power loss as well, where the file system honours {@code fsync} and atomic
 * renames, as local Linux file systems do). A process killed between creating its temporary file and the rename
 * leaves that temporary file behind; readers never look at it (it has another name), and the next {@link #write} of
 * the same target deletes it before writing. Only files that match the temporary-file pattern of that very target
 * are deleted, and only when no live writer holds them: every writer holds an exclusive lock on its temporary file
 * from creating it until the rename (released by the operating system when a process dies), and temporary files of
 * writers in this JVM are skipped without being opened. Whether such locks are seen across machines on network file
 * systems depends on the file system; there, do not write one target from several machines at once.
 *
 * <p>Thread-safe: concurrent writes to the same target (from threads or processes) each use their own temporary
 * file; the last rename wins.
 */
public final class AtomicFiles {

    private static final Logger LOG = LoggerFactory.getLogger(AtomicFiles.class);
    private static final int TEMP_ATTEMPTS = 16;
    private static final String TEMP_SUFFIX = ".tmp";
    /** The longest random part: an unsigned 64-bit number in base 36. */
    private static final int MAX_RANDOM_CHARS = 13;

    /** Temporary files being written by this JVM: the cleaner skips them without opening (closing releases locks). */
    private static final Set<Path> IN_PROGRESS = ConcurrentHashMap.newKeySet();

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
     * Writes {@code target} atomically. Its directory must exist. Stale temporary files of the same target (left by a
     * writer that died) are deleted first; see the class description.
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
        if (dir == null || file.getFileName() == null) {
            throw new IllegalArgumentException("target must name a file inside a directory, got " + target);
        }
        String name = file.getFileName().toString();
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "the directory of " + file + " does not exist");
        }
        removeStaleTemps(file);
        Path tmp = null;
        FileChannel channel = null;
        try {
            for (int attempt = 0; channel == null; attempt++) {
                if (attempt >= TEMP_ATTEMPTS) {
                    throw new IOException("could not create a temporary file for " + file + " in " + TEMP_ATTEMPTS
                            + " attempts");
                }
                Path candidate = dir.resolve("." + name + "." + Long.toUnsignedString(
                        ThreadLocalRandom.current().nextLong(), 36) + TEMP_SUFFIX);
                if (IN_PROGRESS.add(candidate)) {
                    tmp = candidate;
                    channel = openLocked(candidate);
                    if (channel == null) {
                        IN_PROGRESS.remove(candidate);
                        tmp = null;
                    }
                }
            }
            OutputStream out = Channels.newOutputStream(channel);
            content.writeTo(out);
            out.flush();
            channel.force(true);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                LOG.debug("atomic move not supported for {}, replacing it non-atomically", file);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException | Error t) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException d) {
                    t.addSuppressed(d);
                }
            }
            throw t;
        } finally {
            if (channel != null) {
                try {
                    channel.close(); // releases the lock
                } catch (IOException e) {
                    LOG.debug("could not close the temporary file of {}: {}", file, e.toString());
                }
            }
            if (tmp != null) {
                IN_PROGRESS.remove(tmp);
            }
        }
        syncDirectory(dir);
    }

    /**
     * Creates {@code candidate} and locks it; null if the name is taken, or if another process's cleaner locked the
     * fresh file before this writer could (it then deletes it).
     */
    private static FileChannel openLocked(Path candidate) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            return null;
        }
        try {
            FileLock lock = channel.tryLock();
            if (lock != null && Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
                return channel;
            }
            channel.close();
            return null;
        } catch (IOException | RuntimeException e) {
            try {
                channel.close();
                Files.deleteIfExists(candidate);
            } catch (IOException d) {
                e.addSuppressed(d);
            }
            throw e;
        }
    }

    /**
     * Tells whether {@code candidate} is named like a temporary file of {@code target}:
     * {@code .<target name>.<random>.tmp} in the same directory, {@code <random>} being 1 to 13 characters of
     * {@code [0-9a-z]}. The random part has no dot, so the temporary files of {@code a} and of {@code a.b} never
     * match each other's pattern.
     *
     * @param candidate a path
     * @param target the target file
     * @return true if {@link #write} of {@code target} may have created {@code candidate}
     */
    public static boolean isTempOf(Path candidate, Path target) {
        Path c = candidate.toAbsolutePath();
        Path t = target.toAbsolutePath();
        if (c.getFileName() == null || t.getFileName() == null || !Objects.equals(c.getParent(), t.getParent())) {
            return false;
        }
        String n = c.getFileName().toString();
        String prefix = "." + t.getFileName() + ".";
        if (!n.startsWith(prefix) || !n.endsWith(TEMP_SUFFIX)) {
            return false;
        }
        int from = prefix.length();
        int to = n.length() - TEMP_SUFFIX.length();
        if (to - from < 1 || to - from > MAX_RANDOM_CHARS) {
            return false;
        }
        for (int i = from; i < to; i++) {
            char ch = n.charAt(i);
            if (!(ch >= '0' && ch <= '9') && !(ch >= 'a' && ch <= 'z')) {
                return false;
            }
        }
        return true;
    }

    /**
     * Deletes the temporary files of {@code target} that no live writer holds (left behind by a writer that died
     * between creating and renaming its temporary file). {@link #write} calls it before every write; call it directly
     * to tidy a directory without writing. Never deletes anything that does not match {@link #isTempOf}, nor
     * anything but regular files; failures to delete are logged, not thrown.
     *
     * @param target the target file
     * @return the temporary files deleted
     * @throws IOException if the target's directory cannot be listed
     */
    public static List<Path> removeStaleTemps(Path target) throws IOException {
        Path file = target.toAbsolutePath();
        Path dir = file.getParent();
        List<Path> removed = new ArrayList<>();
        if (dir == null || file.getFileName() == null) {
            return removed;
        }
        String prefix = "." + file.getFileName() + ".";
        List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir,
                p -> p.getFileName().toString().startsWith(prefix))) {
            for (Path p : entries) {
                if (isTempOf(p, file) && !IN_PROGRESS.contains(p)
                        && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    candidates.add(p);
                }
            }
        } catch (NoSuchFileException e) {
            return removed;
        }
        for (Path p : candidates) {
            if (removeIfUnlocked(p)) {
                removed.add(p);
            }
        }
        return removed;
    }

    /** Deletes a temporary file if no process holds its lock; true if it was deleted. */
    private static boolean removeIfUnlocked(Path temp) {
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                return false; // another thread of this JVM is removing it
            }
            if (lock == null) {
                LOG.debug("{} is held by a live writer, left in place", temp);
                return false;
            }
            try {
                boolean deleted = Files.deleteIfExists(temp);
                if (deleted) {
                    LOG.info("removed {}, a temporary file left by an interrupted write", temp);
                }
                return deleted;
            } finally {
                lock.release();
            }
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("could not remove the stale temporary file {}: {}", temp, e.toString());
            return false;
        }
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
