package org.laudnet.cuda.exec;

/** Where {@link LaudInference#create} should run a plan. */
public enum DevicePreference {
    /** CUDA when a usable GPU and kernels exist, else the CPU. */
    AUTO,
    /** Always the CPU executor. */
    CPU,
    /** CUDA or fail with the reason it is unavailable. */
    CUDA
}
