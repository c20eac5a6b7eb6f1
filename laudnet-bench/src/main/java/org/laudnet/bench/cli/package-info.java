/**
 * The {@code laudnet} command line (picocli): {@link LaudnetCli} is the root command, with one class per subcommand:
 * {@link DemoCommand} (the Fashion-MNIST demonstration, or the single-block gate demonstration with
 * {@code --gates}), {@link ExperimentCommand} ({@code experiment fashion-mnist}), {@link FinetuneCommand} (ResNet-50
 * into a LAUD ResNet-50 on an image folder, with checkpoints and resume), {@link ClassifyCommand} (top-5 ImageNet labels
 * with the pretrained ResNet-50, or with a saved {@code .laud} model through the inference engine),
 * {@link SearchCommand} (per-stage granularity by predicted latency), {@link BenchCommand} ({@code bench blocks}),
 * {@link CalibrateCommand} (the CPU latency profile of this machine) and {@link LatencyCommand}
 * ({@code latency validate}). Each subcommand has {@code --help}.
 */
package org.laudnet.bench.cli;
