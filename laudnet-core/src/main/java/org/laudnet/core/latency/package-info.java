/**
 * Latency prediction of static and gated blocks and whole networks, and the latency-guided choice of gating
 * granularity (the "latency-aware" part of LAUDNet).
 *
 * <ul>
 *   <li>{@link LatencyPredictor}: latency in milliseconds of convolutions ({@link ConvShape}), poolings
 *       ({@link PoolShape}), static blocks, gated blocks ({@link BlockLatencyQuery}: geometry, mode, {@code S},
 *       {@code G}, densities, batch) with a per-kernel {@link LatencyBreakdown}
 *       ({@code masker + gather + conv1 + conv2 + conv3 + scatter + downsample}), and networks ({@link NetworkSpec},
 *       {@link NetworkLatency}).
 *   <li>{@link TiledRooflineModel}: the analytical GPU model, a roofline evaluated over a tiled execution of every
 *       kernel ({@link ConvKernel}, {@link ConvTile}, {@link TileEstimate}), with patch-parallel sparse convolutions,
 *       gather and scatter-add, channel-tile imbalance and layer skipping
 *       ({@code t = t_masker + t_downsample + rho (t_conv1 + t_conv2 + t_conv3)}); {@link HardwareSpec} presets (V100,
 *       RTX 3090, RTX 3060, Jetson TX2 and Nano, A100, H100, H200) and {@link ModelOptions} ({@link CombineMode},
 *       {@link ComputePrecision}, {@link LaunchCostSource}; {@link ModelOptions#REFERENCE} reproduces the reference
 *       predictor).
 *   <li>{@link GranularitySearch}: per stage, every spatial granularity {@code S} and channel group count {@code G}
 *       scored by predicted latency at the target density; the fastest is chosen.
 * </ul>
 *
 * The calibrated CPU model is in {@link org.laudnet.core.latency.cpu}. Models and value types are immutable and
 * thread-safe.
 */
package org.laudnet.core.latency;
