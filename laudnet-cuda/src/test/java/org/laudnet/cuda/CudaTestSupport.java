package org.laudnet.cuda;

import org.junit.jupiter.api.Assumptions;

/**
 * Skips GPU tests with the probe's reason when no usable driver exists, or when {@code -DskipCudaTests=true}.
 */
public final class CudaTestSupport {

    private CudaTestSupport() {}

    /** Aborts the calling test (reported as skipped, with the reason) unless a CUDA device can be used. */
    public static void assumeCuda() {
        Assumptions.assumeFalse(Boolean.getBoolean("skipCudaTests"), "CUDA tests switched off by -DskipCudaTests=true");
        Assumptions.assumeTrue(CudaAvailability.isAvailable(), () -> "CUDA unavailable: " + CudaAvailability.reason());
    }
}
