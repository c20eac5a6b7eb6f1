package org.laudnet.bench.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import org.laudnet.bench.demo.GateDemo;
import org.laudnet.bench.demo.GateDemo.DemoRow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code laudnet demo}: one gated ResNet bottleneck per mode, run in training and eval mode on a random batch. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Builds one gated ResNet-50 bottleneck per mode (spatial S=2, channel G=4, layer), runs it in"
                + " training and eval mode on a random batch, and prints the density of each mask and dense vs"
                + " dynamic MACs.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--batch", defaultValue = "4", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of inputs, weights and gate noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--tau", defaultValue = "1.0", description = "Gumbel temperature in training mode (default: ${DEFAULT-VALUE}).")
    float tau;

    @Option(
            names = "--keep-bias-shift",
            defaultValue = "0",
            description = "Added to every gate's initial keep-logit bias (default: ${DEFAULT-VALUE}, the paper's open"
                    + " gates; try -5 to see half-closed gates).")
    float keepBiasShift;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        out.printf("LAUDNet gate demo: ResNet-50 layer1 bottleneck (Cin 256, width 64, 56x56), batch %d, seed %d%n",
                batch, seed);
        List<DemoRow> rows = new GateDemo(batch, seed, tau, keepBiasShift).run();
        out.println();
        out.printf("%-14s %-6s %7s %7s %7s %7s %12s %14s %7s%n",
                "mode", "phase", "d1", "d2", "d3", "dc", "dense MACs", "dynamic MACs", "ratio");
        for (DemoRow r : rows) {
            out.printf("%-14s %-6s %7.3f %7.3f %7.3f %7.3f %12s %14s %7.3f%n",
                    r.label(), r.phase(), r.d1(), r.d2(), r.d3(), r.dc(),
                    mega(r.denseMacs()), mega(r.dynamicMacs()), r.dynamicMacs() / r.denseMacs());
        }
        out.println();
        out.println("d1/d2/d3: fraction of conv1/conv2/conv3 outputs computed; dc: fraction of channel groups kept.");
        out.println("Dynamic MACs include the maskers; training uses hard Gumbel-softmax, eval the keep >= skip rule.");
        return 0;
    }

    private static String mega(double macs) {
        return String.format("%.1fM", macs / 1e6);
    }
}
