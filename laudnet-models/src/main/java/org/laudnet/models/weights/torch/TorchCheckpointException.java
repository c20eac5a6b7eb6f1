package org.laudnet.models.weights.torch;

import java.nio.file.Path;
import org.laudnet.models.weights.WeightFileException;

/**
 * A PyTorch checkpoint file ({@code torch.save}) that is refused: not a zip archive of the format of PyTorch 1.6 and
 * later, truncated, with an entry or a pickle value out of bounds, a tensor whose view lies outside its storage, a
 * pickle opcode this reader does not accept, or a state dict that does not fit the network. The message names the file
 * and, where it applies, the zip entry or the tensor. Part of the
 * {@link org.laudnet.core.io.LaudInputException} hierarchy through {@link WeightFileException}.
 */
public class TorchCheckpointException extends WeightFileException {

    /** Serialization version. */
    private static final long serialVersionUID = 1L;

    /**
     * A problem with the file as a whole.
     *
     * @param file the offending file
     * @param detail what is wrong
     */
    public TorchCheckpointException(Path file, String detail) {
        super(file, null, detail, null);
    }

    /**
     * A problem with one tensor (or zip entry) of the file.
     *
     * @param file the offending file
     * @param tensor the tensor or entry name, or {@code null} when the whole file is concerned
     * @param detail what is wrong
     * @param cause the underlying exception, or {@code null}
     */
    public TorchCheckpointException(Path file, String tensor, String detail, Throwable cause) {
        super(file, tensor, detail, cause);
    }
}
