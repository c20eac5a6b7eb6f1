package org.laudnet.models.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import java.util.Locale;

/**
 * Where training runs: on the CPU, on a CUDA GPU through DJL's PyTorch engine, or on a GPU when the engine has one.
 * Training uses the PyTorch native library DJL loads: the CPU build ({@code pytorch-native-cpu}) has no GPU; a CUDA
 * build ({@code pytorch-native-cu128} of PyTorch 2.7.1, the engine's own download when online, or a local CUDA build
 * of PyTorch 2.7.1 named by {@code PYTORCH_LIBRARY_PATH}) trains on the GPU. This is independent of the inference
 * engine's CUDA backend (laudnet-cuda), which needs no PyTorch GPU build.
 *
 * <p>Immutable and thread-safe.
 */
public enum TrainingDevice {
    /** The CPU. */
    CPU,
    /** The first CUDA GPU of the PyTorch engine; refused with the reason when the engine has none. */
    GPU,
    /** The first CUDA GPU when the PyTorch engine has one, else the CPU. */
    AUTO;

    /** What to do when no GPU is visible, for error messages. */
    static final String GPU_HOWTO = "train on a GPU with a CUDA build of PyTorch 2.7.1: put"
            + " ai.djl.pytorch:pytorch-native-cu128:2.7.1:linux-x86_64 on the classpath instead of pytorch-native-cpu,"
            + " or let DJL download it (online, no pytorch-native jar on the classpath), or set"
            + " PYTORCH_LIBRARY_PATH=<torch 2.7.1+cu128>/lib PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=cu128; the"
            + " NVIDIA driver must be visible (nvidia-smi)";

    /**
     * Parses {@code cpu}, {@code gpu} or {@code auto} (any case).
     *
     * @param name the name
     * @return the device choice
     * @throws IllegalArgumentException if the name is none of them (the message quotes it)
     */
    public static TrainingDevice parse(String name) {
        if (name != null) {
            switch (name.strip().toLowerCase(Locale.ROOT)) {
                case "cpu":
                    return CPU;
                case "gpu":
                case "cuda":
                    return GPU;
                case "auto":
                    return AUTO;
                default:
                    break;
            }
        }
        throw new IllegalArgumentException("device must be cpu, gpu or auto, got '" + name + "'");
    }

    /**
     * Resolves the choice on DJL's PyTorch engine.
     *
     * @return the DJL device to train on
     * @throws IllegalStateException for {@link #GPU} when the engine has no GPU (the message says why and how to
     *     get one)
     */
    public Device resolve() {
        Engine engine = Engine.getEngine("PyTorch");
        return resolve(engine.getGpuCount(), engine.hasCapability(StandardCapabilities.CUDA), engine.getVersion());
    }

    /**
     * Resolves the choice for an engine with the given facts.
     *
     * @param gpus GPUs the engine sees
     * @param cudaBuild whether the engine's native library is a CUDA build
     * @param version the engine's PyTorch version, for messages
     * @return the DJL device
     * @throws IllegalStateException for {@link #GPU} without a GPU
     */
    Device resolve(int gpus, boolean cudaBuild, String version) {
        return switch (this) {
            case CPU -> Device.cpu();
            case AUTO -> gpus > 0 ? Device.gpu() : Device.cpu();
            case GPU -> {
                if (gpus > 0) {
                    yield Device.gpu();
                }
                throw new IllegalStateException("no CUDA GPU for training: " + (cudaBuild
                        ? "the PyTorch " + version + " engine is a CUDA build but sees no GPU (driver missing or too"
                                + " old for its CUDA release, or CUDA_VISIBLE_DEVICES hides the GPUs)"
                        : "the PyTorch " + version + " engine DJL loaded is a CPU build") + "; " + GPU_HOWTO
                        + "; or train with device cpu or auto");
            }
        };
    }

    /** Returns the lower-case name, as {@link #parse} reads it. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
