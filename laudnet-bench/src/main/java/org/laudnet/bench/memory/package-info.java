/**
 * Memory benchmark of the model API ({@code laudnet bench model-memory}): {@link ModelMemoryBenchmark} measures the
 * resident memory of one {@link org.laudnet.models.inference.LaudModel} shared by predictor threads, the time its
 * calibration takes per batch size, and the resident memory over repeated load/close cycles;
 * {@link NativeMemoryBenchmark} ({@code laudnet bench native-memory}) follows the resident memory, the heap and the
 * live DJL managers and arrays ({@link DjlResources}) over a long run of batch-1 inferences of one predictor.
 */
package org.laudnet.bench.memory;
