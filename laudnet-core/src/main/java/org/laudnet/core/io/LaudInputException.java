package org.laudnet.core.io;

import java.io.IOException;

/**
 * The root of the library's exceptions for input it refuses to accept: a model, plan, weight, checkpoint, profile or
 * data file, or an image, that is missing, truncated, corrupt, inconsistent with itself, or larger than a documented
 * limit. Every reader of the library reports such input with a subclass of this type (never with an
 * {@link OutOfMemoryError}, a partially initialised object, or an unrelated runtime exception), so a service can
 * answer a stranger's bad input with one {@code catch}.
 *
 * <p>The message is {@code "<source>: <problem>"}: the file, stream or request the input came from, then what is
 * wrong with it and where (a byte offset, a section, a tensor name) when that is known. Subclasses:
 * <ul>
 *   <li>{@code org.laudnet.core.plan.PlanFormatException}: inference plan files;</li>
 *   <li>{@code org.laudnet.core.latency.cpu.ProfileFormatException}: CPU latency profiles;</li>
 *   <li>{@code org.laudnet.models.weights.WeightFileException}: model files ({@code .laud}), weight, label and tensor
 *       files (safetensors, TF.js);</li>
 *   <li>{@code org.laudnet.models.train.CheckpointException}: training checkpoints;</li>
 *   <li>{@code org.laudnet.models.data.IdxFormatException}: IDX data files;</li>
 *   <li>{@code org.laudnet.models.inference.ImageInputException}: images.</li>
 * </ul>
 *
 * <p>Immutable (the cause aside) and therefore thread-safe.
 */
public class LaudInputException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The file, stream or request the input came from. */
    private final String source;

    /** What is wrong with it. */
    private final String problem;

    /**
     * Creates the exception.
     *
     * @param source the file, stream or request the input came from
     * @param problem what is wrong with it, naming the offending value
     */
    public LaudInputException(String source, String problem) {
        this(source, problem, null);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param source the file, stream or request the input came from
     * @param problem what is wrong with it, naming the offending value
     * @param cause the underlying exception, or null
     */
    public LaudInputException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
        this.source = source;
        this.problem = problem;
    }

    /**
     * Returns where the input came from.
     *
     * @return the file, stream or request, as the message names it
     */
    public String source() {
        return source;
    }

    /**
     * Returns what is wrong with the input, without the source.
     *
     * @return the problem
     */
    public String problem() {
        return problem;
    }
}
