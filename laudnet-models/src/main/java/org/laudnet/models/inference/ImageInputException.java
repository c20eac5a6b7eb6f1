package org.laudnet.models.inference;

import org.laudnet.core.io.LaudInputException;

/**
 * An image the library refuses to classify: empty, not a decodable image, truncated, or beyond the documented limits of
 * {@link ImageInputs} (encoded bytes, declared pixels, aspect ratio). The message names the image's source (a file, a
 * stream or a request) and the offending value. Immutable and thread-safe.
 */
public final class ImageInputException extends LaudInputException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param source the file, stream or request the image came from
     * @param problem what is wrong with it, naming the offending value
     */
    public ImageInputException(String source, String problem) {
        super(source, problem);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param source the file, stream or request the image came from
     * @param problem what is wrong with it
     * @param cause the decoder's exception
     */
    public ImageInputException(String source, String problem, Throwable cause) {
        super(source, problem, cause);
    }
}
