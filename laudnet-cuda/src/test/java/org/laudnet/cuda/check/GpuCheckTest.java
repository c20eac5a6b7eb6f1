package org.laudnet.cuda.check;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.cuda.CudaAvailability;

class GpuCheckTest {

    @Test
    void dryRunRunsTheReferencePartsAndMarksGpuPartsNotRun(@TempDir Path dir) throws IOException {
        Path report = dir.resolve("report.md");
        int status = GpuCheck.run(GpuCheck.parse(new String[] {"--dry-run", "--check-size", "32", "--input-size",
            "64", "--batches", "2", "--work", dir.toString(), "--report", report.toString()}));
        String md = Files.readString(report);
        assertEquals(0, status, md);
        assertTrue(md.contains("Every `CudaKernels` primitive against `ReferenceOps` on NaN-poisoned outputs: not run "
                + "(--dry-run)."), md);
        assertEquals(2, md.split("byte-identical: yes", -1).length - 1, md);
        for (Networks.Variant v : Networks.all()) {
            assertTrue(md.contains("| " + v.label() + " | 2 | " + (v.isStatic() ? "none" : "fixed")),
                    "row of " + v.label() + ":\n" + md);
        }
        assertTrue(md.contains("### Every other architecture"), md);
        for (Networks.Variant v : GpuCheck.otherArchitectures()) {
            assertTrue(md.contains("| " + v.label() + " | 2 | fixed 0.5 |"), "row of " + v.label() + ":\n" + md);
        }
        assertTrue(md.contains("| ResNet-18 / spatial S=4-4-2-1 | 2 | fixed 0.5 |"), md);
        assertTrue(md.contains("| ResNet-50 / both S=4-4-2-1 G=4 | 2 | maskers |"), md);
        assertTrue(md.contains("CUDA columns: not run (--dry-run).")
                && md.contains("reference pass; CUDA not run |"), md);
        assertTrue(md.contains("SPATIAL_HALO"), md);
        assertTrue(md.contains("CUDA latency of static and LAUD ResNet-101 / ResNet-50 (layer, channel, spatial"
                + " S=4-4-2-1) at densities 0.25 / 0.5 / 1.0, batches [64, 1], TF32 and FP32: not run (--dry-run)."),
                md);
        assertTrue(md.contains("overall: PASS"), md);
        assertFalse(md.contains("FAIL"), md);
        for (String net : new String[] {"resnet50", "resnet101"}) {
            float[] logits = Npy.read(dir.resolve(net).resolve("java_logits_cpu.npy"));
            assertEquals(2 * 1000, logits.length);
            String json = Files.readString(dir.resolve(net).resolve("plan.json"));
            assertTrue(json.contains("\"blocks\"") && json.contains("\"se\": null")
                    && json.contains("\"java_logits\": [\"cpu\"]"), json);
        }
        String r101 = Files.readString(dir.resolve("resnet101").resolve("plan.json"));
        assertTrue(r101.contains("\"name\": \"ResNet-101\""), r101);
        assertTrue(Files.exists(dir.resolve("resnet50").resolve("b15_conv3_w.npy")));
        assertTrue(Files.exists(dir.resolve("resnet101").resolve("b32_conv3_w.npy")));
    }

    @Test
    void withoutADriverTheGpuPartsGiveTheProbesReason(@TempDir Path dir) throws IOException {
        Assumptions.assumeFalse(CudaAvailability.isAvailable(), "a CUDA device is usable here");
        Path report = dir.resolve("report.md");
        int status = GpuCheck.run(GpuCheck.parse(new String[] {"--check-size", "32", "--input-size", "32",
            "--batches", "1", "--main-architectures-only", "--work", dir.toString(), "--report",
            report.toString()}));
        String md = Files.readString(report);
        assertEquals(0, status, md);
        assertTrue(md.contains("not run (" + CudaAvailability.reason() + ")"), md);
        assertFalse(md.contains("### Every other architecture"), md);
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
        GpuCheck.Options o = GpuCheck.parse(new String[] {"--latency-batches", "32,2", "--runs-large", "4"});
        assertArrayEquals(new int[] {32, 2}, o.latencyBatches());
        assertEquals(4, o.runsLarge());
        assertArrayEquals(new int[] {64, 1}, GpuCheck.parse(new String[0]).latencyBatches());
        assertEquals(185, GpuCheck.parse(new String[0]).timeLimitSeconds());
        IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class,
                () -> GpuCheck.parse(new String[] {"--check-size", "48"}));
        assertTrue(e3.getMessage().contains("multiples of 32") && e3.getMessage().contains("48"), e3.getMessage());
    }
}
