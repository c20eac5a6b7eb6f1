/**
 * The {@code laudnet} command line (picocli): {@link LaudnetCli} is the root command, with one class per subcommand:
 * {@link DemoCommand} (the Fashion-MNIST demonstration, or the single-block gate demonstration with
 * {@code --gates}), {@link ExperimentCommand} ({@code experiment fashion-mnist}), {@link FinetuneCommand} (ResNet-50
 * into a LAUD ResNet-50 on an image folder, with checkpoints and resume), {@link ClassifyCommand} (top-5 ImageNet labels
 * with the pretrained ResNet-50, or with a saved {@code .laud} model through the inference engine),
 * {@link SearchCommand} (per-stage granularity by predicted latency), {@link BenchCommand} ({@code bench blocks},
 * {@code bench model-memory}, {@code bench native-memory}, {@code bench spark}: {@link SparkBenchCommand}),
 * {@link CalibrateCommand} (the CPU latency profile of this machine), {@link LatencyCommand}
 * ({@code latency validate}), {@link FuzzCommand} and {@link SparkClassifyCommand} (every image under a directory
 * classified with Spark, written as Parquet or JSON). Each subcommand has {@code --help}.
 *
 * <p>Failures are handled once, at the root: commands check their options ({@link OptionChecks}) and files
 * ({@link InputFiles}) before they start and otherwise just throw (picocli's parameter exceptions, the library's
 * {@link org.laudnet.core.io.LaudInputException}s, an {@link EnvironmentException} for a missing asset or profile);
 * {@link ErrorReporter} prints one line naming the command and the value at fault ({@code --verbose}: and the stack
 * trace) and exits with the {@link ExitCode} of the failure.
 */
package org.laudnet.bench.cli;
