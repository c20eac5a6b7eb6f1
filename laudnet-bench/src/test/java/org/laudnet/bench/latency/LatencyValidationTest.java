package org.laudnet.bench.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.latency.BlockLatencyQuery;
import org.laudnet.core.latency.cpu.CpuBackends;
import org.laudnet.core.latency.cpu.CpuCalibrator;
import org.laudnet.core.latency.cpu.CpuLatencyModel;

class LatencyValidationTest {

    @Test
    void spearmanOfMonotoneReversedAndTiedSamples() {
        assertEquals(1, LatencyValidation.spearman(new double[] {1, 2, 3, 4}, new double[] {10, 20, 35, 90}), 1e-12);
        assertEquals(-1, LatencyValidation.spearman(new double[] {1, 2, 3, 4}, new double[] {4, 3, 2, 1}), 1e-12);
        // ranks a = (1, 2.5, 2.5, 4), b = (1, 2, 3, 4): Pearson of the ranks = 4.5 / sqrt(4.5 * 5)
        assertEquals(4.5 / Math.sqrt(4.5 * 5),
                LatencyValidation.spearman(new double[] {1, 2, 2, 3}, new double[] {1, 2, 3, 4}), 1e-12);
        assertThrows(IllegalArgumentException.class,
                () -> LatencyValidation.spearman(new double[] {1}, new double[] {1}));
    }

    @Test
    void mapeIsTheMeanAbsoluteRelativeErrorAndBiasItsSignedMean() {
        List<LatencyValidation.Row> rows = List.of(
                new LatencyValidation.Row("b", GateMode.SPATIAL, 8, 1, 1, 0.3, 1, 1.1, 1.0, "DENSE", "DENSE", 1.1),
                new LatencyValidation.Row("b", GateMode.SPATIAL, 8, 1, 1, 0.5, 1, 1.5, 2.0, "SPATIAL_ROWS",
                        "DENSE", 1.8));
        assertEquals((0.1 + 0.25) / 2, LatencyValidation.mape(rows), 1e-12);
        assertEquals((0.1 - 0.25) / 2, LatencyValidation.bias(rows), 1e-12);
        assertTrue(rows.get(0).pathAgrees());
        assertFalse(rows.get(1).pathAgrees());
        assertEquals(0.1, rows.get(1).takenPathAbsoluteRelativeError(), 1e-12);
    }

    @Test
    void theQuickSetIsASmallSubsetOfTheFullSet() {
        List<LatencyValidation.Point> quick = LatencyValidation.points(true);
        List<LatencyValidation.Point> full = LatencyValidation.points(false);
        assertTrue(quick.size() >= 8 && quick.size() < full.size() / 4, quick.size() + " of " + full.size());
        assertTrue(full.containsAll(quick));
        assertTrue(quick.stream().allMatch(p -> p.density() == 0.5));
    }

    @Test
    void validationPointsAreManyAndNeverCoincideWithCalibration() {
        List<LatencyValidation.Point> points = LatencyValidation.points();
        assertTrue(points.size() >= 40, "got " + points.size());
        Set<BlockLatencyQuery> cal =
                new CpuCalibrator(CpuCalibrator.Settings.defaults(false), s -> { }).calibrationQueries();
        for (LatencyValidation.Point p : points) {
            assertFalse(cal.contains(p.query()), p.toString());
        }
        Set<GateMode> modes = points.stream().map(p -> p.spec().mode()).collect(Collectors.toSet());
        assertEquals(Set.of(GateMode.SPATIAL, GateMode.LAYER, GateMode.CHANNEL, GateMode.BOTH), modes);
        assertTrue(points.stream().anyMatch(p -> p.batch() == 1) && points.stream().anyMatch(p -> p.batch() == 8));
    }

    @Test
    void passSpreadIsTheRangeOfThePassMediansOverTheirMean() {
        LatencyValidation.Row two = new LatencyValidation.Row("b", GateMode.LAYER, 14, 1, 8, 0.5, 1, 10, 11, "LAYER",
                "LAYER", 10, List.of(10.0, 12.0));
        assertEquals(2.0 / 11, two.passSpread(), 1e-12);
        LatencyValidation.Row three = new LatencyValidation.Row("b", GateMode.LAYER, 14, 1, 8, 0.5, 1, 10, 4, "LAYER",
                "LAYER", 10, List.of(3.0, 5.0, 4.0));
        assertEquals(0.5, three.passSpread(), 1e-12);
        LatencyValidation.Row one = new LatencyValidation.Row("b", GateMode.LAYER, 14, 1, 8, 0.5, 1, 10, 4, "LAYER",
                "LAYER", 10);
        assertEquals(List.of(4.0), one.passMs());
        assertEquals(0, one.passSpread(), 0);
        assertEquals((2.0 / 11 + 0.5 + 0) / 3, LatencyValidation.meanPassSpread(List.of(two, three, one)), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> LatencyValidation.meanPassSpread(List.of()));
    }

    @Test
    void twoPassesMeasureEveryPointTwiceAndReportTheMeanOfTheirMedians() {
        BlockGeometry g = BlockGeometry.bottleneck(64, 16, 14, 1);
        List<LatencyValidation.Point> points = List.of(
                new LatencyValidation.Point(g, GateSpec.spatial(2), 1, 0.5),
                new LatencyValidation.Point(g, GateSpec.spatial(2), 1, 0.25),
                new LatencyValidation.Point(g, GateSpec.channel(4), 2, 0.5));
        List<String> progress = new ArrayList<>();
        LatencyValidation v = new LatencyValidation(2, 0, 7L, m -> CpuBackends.create("djl-cpu", m), progress::add);
        CpuLatencyModel model = new CpuLatencyModel(ValidationReportTest.djlProfile());
        List<LatencyValidation.Row> rows = v.run(model, points, 2);
        assertEquals(3, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            LatencyValidation.Row r = rows.get(i);
            assertEquals("bottleneck 64-16-64 @14", r.block());
            assertEquals(points.get(i).spec().mode(), r.mode());
            assertEquals(2, r.passMs().size(), r.toString());
            assertTrue(r.passMs().stream().allMatch(ms -> ms > 0), r.toString());
            assertEquals((r.passMs().get(0) + r.passMs().get(1)) / 2, r.measuredMs(), 1e-12);
            // the path taken is one the model can name for this query
            CpuLatencyModel.termOf(r.measuredPath(), points.get(i).query());
        }
        // the realised density: round(0.25 * 49) = 12 of the 7 x 7 cells
        assertEquals(12.0 / 49, rows.get(1).density(), 1e-12);
        // one line per executor and pass: two executors (spatial batch 1, channel batch 2) in each of two passes
        assertEquals(List.of("pass 1/2: bottleneck 64-16-64 @14 SPATIAL batch 1: 2 configurations",
                "pass 1/2: bottleneck 64-16-64 @14 CHANNEL batch 2: 1 configurations",
                "pass 2/2: bottleneck 64-16-64 @14 SPATIAL batch 1: 2 configurations",
                "pass 2/2: bottleneck 64-16-64 @14 CHANNEL batch 2: 1 configurations"), progress);
        assertThrows(IllegalArgumentException.class, () -> v.run(model, points, 0));
    }
}
