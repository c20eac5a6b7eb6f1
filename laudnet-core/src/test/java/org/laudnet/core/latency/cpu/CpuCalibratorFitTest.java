package org.laudnet.core.latency.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.laudnet.core.exec.SpatialSchedule;

class CpuCalibratorFitTest {

    /** Synthetic timings: every path term 0.5 ms + 1e-8 ms per feature unit, maskers 0.05 + 2e-7 ms per element. */
    private static List<CalibrationSample> samples(Random r, boolean withHalo) {
        List<CalibrationSample> s = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            double in = 1e5 + r.nextInt(2_000_000);
            s.add(CalibrationSample.of(CpuTerm.SPATIAL_MASKER, new double[] {in}, 0.05 + 2e-7 * in));
            s.add(CalibrationSample.of(CpuTerm.CHANNEL_MASKER, new double[] {in}, 0.02 + 1e-7 * in));
        }
        for (CpuTerm t : CpuTerm.values()) {
            if (!t.isBlockPath() && t != CpuTerm.CONV && t != CpuTerm.POOL
                    || t == CpuTerm.SPATIAL_HALO && !withHalo) {
                continue;
            }
            for (int i = 0; i < 3 * t.features().size() + 4; i++) {
                double[] f = new double[t.features().size()];
                double path = 0.5;
                for (int k = 0; k < f.length; k++) {
                    f[k] = r.nextInt(1_000_000);
                    path += 1e-8 * f[k];
                }
                boolean spatial = t.isBlockPath() && t != CpuTerm.DENSE && i % 2 == 0;
                boolean channel = t.isBlockPath() && t != CpuTerm.DENSE && i % 3 == 0;
                double in = 1e5 + r.nextInt(2_000_000);
                double masker = (spatial ? 0.05 + 2e-7 * in : 0) + (channel ? 0.02 + 1e-7 * in : 0);
                s.add(new CalibrationSample(t, f, path + masker, spatial ? in : 0, channel ? in : 0));
            }
        }
        return s;
    }

    @Test
    void pathTermsAreFittedToTheTimingLessTheMaskersThatRanWithinIt() {
        Map<CpuTerm, LinearTerm> terms = CpuCalibrator.fit(samples(new Random(3), true),
                EnumSet.of(SpatialSchedule.HALO, SpatialSchedule.WINDOWS, SpatialSchedule.ROWS));
        assertEquals(0.05, terms.get(CpuTerm.SPATIAL_MASKER).intercept(), 1e-9);
        assertEquals(2e-7, terms.get(CpuTerm.SPATIAL_MASKER).coefficient("inputElements"), 1e-15);
        assertEquals(0.02, terms.get(CpuTerm.CHANNEL_MASKER).intercept(), 1e-9);
        for (CpuTerm t : List.of(CpuTerm.SKIP, CpuTerm.MASKED_DENSE, CpuTerm.LAYER, CpuTerm.CHANNEL,
                CpuTerm.SPATIAL_HALO, CpuTerm.SPATIAL_ROWS, CpuTerm.DENSE)) {
            LinearTerm lt = terms.get(t);
            assertEquals(0.5, lt.intercept(), 1e-6, t.name());
            for (String f : lt.features()) {
                assertEquals(1e-8, lt.coefficient(f), 1e-13, t + " " + f);
            }
        }
        // the backend's schedules only: no M1 term for a backend without that schedule
        assertFalse(terms.containsKey(CpuTerm.SPATIAL_M1));
        assertTrue(terms.containsKey(CpuTerm.SPATIAL_HALO));
        // the fitted terms make a valid profile of that backend
        CpuLatencyProfile p = new CpuLatencyProfile(CpuLatencyProfile.FORMAT_VERSION,
                CpuLatencyModelTest.machine("onednn"), terms);
        assertEquals(List.of(CpuTerm.SPATIAL_HALO, CpuTerm.SPATIAL_WINDOWS, CpuTerm.SPATIAL_ROWS),
                p.spatialSchedules());
    }

    @Test
    void aScheduleOfTheBackendWithoutTimingsIsAnError() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CpuCalibrator.fit(
                samples(new Random(4), false), EnumSet.of(SpatialSchedule.HALO, SpatialSchedule.WINDOWS)));
        assertTrue(e.getMessage().contains("SPATIAL_HALO"), e.getMessage());
    }

    @Test
    void aMaskerPredictionAboveTheTimingLeavesTheFloorToThePath() {
        List<CalibrationSample> s = samples(new Random(5), false);
        // one SKIP timing of 0.1 ms that claims a masker of 0.45 ms ran within it
        s.add(new CalibrationSample(CpuTerm.SKIP, new double[] {0, 0, 0}, 0.1, 2e6, 0));
        Map<CpuTerm, LinearTerm> terms = CpuCalibrator.fit(s, EnumSet.of(SpatialSchedule.WINDOWS,
                SpatialSchedule.M1, SpatialSchedule.ROWS));
        assertTrue(terms.get(CpuTerm.SKIP).intercept() > 0, terms.get(CpuTerm.SKIP).toString());
    }
}
