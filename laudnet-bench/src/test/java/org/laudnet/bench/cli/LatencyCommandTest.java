package org.laudnet.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.bench.latency.ValidationReportTest;

/**
 * {@code latency validate} and {@code calibrate} measure one CPU backend: a profile of another backend and a GPU
 * backend are refused before anything is measured.
 */
class LatencyCommandTest {

    @TempDir
    Path dir;

    /** A valid profile of the DJL backend (round coefficients; never used to predict here), written to a file. */
    private Path djlProfile() throws Exception {
        Path f = dir.resolve("djl-profile.json");
        ValidationReportTest.djlProfile().write(f);
        return f;
    }

    @Test
    void aProfileOfAnotherBackendIsRefusedNamingBothBeforeMeasuring() throws Exception {
        Path profile = djlProfile();
        Path md = dir.resolve("out/v.md");
        CliErrorsTest.Run r = CliErrorsTest.run(List.of("latency", "validate", "--profile", profile.toString(),
                "--backend", "java", "--markdown", md.toString()));
        assertEquals(ExitCode.INPUT.code(), r.code(), r.err());
        // the error line, and a warning that the profile's machine differs from this one
        assertTrue(r.errLines().contains("laudnet latency validate: " + profile + ": the profile was measured on"
                + " backend 'djl-cpu', but this run uses backend 'java'; calibrate that backend ('scripts/laudnet"
                + " calibrate --backend java') or run on the profile's ('--backend djl-cpu')"), r.err());
        assertFalse(r.out().contains("validating"), r.out());
        assertFalse(Files.exists(md), "nothing was measured or written");
    }

    @Test
    void unknownAndGpuBackendsAreUsageErrors() throws Exception {
        Path profile = djlProfile();
        CliErrorsTest.Run v = CliErrorsTest.run(List.of("latency", "validate", "--profile", profile.toString(),
                "--backend", "quantum", "--markdown", dir.resolve("v.md").toString()));
        assertEquals(ExitCode.USAGE.code(), v.code(), v.err());
        assertEquals(1, v.errLines().size(), v.err());
        String line = v.errLines().get(0);
        assertTrue(line.startsWith("laudnet latency validate: --backend: backend must be one of [fastest, djl-cpu,"
                + " java"), line);
        assertTrue(line.contains("got 'quantum'"), line);
        CliErrorsTest.Run c = CliErrorsTest.run(List.of("calibrate", "--backend", "cuda", "--out",
                dir.resolve("p.json").toString()));
        assertEquals(ExitCode.USAGE.code(), c.code(), c.err());
        assertEquals(1, c.errLines().size(), c.err());
        assertTrue(c.errLines().get(0).startsWith("laudnet calibrate: --backend: backend must be a CPU backend (one of "
                + org.laudnet.core.latency.cpu.CpuBackends.choices() + "), got 'cuda', a CUDA backend"), c.err());
        assertFalse(Files.exists(dir.resolve("p.json")));
    }
}
