/**
 * Memory benchmark of the model API ({@code laudnet bench model-memory}): {@link ModelMemoryBenchmark} measures the
 * resident memory of one {@link org.laudnet.models.inference.LaudModel} shared by predictor threads, the time its
 * calibration takes per batch size, and the resident memory over repeated load/close cycles.
 */
package org.laudnet.bench.memory;
