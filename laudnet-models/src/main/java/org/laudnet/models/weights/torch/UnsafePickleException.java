package org.laudnet.models.weights.torch;

import java.nio.file.Path;

/**
 * A checkpoint's pickle names a Python callable or class that a state dict does not need (for example
 * {@code os.system}, {@code builtins.eval} or {@code subprocess.Popen}), or asks to build or instantiate an object in a
 * way a state dict never does. Nothing named by the pickle is ever resolved or executed; the reader stops at the
 * opcode that names it. {@link #className()} is the refused {@code module.name}.
 */
public class UnsafePickleException extends TorchCheckpointException {

    /** Serialization version. */
    private static final long serialVersionUID = 1L;

    private final String className;

    /**
     * Creates the exception.
     *
     * @param file the offending file
     * @param className the refused {@code module.name}
     * @param detail what the pickle asked for and at which offset
     */
    public UnsafePickleException(Path file, String className, String detail) {
        super(file, null, "refused pickle global '" + className + "': " + detail, null);
        this.className = className;
    }

    /**
     * The refused global.
     *
     * @return {@code module.name} as the pickle spells it
     */
    public String className() {
        return className;
    }
}
