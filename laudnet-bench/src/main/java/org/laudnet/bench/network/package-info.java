/**
 * Whole-network benchmarks across backends: {@link org.laudnet.bench.network.BackendComparison} times ResNet-50,
 * static and LAUD variants, on several CPU backends side by side in one process.
 */
package org.laudnet.bench.network;
