package org.laudnet.core.util;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A second process for {@link AtomicFilesTest}: creates the file named by its argument, locks it the way a writer of
 * {@link AtomicFiles} locks its temporary file, prints {@code locked} and holds the lock until its standard input
 * ends or it is killed.
 */
public final class TempFileHolder {

    private TempFileHolder() {}

    /**
     * Holds the lock.
     *
     * @param args the file to create and lock
     * @throws IOException if the file cannot be created or locked
     */
    public static void main(String[] args) throws IOException {
        try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE);
                FileLock lock = ch.lock()) {
            System.out.println("locked " + lock.isValid());
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold until stdin closes
            }
        }
    }
}
