package org.laudnet.models.weights;

import java.nio.file.Path;
import java.util.Optional;
import org.laudnet.core.io.LaudInputException;

/**
 * A weight, label or tensor file that cannot be read or written: missing, truncated, malformed, or inconsistent with
 * its own header. The message always names the file and, when the problem belongs to one tensor (or one shard), that
 * tensor or shard. Part of the {@link LaudInputException} hierarchy.
 */
public class WeightFileException extends LaudInputException {

    /** Serialization version. */
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;

    /**
     * A problem with the file as a whole.
     *
     * @param file the offending file
     * @param detail what is wrong
     */
    public WeightFileException(Path file, String detail) {
        this(file, null, detail, null);
    }

    /**
     * A problem with the file as a whole, caused by another exception.
     *
     * @param file the offending file
     * @param detail what is wrong
     * @param cause the underlying exception
     */
    public WeightFileException(Path file, String detail, Throwable cause) {
        this(file, null, detail, cause);
    }

    /**
     * A problem with one tensor (or shard) of a file.
     *
     * @param file the offending file
     * @param tensor the name of the offending tensor or shard, or {@code null} if the whole file is concerned
     * @param detail what is wrong
     * @param cause the underlying exception, or {@code null}
     */
    public WeightFileException(Path file, String tensor, String detail, Throwable cause) {
        super(file == null ? "<no file>" : file.toString(),
                tensor == null ? detail : "tensor '" + tensor + "': " + detail, cause);
        this.file = file;
        this.tensor = tensor;
    }

    /**
     * The file the problem was found in.
     *
     * @return the file path as given to the reader or writer
     */
    public Path file() {
        return file;
    }

    /**
     * The tensor (or shard) the problem belongs to.
     *
     * @return its name, or empty when the file as a whole is concerned
     */
    public Optional<String> tensor() {
        return Optional.ofNullable(tensor);
    }
}
