package org.laudnet.core.exec;

/**
 * Where a model runs: {@link #AUTO} picks a GPU backend when one is available and usable, else the fastest available
 * CPU backend (oneDNN when the laudnet-onednn module is on the classpath and its natives load, else DJL/PyTorch).
 */
public enum DeviceKind {
    /**
     * A GPU backend when one is found and usable, else the fastest available CPU backend (the choice and reason are
     * logged once).
     */
    AUTO,
    /**
     * The DJL/PyTorch CPU backend, always (also where a faster CPU backend is available: use {@link #AUTO} or
     * {@link Backends#createFastestCpu} for that).
     */
    CPU,
    /** A CUDA backend (the laudnet-cuda module on the classpath and a usable NVIDIA GPU). */
    CUDA
}
