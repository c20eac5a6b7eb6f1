/**
 * The CPU latency model of the inference engine on one CPU backend, calibrated on the running machine.
 *
 * <p>{@link CpuLatencyModel} is a {@link org.laudnet.core.latency.LatencyPredictor}: convolutions and poolings are
 * {@code t = a + b N work}; a gated block costs its maskers plus the minimum over the paths the executor may take on
 * the profile's backend of {@code t_path = a + sum_k b_k f_k}, with the work features {@code f_k} of {@link BlockWork}
 * (executed 1x1 and 3x3 MACs, weight reads, gathered and scattered elements, map elements, patches, expected channel
 * patterns) computed from the query alone. Each {@link CpuTerm} (operators, maskers, SKIP, DENSE, MASKED_DENSE, LAYER,
 * CHANNEL, CHANNEL_UNION, and the spatial schedules SPATIAL_HALO, SPATIAL_WINDOWS, SPATIAL_M1, SPATIAL_ROWS of the
 * backend) is a {@link LinearTerm} fitted by {@link LeastSquares} (non-negative, relative error; the maskers on
 * absolute error). {@link CpuCalibrator} times a grid of ResNet-50 bottlenecks and basic blocks through
 * {@link org.laudnet.core.exec.BlockExecutor} on a backend chosen by {@link CpuBackends} (by default the fastest CPU
 * backend, the one an AUTO executor runs on) at batch 1 and 8 under imposed masks, every time by the
 * {@link TimingProtocol} that the validation uses too, and writes a {@link CpuLatencyProfile}, a versioned JSON file
 * tied to the machine and the backend it was measured on ({@link ProfileFormatException} for unusable files,
 * {@link ProfileBackendMismatchException} for a profile of another backend than a caller's).
 *
 * <p>Profiles, terms, the protocol and the model are immutable and thread-safe; the calibrator runs on the calling
 * thread.
 */
package org.laudnet.core.latency.cpu;
