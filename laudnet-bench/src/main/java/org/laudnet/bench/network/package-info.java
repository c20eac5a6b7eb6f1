/**
 * Whole-network benchmarks: {@code bench network} ({@link org.laudnet.bench.network.NetworkBenchmark}), the CPU
 * latency of gated ResNet/RegNetY networks at imposed per-block densities against the static network through the same
 * executors, its plain DJL forward and optionally an ONNX Runtime peer; {@code bench backends}
 * ({@link org.laudnet.bench.network.BackendComparison}), ResNet-50, static and LAUD variants, on several CPU backends
 * side by side in one process.
 */
package org.laudnet.bench.network;
