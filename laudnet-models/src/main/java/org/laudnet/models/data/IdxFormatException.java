package org.laudnet.models.data;

import org.laudnet.core.io.LaudInputException;
import java.nio.file.Path;

/** Thrown when a file is not a well-formed IDX file of the expected kind; the message names the file. */
public final class IdxFormatException extends LaudInputException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param file the offending file
     * @param problem what is wrong with it
     */
    public IdxFormatException(Path file, String problem) {
        super("IDX file " + file, problem);
    }
}
