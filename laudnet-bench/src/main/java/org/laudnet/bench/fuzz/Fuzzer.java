package org.laudnet.bench.fuzz;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes a list of formats with one set of settings and collects a {@link FuzzReport}: the entry point of the
 * {@code laudnet fuzz} command and of the fuzz tests. Each format gets its target ({@link FuzzTargets}), one engine
 * run, and its own NDManager, closed afterwards. Stateless and thread-safe; a run itself is sequential.
 */
public final class Fuzzer {

    private Fuzzer() {}

    /**
     * Runs the formats in order.
     *
     * @param formats the formats
     * @param settings how to run
     * @param command the command line, for the report
     * @param listener progress
     * @return the report
     * @throws IOException if a seed cannot be generated or the work directory cannot be written
     */
    public static FuzzReport run(List<FuzzFormat> formats, FuzzSettings settings, String command,
            FuzzListener listener) throws IOException {
        List<FormatReport> reports = new ArrayList<>();
        Path seeds = Files.createTempDirectory("laudnet-fuzz-seeds-");
        try (FuzzEngine engine = new FuzzEngine(settings)) {
            for (FuzzFormat f : formats) {
                try (NDManager manager = NDManager.newBaseManager();
                        FuzzTarget target = FuzzTargets.create(f, manager, seeds)) {
                    reports.add(engine.run(target, listener));
                }
            }
        } finally {
            FuzzEngine.deleteTree(seeds);
        }
        return new FuzzReport(reports, settings, command, FuzzReport.describeMachine(), Instant.now());
    }
}
