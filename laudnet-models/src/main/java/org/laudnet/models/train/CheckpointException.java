package org.laudnet.models.train;

import org.laudnet.core.io.LaudInputException;
import java.nio.file.Path;

/** A checkpoint file that cannot be used (bad magic, unknown version, truncated, corrupt); the message names it. */
public final class CheckpointException extends LaudInputException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * Creates the exception.
     *
     * @param file the checkpoint file
     * @param problem what is wrong
     * @param cause the underlying error, or null
     */
    public CheckpointException(Path file, String problem, Throwable cause) {
        super("checkpoint " + file, problem, cause);
        this.file = file;
    }

    /** Returns the offending file. */
    public Path getFile() {
        return file;
    }
}
