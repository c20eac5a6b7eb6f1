package org.laudnet.bench.cli;

import java.util.concurrent.Callable;
import org.laudnet.core.util.LaudnetHome;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code laudnet} command line: the entry point of {@code scripts/laudnet}. Each subcommand has {@code --help}.
 * Failures are reported once for all subcommands ({@link ErrorReporter}): one line on standard error and an
 * {@link ExitCode}; {@code --verbose} adds the stack trace.
 */
@Command(
        name = "laudnet",
        mixinStandardHelpOptions = true,
        version = "laudnet 0.1.0",
        description = "LAUDNet for Java: latency-aware dynamic networks (spatial, channel and layer skipping) on DJL.",
        footer = {"", "Pretrained weights, photos, Fashion-MNIST (scripts/fetch-assets) and the CPU profile live in the"
            + " LAUDNet home: " + LaudnetHome.RULE + "."},
        subcommands = {DemoCommand.class, ExperimentCommand.class, FinetuneCommand.class, ClassifyCommand.class,
            SearchCommand.class, ServeCommand.class, BenchCommand.class, CalibrateCommand.class, LatencyCommand.class,
            FuzzCommand.class, SparkClassifyCommand.class, CommandLine.HelpCommand.class})
public final class LaudnetCli implements Callable<Integer> {

    /** Prints the usage when no subcommand is given. */
    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 0;
    }

    /**
     * Runs the command line.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /**
     * Returns the command line with every subcommand, its error reporting ({@link ErrorReporter}: one line and an
     * {@link ExitCode} per failure, {@code --verbose} on every command) and the exit codes in the root's help.
     *
     * @return a new command line; not thread-safe, use one per call
     */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new LaudnetCli()).setCaseInsensitiveEnumValuesAllowed(true);
        ErrorReporter reporter = new ErrorReporter();
        cli.setParameterExceptionHandler(reporter);
        cli.setExecutionExceptionHandler(reporter);
        ErrorReporter.addVerboseOption(cli);
        cli.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCode.helpList());
        return cli;
    }
}
