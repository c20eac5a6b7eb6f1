package org.laudnet.bench.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.latency.cpu.CpuBackends;
import org.laudnet.core.latency.cpu.CpuCalibrator;
import org.laudnet.core.latency.cpu.CpuLatencyProfile;
import org.laudnet.core.util.LaudnetHome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code laudnet calibrate}: times the CPU inference engine's operators and paths on this machine, on one engine
 * backend ({@code --backend}; by default the fastest CPU backend, the one an AUTO executor runs on), and writes the CPU
 * latency profile used by {@code laudnet search --hardware cpu} and {@code laudnet latency validate}. The profile names
 * its backend; the validation refuses a profile of another backend.
 */
@Command(
        name = "calibrate",
        mixinStandardHelpOptions = true,
        description = "Measures the CPU executor on this machine, on one backend, and writes the CPU latency profile"
                + " (default: " + CpuLatencyProfile.DEFAULT_FILE_NAME + " in the LAUDNet home: " + LaudnetHome.RULE
                + ").")
public final class CalibrateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--out", description = "Profile file to write.")
    Path out;

    @Option(names = "--samples", description = "Also write the raw timings and features as CSV.")
    Path samples;

    @Option(names = "--quick", description = "Reduced grid and fewer runs (development; less accurate).")
    boolean quick;

    @Option(names = "--backend", defaultValue = CpuBackends.FASTEST,
            description = "CPU backend to measure: fastest (what an AUTO executor runs on the CPU), djl-cpu, onednn,"
                    + " java (default: ${DEFAULT-VALUE}).")
    String backend;

    /** Runs the calibration and writes the profile. */
    @Override
    public Integer call() throws Exception {
        PrintStream con = System.out;
        LatencyCommand.checkBackendOption(spec, backend);
        Path file = out;
        if (file == null) {
            // refuse an unusable home before the measurement, not after it
            try {
                LaudnetHome.current().requireWritable();
            } catch (IOException | IllegalStateException e) {
                System.err.println("laudnet calibrate: " + e.getMessage());
                return 2;
            }
            file = CpuLatencyProfile.defaultLocation();
        }
        InputFiles.outputFile(spec, out != null ? "--out" : "the profile location", file);
        InputFiles.outputFile(spec, "--samples", samples);
        String id;
        try (NDManager manager = NDManager.newBaseManager();
                Backend<?> b = LatencyCommand.backendOption(spec, backend, manager)) {
            id = b.id();
        }
        String name = backend;
        CpuCalibrator.Settings settings = CpuCalibrator.Settings.defaults(quick);
        CpuCalibrator calibrator = new CpuCalibrator(settings, m -> CpuBackends.create(name, m), line -> {
            con.println(line);
            con.flush();
        });
        con.printf("calibrating the CPU latency profile of backend %s (%s grid: %d blocks, %d gated configurations,"
                + " %d runs)%n", id, quick ? "quick" : "full", calibrator.geometries().size(),
                calibrator.gridPoints().size(), settings.runs());
        long t0 = System.nanoTime();
        CpuLatencyProfile profile = calibrator.calibrate();
        profile.write(file);
        if (samples != null) {
            calibrator.writeSamples(samples);
        }
        con.printf("wrote %s (%.0f s)%n", file, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
