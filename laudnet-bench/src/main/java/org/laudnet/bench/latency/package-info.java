/**
 * Validation of the calibrated CPU latency model ({@code laudnet latency validate}): {@link LatencyValidation}
 * measures blocks off the calibration grid through the {@link org.laudnet.core.exec.BlockExecutor} on the profile's
 * backend under imposed masks, by the calibration's {@link org.laudnet.core.latency.cpu.TimingProtocol}, compares them
 * with {@link org.laudnet.core.latency.cpu.CpuLatencyModel}'s predictions (and with its prediction of the path the
 * executor took), and {@link ValidationReport} reports the mean absolute percentage error, the bias and the Spearman
 * rank correlation, by mode, batch and path.
 */
package org.laudnet.bench.latency;
