package org.laudnet.core.exec;

/**
 * Where a model runs: {@link #AUTO} picks a GPU backend when one is available and usable, else the CPU.
 */
public enum DeviceKind {
    /** A GPU backend when one is found and usable, else the CPU (the reason is logged once). */
    AUTO,
    /** The DJL/PyTorch CPU backend. */
    CPU,
    /** A CUDA backend (the laudnet-cuda module on the classpath and a usable NVIDIA GPU). */
    CUDA
}
