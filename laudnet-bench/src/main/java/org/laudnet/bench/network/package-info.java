/**
 * {@code bench network}: whole-network CPU latency of gated ResNet/RegNetY networks at imposed per-block densities,
 * against the static network through the same executors, its plain DJL forward and optionally an ONNX Runtime peer.
 */
package org.laudnet.bench.network;
