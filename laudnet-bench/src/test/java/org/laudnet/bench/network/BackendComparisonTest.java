package org.laudnet.bench.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.laudnet.core.exec.PathPolicy;

/**
 * A small comparison (32 x 32 inputs, one round) of the DJL and oneDNN backends: one row per variant, batch and
 * backend, the baseline's static row at ratio 1, gated rows with a MACs ratio below 1, the markdown table; invalid
 * configurations are refused with the value named. No timing is asserted.
 */
class BackendComparisonTest {

    @Test
    void aSmallComparisonHasOneRowPerVariantBatchAndBackend() {
        BackendComparison c = new BackendComparison(new BackendComparison.Config(List.of("djl-cpu", "onednn"),
                List.of("spatial", "static"), new int[] {1, 2}, 32, 0.5, 1, 1, PathPolicy.SPARSE));
        List<BackendComparison.Row> rows = c.run();
        assertEquals(8, rows.size());
        BackendComparison.Row first = rows.get(0);
        assertEquals("static", first.variant(), "static runs first: it is the baseline");
        assertEquals("djl-cpu", first.backend());
        assertEquals(1.0, first.ratioVsBaseline(), 1e-12);
        assertEquals("onednn", rows.get(1).backend());
        for (BackendComparison.Row r : rows) {
            assertTrue(r.medianMs() > 0 && Double.isFinite(r.ratioVsBaseline()), r.toString());
            if (r.variant().equals("spatial")) {
                assertTrue(r.macsRatio() < 1.0, r.toString());
            }
        }
        String md = c.markdown(rows, "reduced");
        assertTrue(md.contains("| spatial | 2 | onednn |"), md);
        assertTrue(md.contains("reduced"), md);
        assertTrue(md.contains("OMP_NUM_THREADS="), md);
    }

    @Test
    void invalidConfigurationsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BackendComparison.Config(
                List.of("onednn"), List.of("sideways"), new int[] {1}, 224, 0.5, 1, 0, PathPolicy.AUTO));
        assertTrue(e.getMessage().contains("'sideways'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new BackendComparison.Config(List.of("onednn"),
                List.of("static"), new int[] {1}, 100, 0.5, 1, 0, PathPolicy.AUTO));
        assertTrue(e.getMessage().contains("100"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new BackendComparison.Config(List.of("onednn"),
                List.of("static"), new int[] {1}, 224, 0.5, 1, 0, PathPolicy.DENSE));
        assertTrue(e.getMessage().contains("DENSE"), e.getMessage());
    }
}
