/**
 * Validation of the calibrated CPU latency model ({@code laudnet latency validate}): {@link LatencyValidation}
 * measures blocks off the calibration grid through the {@link org.laudnet.core.exec.BlockExecutor} under imposed
 * masks, compares them with {@link org.laudnet.core.latency.cpu.CpuLatencyModel}'s predictions, and reports the mean
 * absolute percentage error and the Spearman rank correlation.
 */
package org.laudnet.bench.latency;
