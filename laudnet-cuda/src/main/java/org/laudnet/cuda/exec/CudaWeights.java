package org.laudnet.cuda.exec;

import org.laudnet.core.exec.ConvWeights;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.cuda.DeviceBuffer;

/**
 * A folded convolution on the device: its weight {@code (O, I / g, k, k)} and bias {@code (O)} in device buffers of
 * one context, next to the host {@link FoldedConv} that describes its shape. Created by {@link CudaBackend#upload}
 * (shared, freed when the backend closes) or {@link CudaKernels#temporary} (freed with the scope). Immutable after
 * construction; the device buffers are only read by kernels, so the object is safe to share between executors.
 *
 * @param spec the convolution
 * @param weight its weights on the device
 * @param bias its bias on the device
 */
record CudaWeights(FoldedConv spec, DeviceBuffer weight, DeviceBuffer bias) implements ConvWeights {

    /** Validates that nothing is null. */
    CudaWeights {
        if (spec == null || weight == null || bias == null) {
            throw new IllegalArgumentException("spec, weight and bias must not be null");
        }
    }

    /**
     * Returns {@code w} as CUDA weights.
     *
     * @param name the parameter's name, for the message
     * @param w the weights
     * @return {@code w}
     * @throws IllegalArgumentException if {@code w} is null or another backend's weights
     */
    static CudaWeights of(String name, ConvWeights w) {
        if (w instanceof CudaWeights c) {
            return c;
        }
        throw new IllegalArgumentException(name + " must be weights of the CUDA backend (CudaBackend.upload or "
                + "CudaKernels.temporary), got " + (w == null ? "null" : w.getClass().getName()));
    }
}
