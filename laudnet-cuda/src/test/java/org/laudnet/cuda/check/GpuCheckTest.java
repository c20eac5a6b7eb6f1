package org.laudnet.cuda.check;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GpuCheckTest {

    @Test
    void dryRunExercisesPlanningAndCpuReferenceAndMarksGpuPartsNotRun(@TempDir Path dir) throws IOException {
        Path report = dir.resolve("report.md");
        int status = GpuCheck.run(GpuCheck.parse(new String[] {"--dry-run", "--check-size", "32", "--work",
            dir.toString(), "--report", report.toString()}));
        assertEquals(0, status);
        String md = Files.readString(report);
        assertTrue(md.contains("Every kernel against `CpuKernels` on NaN-poisoned outputs: not run (--dry-run)"), md);
        assertTrue(md.contains("byte-identical: yes"), md);
        assertTrue(md.contains("| both S=4-4-2-1 G=4 | CPU only | fixed 0.5 | 0.250 | logits finite |"), md);
        assertTrue(md.contains("Network and block latency at densities 0.25 / 0.5 / 1.0: not run (--dry-run)."), md);
        assertTrue(md.contains("overall: PASS"), md);
        assertFalse(md.contains("FAIL"), md);
        float[] logits = Npy.read(dir.resolve("static").resolve("java_logits_cpu.npy"));
        assertEquals(2 * 1000, logits.length);
        assertTrue(Files.readString(dir.resolve("static").resolve("plan.json")).contains("\"blocks\""));
    }

    @Test
    void npyRoundTripAndHeaderAlignment(@TempDir Path dir) throws IOException {
        float[] v = {1f, -2.5f, 3e-7f, Float.MAX_VALUE, 0f, 6f};
        Path f = dir.resolve("a.npy");
        Npy.write(f, v, 2, 3);
        byte[] b = Files.readAllBytes(f);
        assertEquals(0, (b.length - 4 * v.length) % 64);
        assertEquals('\n', b[b.length - 4 * v.length - 1]);
        assertArrayEquals(v, Npy.read(f));
        assertThrows(IllegalArgumentException.class, () -> Npy.write(dir.resolve("b.npy"), v, 4, 2));
    }

    @Test
    void badOptionsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GpuCheck.parse(new String[] {"--runs", "zero"}));
        assertTrue(e.getMessage().contains("--runs"), e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> GpuCheck.parse(new String[] {"--frobnicate"}));
        assertTrue(e2.getMessage().contains("--frobnicate"), e2.getMessage());
    }
}
