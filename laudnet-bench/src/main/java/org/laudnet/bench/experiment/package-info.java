/**
 * The Fashion-MNIST experiment ({@code laudnet experiment fashion-mnist}, and the demo): {@link FashionMnistExperiment}
 * trains the static network of {@link FashionMnistNets}, fine-tunes LAUD variants per gate mode and target from it
 * with distillation ({@link ExperimentConfig}; the target applies to MACs or to measured latency,
 * {@link TrainingCost}; gate schedules {@link GateSchedules}), and measures each network: top-1, eval MACs ratio,
 * per-stage density, and latency through {@link org.laudnet.core.exec.PlanRuntime} and
 * {@link org.laudnet.core.exec.NetworkExecutor} on the fastest CPU backend (oneDNN where it loads) at batch 1 and 64, interleaved with the static
 * network ({@link org.laudnet.models.latency.LatencyMeter}). Results ({@link ModelResult}) are written as a report
 * ({@link ResultsReport}), a plot and a mask picture; {@link ProgressPrinter} reports training progress.
 */
package org.laudnet.bench.experiment;
