/**
 * Models made for benchmarks: {@link org.laudnet.bench.models.SyntheticGates} gives a pretrained network seeded random
 * gates whose keep/skip biases are set to a target density over calibration photos ({@code laudnet bench gated-model}),
 * so that gated execution can be timed without a trained LAUDNet. Such models are for latency and serving benchmarks
 * only: their predictions are not meaningful.
 */
package org.laudnet.bench.models;
