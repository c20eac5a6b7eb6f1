package org.laudnet.cuda;

/**
 * The compute capability of an NVIDIA GPU, e.g. {@code 8.6} for an RTX 30xx.
 *
 * <p>Immutable and thread-safe.
 *
 * @param major the major version (7 for V100/T4, 8 for A100/RTX 30xx/40xx, 9 for H100)
 * @param minor the minor version
 */
public record ComputeCapability(int major, int minor) {

    /** Validates the fields. */
    public ComputeCapability {
        if (major < 1 || major > 99) {
            throw new IllegalArgumentException("major must be in [1, 99], got " + major);
        }
        if (minor < 0 || minor > 9) {
            throw new IllegalArgumentException("minor must be in [0, 9], got " + minor);
        }
    }

    /**
     * Parses the two-digit form used in PTX target names.
     *
     * @param smNumber e.g. {@code 86} for {@code sm_86}
     * @return the capability {@code smNumber / 10 . smNumber % 10}
     */
    public static ComputeCapability ofSm(int smNumber) {
        if (smNumber < 10 || smNumber > 999) {
            throw new IllegalArgumentException("smNumber must be in [10, 999], got " + smNumber);
        }
        return new ComputeCapability(smNumber / 10, smNumber % 10);
    }

    /** Returns {@code 10 * major + minor}, the number in {@code sm_XX}. */
    public int smNumber() {
        return 10 * major + minor;
    }

    /** Returns whether TF32 tensor cores (WMMA 16x16x8) exist: compute capability 8.0 or higher. */
    public boolean hasTf32TensorCores() {
        return major >= 8;
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
