package org.laudnet.core.latency;

import java.util.List;
import java.util.Locale;
import org.laudnet.core.util.Checks;

/**
 * The hardware parameters of the analytical GPU latency model ({@link TiledRooflineModel}).
 *
 * <p>The reference model sees a GPU as {@code P} processing elements (streaming multiprocessors) of {@code L} fp32
 * lanes each, clocked at {@code f}, fed by DRAM at {@code BW} bytes/s and by an L2 cache {@code k} times faster than
 * DRAM. This record adds the dense tensor-core throughputs (used only when the model runs in a tensor-core
 * {@link ComputePrecision}) and a per-part kernel launch cost (used only with {@link LaunchCostSource#PRESET}).
 *
 * <p>Presets and the source of each number:
 *
 * <ul>
 *   <li>{@link #V100}, {@link #RTX3090}, {@link #RTX3060}, {@link #JETSON_TX2}, {@link #JETSON_NANO}: {@code P}, {@code
 *       L}, clock, bandwidth, {@code k} and batch are the values the LAUDNet reference predictor uses (kept verbatim so
 *       the reference semantics can be reproduced, even where they differ from the datasheet, e.g. the V100 SXM2
 *       datasheet states 900 GB/s and a 1530 MHz boost clock while the reference uses 700 GB/s and 1.5 GHz). Tensor
 *       throughputs are datasheet figures, see each preset.
 *   <li>{@link #A100}, {@link #H100}, {@link #H200}: every number from the vendor datasheets / architecture whitepapers
 *       (SM count, FP32 lanes per SM, boost clock, memory bandwidth, dense — i.e. without structured sparsity — TF32 and
 *       FP16 tensor throughput), {@code k = 4} as the reference default.
 *   <li>{@code launchCostSeconds}: not a datasheet quantity. Presets carry an order-of-magnitude estimate of a CUDA
 *       kernel launch plus inter-kernel gap (5 us on discrete GPUs, 10 us on Jetson modules whose ARM hosts launch more
 *       slowly); replace it by a measured value with {@link #withLaunchCostSeconds(double)}.
 * </ul>
 *
 * @param name human-readable name of the part
 * @param processingElements {@code P}, number of SMs
 * @param fp32LanesPerPe {@code L}, fp32 CUDA cores per SM
 * @param clockHz {@code f}, clock in Hz
 * @param dramBandwidthBytesPerSecond {@code BW}, DRAM bandwidth in bytes/s
 * @param l2Factor {@code k}, L2 bandwidth as a multiple of DRAM bandwidth
 * @param launchCostSeconds fixed cost of one kernel launch in seconds (used with {@link LaunchCostSource#PRESET})
 * @param tf32TensorFlops dense TF32 tensor-core throughput in FLOP/s (2 FLOP per multiply-accumulate); 0 when the part
 *     has none
 * @param fp16TensorFlops dense FP16 tensor-core throughput in FLOP/s with fp32 accumulation; 0 when the part has no
 *     tensor cores
 * @param defaultBatch the batch size latency is usually reported at on this part (128 desktop, 1 embedded)
 */
