package org.laudnet.core.plan;

import org.laudnet.core.io.LaudInputException;

/**
 * Thrown by {@link PlanFile} when the bytes it reads are not a valid inference plan of a supported format version:
 * wrong magic bytes, an unsupported or old version, a truncated or corrupt file (checksum mismatch), an out-of-range
 * count or code, trailing bytes, or layers that do not form a consistent plan. The message is
 * {@code "<source>: <problem>"}, naming the file (or stream) and the offending value.
 */
public class PlanFormatException extends LaudInputException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param source the file or stream the plan was read from
     * @param problem what is wrong with it, naming the offending value
     */
    public PlanFormatException(String source, String problem) {
        super(source, problem);
    }

    /**
     * Creates the exception with a cause (the {@link java.io.EOFException} of a truncated file, or the
     * {@link IllegalArgumentException} of an inconsistent plan).
     *
     * @param source the file or stream the plan was read from
     * @param problem what is wrong with it, naming the offending value
     * @param cause the underlying exception
     */
    public PlanFormatException(String source, String problem, Throwable cause) {
        super(source, problem, cause);
    }
}
