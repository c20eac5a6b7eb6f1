/**
 * Network-level latency of gated networks, predicted or measured.
 *
 * <ul>
 *   <li>{@link NetworkLatencyEstimator}: the latency of any {@link org.laudnet.core.net.GatedNetwork} at per-stage
 *       densities on a {@link org.laudnet.core.latency.LatencyPredictor} (the analytical GPU model or the calibrated
 *       CPU model): the sum of its blocks' predictions plus stem, pooling and classifier. BOTH blocks run at spatial
 *       and channel density {@code sqrt(d)} each.
 *   <li>{@link MeasuredBlockLatency}: each block's latency measured on this machine through
 *       {@link org.laudnet.core.exec.BlockExecutor} on the DJL backend, at density knots {@code 0, 1/K, ..., 1}
 *       (spatial or layer density by channel density) under imposed masks, made strictly increasing from the fully
 *       open end down, for the latency cost model of training.
 *   <li>{@link LatencyMeter}: two computations timed interleaved in the same process (alternating order, medians after
 *       warm-up), as a gated network is compared with its static counterpart.
 * </ul>
 *
 * Results are immutable and thread-safe; measurement runs on the calling thread.
 */
package org.laudnet.models.latency;
