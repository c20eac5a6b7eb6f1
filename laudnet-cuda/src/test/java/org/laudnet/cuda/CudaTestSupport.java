package org.laudnet.cuda;

import org.junit.jupiter.api.Assumptions;

/** Skips GPU tests with the probe's reason when no usable driver exists, or when -DskipCudaTests=true. */
final class CudaTestSupport {

    private CudaTestSupport() {}

    static void assumeCuda() {
        Assumptions.assumeFalse(Boolean.getBoolean("skipCudaTests"), "CUDA tests switched off by -DskipCudaTests=true");
        Assumptions.assumeTrue(CudaAvailability.isAvailable(), () -> "CUDA unavailable: " + CudaAvailability.reason());
    }
}
