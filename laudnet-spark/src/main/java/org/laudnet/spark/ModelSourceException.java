package org.laudnet.spark;

import org.laudnet.core.io.LaudInputException;

/**
 * A model file on a Hadoop file system that an executor refuses to copy: missing, not a file, or larger than
 * {@link ModelSource#MAX_REMOTE_BYTES}. The message names the path and the problem. Immutable and thread-safe.
 */
public final class ModelSourceException extends LaudInputException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param path the model path as given
     * @param problem what is wrong with it, naming the offending value
     */
    public ModelSourceException(String path, String problem) {
        super(path, problem);
    }
}
