package org.laudnet.bench.cli;

import java.util.concurrent.Callable;
import org.laudnet.core.util.LaudnetHome;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code laudnet} command line: the entry point of {@code scripts/laudnet}. Each subcommand has {@code --help}.
 */
@Command(
        name = "laudnet",
        mixinStandardHelpOptions = true,
        version = "laudnet 0.1.0",
        description = "LAUDNet for Java: latency-aware dynamic networks (spatial, channel and layer skipping) on DJL.",
        footer = {"", "Pretrained weights, photos, Fashion-MNIST (scripts/fetch-assets) and the CPU profile live in the"
            + " LAUDNet home: " + LaudnetHome.RULE + "."},
        subcommands = {DemoCommand.class, ExperimentCommand.class, FinetuneCommand.class, ClassifyCommand.class,
            SearchCommand.class, BenchCommand.class, CalibrateCommand.class, LatencyCommand.class,
            FuzzCommand.class, CommandLine.HelpCommand.class})
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
        int code = new CommandLine(new LaudnetCli()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        System.exit(code);
    }
}
