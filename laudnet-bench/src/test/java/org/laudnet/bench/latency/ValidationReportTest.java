package org.laudnet.bench.latency;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.latency.cpu.CpuLatencyProfile;
import org.laudnet.core.latency.cpu.CpuTerm;
import org.laudnet.core.latency.cpu.LinearTerm;
import org.laudnet.core.latency.cpu.TimingProtocol;

/** The validation report states the passes and how far they differ. */
public class ValidationReportTest {

    @TempDir
    Path dir;

    /**
     * A valid profile of the DJL backend: every term but SPATIAL_HALO with a 0.1 ms intercept and no slopes (for
     * reports and option checks; not for predictions that mean anything).
     *
     * @return the profile
     */
    public static CpuLatencyProfile djlProfile() {
        Map<CpuTerm, LinearTerm> terms = new EnumMap<>(CpuTerm.class);
        for (CpuTerm t : CpuTerm.values()) {
            if (t != CpuTerm.SPATIAL_HALO) {
                double[] c = new double[t.features().size() + 1];
                c[0] = 0.1;
                terms.put(t, new LinearTerm(t.features(), c, 1, 0));
            }
        }
        return new CpuLatencyProfile(CpuLatencyProfile.FORMAT_VERSION, new CpuLatencyProfile.Machine("test cpu", 2, 2,
                "unset", "jvm", "0.36.0", "PyTorch 2.7.1", "djl-cpu", "DJL test", "2026-01-01", "hand"), terms);
    }

    private String report(List<LatencyValidation.Row> rows) throws Exception {
        Path md = dir.resolve("v" + rows.get(0).passMs().size() + ".md");
        new ValidationReport(rows, djlProfile(), Path.of("profile.json"), Map.of("cpu", "test"),
                new TimingProtocol(9, 3, 150)).writeMarkdown(md);
        return Files.readString(md);
    }

    @Test
    void twoPassesAreReportedWithTheirMediansAndMeanSpread() throws Exception {
        // spreads 0.2 / 1.1 and 0.5 / 2.25: mean 0.2020
        String md = report(List.of(
                new LatencyValidation.Row("bottleneck 256-64-256 @56", GateMode.SPATIAL, 8, 1, 1, 0.3, 1, 1.2, 1.1,
                        "DENSE", "DENSE", 1.2, List.of(1.0, 1.2)),
                new LatencyValidation.Row("bottleneck 256-64-256 @56", GateMode.SPATIAL, 8, 1, 1, 0.5, 1, 2.0, 2.25,
                        "DENSE", "DENSE", 2.0, List.of(2.0, 2.5))));
        assertTrue(md.contains("- passes: 2 over all configurations"), md);
        assertTrue(md.contains("differ by 20.2% of their mean on average"), md);
        assertTrue(md.contains("| taken-path error | passes ms |"), md);
        assertTrue(md.contains("| 1.000 / 1.200 |"), md);
        assertTrue(md.contains("| 2.000 / 2.500 |"), md);
    }

    @Test
    void onePassHasNoPassesLine() throws Exception {
        String md = report(List.of(
                new LatencyValidation.Row("b", GateMode.LAYER, 14, 1, 8, 0.5, 1, 10, 11, "LAYER", "LAYER", 10),
                new LatencyValidation.Row("b", GateMode.LAYER, 14, 1, 8, 0.75, 1, 14, 16, "LAYER", "LAYER", 14)));
        assertFalse(md.contains("- passes:"), md);
        assertTrue(md.contains("| 11.000 |\n"), md);
    }
}