public record HardwareSpec(
        String name,
        int processingElements,
        int fp32LanesPerPe,
        double clockHz,
        double dramBandwidthBytesPerSecond,
        double l2Factor,
        double launchCostSeconds,
        double tf32TensorFlops,
        double fp16TensorFlops,
        int defaultBatch) {

    /**
     * NVIDIA Tesla V100 (reference values: 80 SMs x 64 lanes, 1.5 GHz, 700 GB/s, k = 4, batch 128). Tensor: 125 TFLOPS
     * dense FP16 (V100 SXM2 datasheet); Volta has no TF32 mode (0).
     */
    public static final HardwareSpec V100 = new HardwareSpec("V100", 80, 64, 1.5e9, 700e9, 4, 5e-6, 0, 125e12, 128);

    /**
     * NVIDIA GeForce RTX 3090 (reference values: 82 SMs x 128 lanes, 1.25 GHz, 936 GB/s, k = 1, batch 128). Tensor: 35.6
     * TFLOPS dense TF32 and 71 TFLOPS dense FP16 with fp32 accumulation (NVIDIA Ampere GA102 whitepaper, RTX 3090
     * column).
     */
    public static final HardwareSpec RTX3090 =
            new HardwareSpec("RTX3090", 82, 128, 1.25e9, 936e9, 1, 5e-6, 35.6e12, 71e12, 128);

    /**
     * NVIDIA GeForce RTX 3060 (reference values: 28 SMs x 128 lanes, 1.777 GHz, 360 GB/s, k = 4, batch 128). Tensor:
     * derived from the GA10x per-SM dense rates of the Ampere GA102 whitepaper (256 TF32 FLOP/clk/SM, 512 FP16 FLOP/clk/SM
     * with fp32 accumulation) at 28 SMs and 1.777 GHz: 12.7 TFLOPS TF32, 25.5 TFLOPS FP16.
     */
    public static final HardwareSpec RTX3060 =
            new HardwareSpec("RTX3060", 28, 128, 1.777e9, 360e9, 4, 5e-6, 12.7e12, 25.5e12, 128);

    /**
     * NVIDIA Jetson TX2 (reference values: 2 SMs x 128 lanes, 1.3 GHz, 59.7 GB/s, k = 4, batch 1). Pascal: no tensor
     * cores (0, 0).
     */
    public static final HardwareSpec JETSON_TX2 =
            new HardwareSpec("JetsonTX2", 2, 128, 1.3e9, 59.7e9, 4, 10e-6, 0, 0, 1);

    /**
     * NVIDIA Jetson Nano (reference values: 1 SM x 128 lanes, 0.921 GHz, 25.6 GB/s, k = 4, batch 1). Maxwell: no tensor
     * cores (0, 0).
     */
    public static final HardwareSpec JETSON_NANO =
            new HardwareSpec("JetsonNano", 1, 128, 0.921e9, 25.6e9, 4, 10e-6, 0, 0, 1);

    /**
     * NVIDIA A100 SXM4 80 GB (A100 datasheet and Ampere GA100 whitepaper): 108 SMs x 64 FP32 lanes, 1.41 GHz boost,
     * 2039 GB/s HBM2e, 156 TFLOPS dense TF32, 312 TFLOPS dense FP16; k = 4, batch 128.
     */
    public static final HardwareSpec A100 =
            new HardwareSpec("A100-SXM4-80GB", 108, 64, 1.41e9, 2039e9, 4, 5e-6, 156e12, 312e12, 128);

    /**
     * NVIDIA H100 SXM5 (H100 datasheet and Hopper whitepaper): 132 SMs x 128 FP32 lanes, 1.98 GHz boost, 3.35 TB/s HBM3,
     * 494.7 TFLOPS dense TF32, 989.4 TFLOPS dense FP16 (the datasheet's 989 / 1979 figures are with sparsity); k = 4,
     * batch 128.
     */
    public static final HardwareSpec H100 =
            new HardwareSpec("H100-SXM5", 132, 128, 1.98e9, 3.35e12, 4, 5e-6, 494.7e12, 989.4e12, 128);

    /**
     * NVIDIA H200 SXM (H200 datasheet; same GH100 compute as the H100 SXM5): 132 SMs x 128 FP32 lanes, 1.98 GHz boost,
     * 4.8 TB/s HBM3e, 494.7 TFLOPS dense TF32, 989.4 TFLOPS dense FP16; k = 4, batch 128.
     */
    public static final HardwareSpec H200 =
            new HardwareSpec("H200-SXM", 132, 128, 1.98e9, 4.8e12, 4, 5e-6, 494.7e12, 989.4e12, 128);

    /** Validates every field. */
    public HardwareSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank, got " + name);
        }
        Checks.positive("processingElements", processingElements);
        Checks.positive("fp32LanesPerPe", fp32LanesPerPe);
        positiveFinite("clockHz", clockHz);
        positiveFinite("dramBandwidthBytesPerSecond", dramBandwidthBytesPerSecond);
        positiveFinite("l2Factor", l2Factor);
        nonNegativeFinite("launchCostSeconds", launchCostSeconds);
        nonNegativeFinite("tf32TensorFlops", tf32TensorFlops);
        nonNegativeFinite("fp16TensorFlops", fp16TensorFlops);
        Checks.positive("defaultBatch", defaultBatch);
    }

    /** Returns every preset: the five reference parts followed by A100, H100 and H200. */
    public static List<HardwareSpec> presets() {
        return List.of(V100, RTX3090, RTX3060, JETSON_TX2, JETSON_NANO, A100, H100, H200);
    }

    /**
     * Finds a preset by name, ignoring case and the characters {@code -}, {@code _} and spaces, and accepting the short
     * names {@code v100, rtx3090, 3090, rtx3060, 3060, tx2, nano, a100, h100, h200}.
     *
     * @param name the preset name
     * @return the preset
     * @throws IllegalArgumentException if no preset matches
     */
    public static HardwareSpec preset(String name) {
        if (name == null) {
            throw new IllegalArgumentException("name must not be null");
        }
        String key = name.toLowerCase(Locale.ROOT).replaceAll("[-_ ]", "");
        switch (key) {
            case "v100":
                return V100;
            case "rtx3090":
            case "3090":
                return RTX3090;
            case "rtx3060":
            case "3060":
                return RTX3060;
            case "tx2":
            case "jetsontx2":
                return JETSON_TX2;
            case "nano":
            case "jetsonnano":
                return JETSON_NANO;
            case "a100":
            case "a100sxm480gb":
                return A100;
            case "h100":
            case "h100sxm5":
                return H100;
            case "h200":
            case "h200sxm":
                return H200;
            default:
                throw new IllegalArgumentException("name does not name a hardware preset, got '" + name + "'");
        }
    }

    /** Returns the peak fp32 multiply-accumulate rate of the CUDA cores, {@code P * L * f} (MAC/s). */
    public double fp32PeakMacsPerSecond() {
        return (double) processingElements * fp32LanesPerPe * clockHz;
    }

    /**
     * Returns the same part with another launch cost.
     *
     * @param seconds the launch cost in seconds, non-negative
     * @return the modified spec
     */
    public HardwareSpec withLaunchCostSeconds(double seconds) {
        return new HardwareSpec(name, processingElements, fp32LanesPerPe, clockHz, dramBandwidthBytesPerSecond,
                l2Factor, seconds, tf32TensorFlops, fp16TensorFlops, defaultBatch);
    }

    private static void positiveFinite(String field, double value) {
        if (!(value > 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(field + " must be positive and finite, got " + value);
        }
    }

    private static void nonNegativeFinite(String field, double value) {
        if (!(value >= 0) || !Double.isFinite(value)) {
            throw new IllegalArgumentException(field + " must be non-negative and finite, got " + value);
        }
    }
}
