package org.laudnet.core.latency.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.latency.BlockLatencyQuery;
import org.laudnet.core.latency.ConvShape;
import org.laudnet.core.latency.LatencyBreakdown;
import org.laudnet.core.latency.PoolShape;

class CpuLatencyModelTest {

    private static final double EPS = 1e-9;
    /** ResNet-50 stage-1 identity bottleneck: 256 -> 64 -> 256 at 56 x 56, no downsample. */
    private static final BlockGeometry STAGE1 = BlockGeometry.bottleneck(256, 64, 56, 1);

    /** A hand-made profile with round coefficients. */
    static CpuLatencyProfile handProfile() {
        Map<CpuTerm, LinearTerm> t = new EnumMap<>(CpuTerm.class);
        t.put(CpuTerm.CONV, LinearTerm.of(CpuTerm.CONV.features(), 0.1, 1e-9));
        t.put(CpuTerm.POOL, LinearTerm.of(CpuTerm.POOL.features(), 0.05, 2e-8));
        t.put(CpuTerm.SPATIAL_MASKER, LinearTerm.of(CpuTerm.SPATIAL_MASKER.features(), 0.02, 1e-8));
        t.put(CpuTerm.CHANNEL_MASKER, LinearTerm.of(CpuTerm.CHANNEL_MASKER.features(), 0.03, 1e-8));
        t.put(CpuTerm.SKIP, LinearTerm.of(CpuTerm.SKIP.features(), 0.2, 0, 0, 1e-8));
        t.put(CpuTerm.DENSE, LinearTerm.of(CpuTerm.DENSE.features(), 1.5, 1e-9, 2e-9, 1e-6, 1e-8));
        t.put(CpuTerm.MASKED_DENSE, LinearTerm.of(CpuTerm.MASKED_DENSE.features(), 3.0, 1e-9, 2e-9, 1e-6, 1e-8));
        t.put(CpuTerm.LAYER, LinearTerm.of(CpuTerm.LAYER.features(), 1.0, 1e-9, 2e-9, 0, 1e-8, 1e-8));
        t.put(CpuTerm.CHANNEL, LinearTerm.of(CpuTerm.CHANNEL.features(), 1.0, 1e-9, 2e-9, 0, 0, 1e-8, 0.5));
        t.put(CpuTerm.CHANNEL_UNION, LinearTerm.of(CpuTerm.CHANNEL_UNION.features(), 500, 1e-9, 2e-9, 0, 1e-8,
                1e-8));
        t.put(CpuTerm.SPATIAL_WINDOWS,
                LinearTerm.of(CpuTerm.SPATIAL_WINDOWS.features(), 0.3, 1e-9, 2e-9, 0, 1e-8, 1e-8, 0.001, 0.5));
        t.put(CpuTerm.SPATIAL_M1,
                LinearTerm.of(CpuTerm.SPATIAL_M1.features(), 1000, 1e-9, 2e-9, 0, 1e-8, 1e-8, 0.001, 0.5));
        t.put(CpuTerm.SPATIAL_ROWS,
                LinearTerm.of(CpuTerm.SPATIAL_ROWS.features(), 2000, 1e-9, 2e-9, 0, 1e-8, 1e-8, 0.001, 0.5));
        return new CpuLatencyProfile(CpuLatencyProfile.FORMAT_VERSION, machine("djl-cpu"), t);
    }

    /** A machine record of a backend. */
    static CpuLatencyProfile.Machine machine(String backend) {
        return new CpuLatencyProfile.Machine("test cpu", 2, 2, "PASSIVE", "jvm", "0.36.0", "PyTorch 2.7.1", backend,
                backend + " test backend", "2026-01-01T00:00:00Z", "hand");
    }

    /**
     * The hand profile as a oneDNN-like backend's: the HALO, WINDOWS and ROWS schedules, no M1, HALO given the
     * cheapest intercept.
     */
    static CpuLatencyProfile haloProfile() {
        Map<CpuTerm, LinearTerm> t = new EnumMap<>(handProfile().terms());
        t.remove(CpuTerm.SPATIAL_M1);
        t.put(CpuTerm.SPATIAL_HALO,
                LinearTerm.of(CpuTerm.SPATIAL_HALO.features(), 0.1, 1e-9, 2e-9, 0, 1e-8, 1e-8, 0.001, 0.5));
        return new CpuLatencyProfile(CpuLatencyProfile.FORMAT_VERSION, machine("onednn"), t);
    }

    private final CpuLatencyModel model = new CpuLatencyModel(handProfile());

    @Test
    void convAndPoolFollowTheirTerms() {
        // 3x3 64->64 at 56x56: 64*64*9*56*56 = 115,605,504 MACs per image, batch 2
        assertEquals(0.1 + 1e-9 * 2 * 115_605_504.0, model.convLatencyMs(ConvShape.of(64, 64, 56, 3, 1), 2), EPS);
        // max pool of 64 x 112 x 112 at batch 1: 802,816 input elements
        assertEquals(0.05 + 2e-8 * 802_816, model.poolLatencyMs(new PoolShape(64, 112, 112, 56, 56), 1), EPS);
        assertThrows(IllegalArgumentException.class, () -> model.convLatencyMs(ConvShape.of(64, 64, 56, 3, 1), 0));
    }

    @Test
    void staticBlockSplitsTheDenseTermByConvolution() {
        LatencyBreakdown b = model.staticBreakdown(STAGE1, 1);
        // conv1 3136*256*64 = 51,380,224; conv2 3136*64*64*9 = 115,605,504; conv3 3136*64*256 = 51,380,224;
        // map elements 256*3136 + 256*3136 = 1,605,632; weights 256*64, 64*64*9, 64*256 at 1e-6 ms each
        assertEquals(1e-9 * 51_380_224 + 1e-6 * 16_384, b.conv1Ms(), EPS);
        assertEquals(2e-9 * 115_605_504 + 1e-6 * 36_864, b.conv2Ms(), EPS);
        assertEquals(1e-9 * 51_380_224 + 1e-6 * 16_384, b.conv3Ms(), EPS);
        assertEquals(1.5 + 1e-8 * 1_605_632, b.scatterMs(), EPS);
        assertEquals(0, b.maskerMs(), 0);
        assertEquals(0, b.downsampleMs(), 0);
        assertEquals(1.5 + 0.102760448 + 0.231211008 + 0.069632 + 0.01605632, b.totalMs(), EPS);
    }

    @Test
    void spatialQueryUsesTheWindowsTermWhenItIsFastest() {
        // S = 4 on 56x56: 196 cells, 49 active per image, batch 2 -> n = 98 patches, window 6x6
        BlockLatencyQuery q = new BlockLatencyQuery(STAGE1, GateMode.SPATIAL, 4, 1, 0.25, 1, 2);
        double conv1 = 2 * 3136.0 * 256 * 64; // dense conv1 once (one pattern)
        double conv2 = 98 * 16 * 64 * 64 * 9.0; // conv2 on the active patches' S x S outputs
        double conv3 = 98 * 16 * 64 * 256.0; // conv3 on the active rows only
        double gathered = 98 * 36 * 64.0;
        double scattered = 98 * 16 * 256.0; // conv3's rows added into the output
        double map = 2 * (256 * 3136.0 + 256 * 3136.0);
        double windows = 0.3 + 1e-9 * (conv1 + conv3) + 2e-9 * conv2 + 1e-8 * (gathered + scattered) + 1e-8 * map
                + 0.001 * 98 + 0.5;
        double masker = 0.02 + 1e-8 * 2 * 256 * 3136;
        LatencyBreakdown b = model.dynamicBreakdown(q);
        assertEquals(CpuTerm.SPATIAL_WINDOWS, model.predictedPath(q));
        assertEquals(windows + masker, b.totalMs(), EPS);
        assertEquals(masker, b.maskerMs(), EPS);
        assertEquals(1e-8 * gathered + 0.001 * 98 + 0.5, b.gatherMs(), EPS);
        assertEquals(0.3 + 1e-8 * scattered + 1e-8 * map, b.scatterMs(), EPS);
        assertEquals(2e-9 * conv2, b.conv2Ms(), EPS);
    }

    @Test
    void layerQueryTakesTheLayerTermAtBatch8AndTheExpectationAtBatch1() {
        BlockLatencyQuery q8 = new BlockLatencyQuery(STAGE1, GateMode.LAYER, 1, 1, 0.5, 1, 8);
        double open = 4;
        double macs1x1 = open * 3136 * 256 * 64 * 2;
        double macs3x3 = open * 3136 * 64 * 64 * 9;
        double moved = open * (256 * 3136 + 256 * 3136);
        double map = 8 * (256 * 3136.0 + 256 * 3136);
        double layer = 1.0 + 1e-9 * macs1x1 + 2e-9 * macs3x3 + 1e-8 * moved + 1e-8 * map;
        double masker8 = 0.02 + 1e-8 * 8 * 256 * 3136;
        assertEquals(CpuTerm.LAYER, model.predictedPath(q8));
        assertEquals(layer + masker8, model.dynamicLatencyMs(q8), EPS);
        assertEquals(1e-8 * moved / 2, model.dynamicBreakdown(q8).gatherMs(), EPS);

        // batch 1, rho = 0.3: 0.3 of the dense block and 0.7 of the skipped branch, plus the masker
        BlockLatencyQuery q1 = new BlockLatencyQuery(STAGE1, GateMode.LAYER, 1, 1, 0.3, 1, 1);
        double dense1 = 1.5 + 0.102760448 + 0.231211008 + 0.069632 + 0.01605632;
        double skip1 = 0.2 + 1e-8 * 1_605_632;
        double masker1 = 0.02 + 1e-8 * 802_816;
        assertEquals(0.3 * dense1 + 0.7 * skip1 + masker1, model.dynamicLatencyMs(q1), EPS);
    }

    @Test
    void specialCasesFollowTheExecutor() {
        BlockLatencyQuery none = new BlockLatencyQuery(STAGE1, GateMode.SPATIAL, 4, 1, 0, 1, 1);
        assertEquals(CpuTerm.SKIP, model.predictedPath(none));
        BlockLatencyQuery open = new BlockLatencyQuery(STAGE1, GateMode.SPATIAL, 4, 1, 1, 1, 1);
        assertEquals(CpuTerm.DENSE, model.predictedPath(open));
        assertEquals(model.staticLatencyMs(STAGE1, 1) + model.maskerMs(open), model.dynamicLatencyMs(open), EPS);
        BlockLatencyQuery channel = new BlockLatencyQuery(STAGE1, GateMode.CHANNEL, 1, 4, 1, 0.5, 1);
        double in = 256 * 3136.0;
        assertEquals(0.03 + 1e-8 * in, model.maskerMs(channel), EPS);
        assertTrue(model.dynamicLatencyMs(channel) <= model.staticLatencyMs(STAGE1, 1) + model.maskerMs(channel));
        // channel groups that split a convolution group (8 gate groups of 8 channels, conv groups of 16) run the
        // masked dense block: intercept 3.0 instead of 1.5
        BlockGeometry grouped = new BlockGeometry(BlockType.BOTTLENECK, 256, 64, 256, 56, 56, 1, 4,
                StridePlacement.CONV2);
        BlockLatencyQuery gq = new BlockLatencyQuery(grouped, GateMode.CHANNEL, 1, 8, 1, 0.5, 1);
        BlockLatencyQuery whole = new BlockLatencyQuery(grouped, GateMode.CHANNEL, 1, 4, 1, 0.5, 1);
        assertEquals(CpuTerm.CHANNEL, model.predictedPath(whole), "gate groups of whole conv groups slice");
        assertEquals(CpuTerm.MASKED_DENSE, model.predictedPath(gq));
        assertEquals("DENSE", CpuTerm.MASKED_DENSE.executionPath());
        assertEquals(model.staticLatencyMs(grouped, 1) + 1.5 + model.maskerMs(gq), model.dynamicLatencyMs(gq), EPS);
        assertThrows(IllegalStateException.class, CpuTerm.CONV::executionPath);
    }

    @Test
    void spatialCandidatesAreTheSchedulesOfTheProfilesBackend() {
        BlockLatencyQuery q = new BlockLatencyQuery(STAGE1, GateMode.SPATIAL, 4, 1, 0.25, 1, 2);
        CpuLatencyModel halo = new CpuLatencyModel(haloProfile());
        assertEquals(CpuTerm.SPATIAL_HALO, halo.predictedPath(q));
        BlockWork w = BlockWork.spatialHalo(q);
        double want = 0.1 + 1e-9 * w.macs1x1() + 2e-9 * w.macs3x3() + 1e-8 * w.value(BlockWork.MOVED)
                + 1e-8 * w.mapElements() + 0.001 * w.patches() + 0.5 * w.patterns() + halo.maskerMs(q);
        assertEquals(want, halo.dynamicLatencyMs(q), 1e-9 * want);
        assertEquals(List.of(CpuTerm.SKIP, CpuTerm.MASKED_DENSE, CpuTerm.DENSE, CpuTerm.SPATIAL_HALO,
                CpuTerm.SPATIAL_WINDOWS, CpuTerm.SPATIAL_ROWS), halo.paths(GateMode.SPATIAL));
        // the DJL profile has no HALO term: its fastest schedule is WINDOWS, and HALO cannot be asked for
        assertEquals(List.of(CpuTerm.SPATIAL_WINDOWS, CpuTerm.SPATIAL_M1, CpuTerm.SPATIAL_ROWS),
                model.getProfile().spatialSchedules());
        assertEquals(CpuTerm.SPATIAL_WINDOWS, model.predictedPath(q));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.pathLatencyMs(CpuTerm.SPATIAL_HALO, q));
        assertTrue(e.getMessage().contains("backend 'djl-cpu' has no term SPATIAL_HALO"), e.getMessage());
        // a backend without spatial schedules runs spatial gates on the masked dense fallback
        Map<CpuTerm, LinearTerm> t = new EnumMap<>(handProfile().terms());
        t.keySet().removeIf(CpuTerm::isSpatialSchedule);
        CpuLatencyModel none = new CpuLatencyModel(new CpuLatencyProfile(CpuLatencyProfile.FORMAT_VERSION,
                machine("java"), t));
        assertEquals(CpuTerm.MASKED_DENSE, none.predictedPath(q));
        assertTrue(none.name().contains("java"), none.name());
    }

    @Test
    void pathLatencyPredictsTheTakenPathAndTermOfMapsExecutorPaths() {
        BlockLatencyQuery q = new BlockLatencyQuery(STAGE1, GateMode.SPATIAL, 4, 1, 0.25, 1, 2);
        assertEquals(model.dynamicLatencyMs(q), model.pathLatencyMs(CpuTerm.SPATIAL_WINDOWS, q), EPS);
        assertTrue(model.pathLatencyMs(CpuTerm.SPATIAL_M1, q) > model.dynamicLatencyMs(q));
        assertEquals(3.0 + 1e-9 * (51_380_224.0 * 2) * 2 + 2e-9 * 115_605_504.0 * 2 + 1e-6 * 69_632
                + 1e-8 * 2 * 1_605_632 + model.maskerMs(q), model.pathLatencyMs(CpuTerm.MASKED_DENSE, q), 1e-9);
        assertEquals(CpuTerm.MASKED_DENSE, CpuLatencyModel.termOf("DENSE", q));
        BlockLatencyQuery open = new BlockLatencyQuery(STAGE1, GateMode.SPATIAL, 4, 1, 1, 1, 2);
        assertEquals(CpuTerm.DENSE, CpuLatencyModel.termOf("DENSE", open));
        BlockLatencyQuery channel = new BlockLatencyQuery(STAGE1, GateMode.CHANNEL, 1, 4, 1, 0.5, 2);
        assertEquals(CpuTerm.MASKED_DENSE, CpuLatencyModel.termOf("DENSE", channel));
        assertEquals(CpuTerm.CHANNEL_UNION, CpuLatencyModel.termOf("CHANNEL_UNION", channel));
        assertEquals(CpuTerm.SPATIAL_ROWS, CpuLatencyModel.termOf("SPATIAL_ROWS", q));
        assertThrows(IllegalArgumentException.class, () -> CpuLatencyModel.termOf("CONV", q));
        assertThrows(IllegalArgumentException.class, () -> CpuLatencyModel.termOf("MASKED_DENSE", q));
        assertThrows(IllegalArgumentException.class, () -> CpuLatencyModel.termOf("SIDEWAYS", q));
    }

    @Test
    void atBatch1TheChannelPathIsThePerPatternPathWhateverTheUnionTermSays() {
        Map<CpuTerm, LinearTerm> t = new EnumMap<>(handProfile().terms());
        t.put(CpuTerm.CHANNEL_UNION, LinearTerm.of(CpuTerm.CHANNEL_UNION.features(), 0, 0, 0, 0, 0, 0));
        CpuLatencyModel freeUnion = new CpuLatencyModel(new CpuLatencyProfile(CpuLatencyProfile.FORMAT_VERSION,
                machine("djl-cpu"), t));
        BlockLatencyQuery q1 = new BlockLatencyQuery(STAGE1, GateMode.CHANNEL, 1, 4, 1, 0.5, 1);
        assertEquals(CpuTerm.CHANNEL, freeUnion.predictedPath(q1), "one pattern: the union runs the same operations");
        assertEquals(freeUnion.pathLatencyMs(CpuTerm.CHANNEL, q1), freeUnion.dynamicLatencyMs(q1), EPS);
        BlockLatencyQuery q8 = new BlockLatencyQuery(STAGE1, GateMode.CHANNEL, 1, 4, 1, 0.5, 8);
        assertEquals(CpuTerm.CHANNEL_UNION, freeUnion.predictedPath(q8));
    }

    @Test
    void theUnionChannelPathCompetesWithThePerPatternPath() {
        // batch 8, G = 4, 3 groups per sample: about 4 patterns at 0.75 width, or one union of nearly every group
        BlockLatencyQuery q = new BlockLatencyQuery(STAGE1, GateMode.CHANNEL, 1, 4, 1, 0.75, 8);
        assertEquals(CpuTerm.CHANNEL, model.predictedPath(q), "the hand profile's union intercept is 500 ms");
        Map<CpuTerm, LinearTerm> t = new EnumMap<>(handProfile().terms());
        t.put(CpuTerm.CHANNEL_UNION, LinearTerm.of(CpuTerm.CHANNEL_UNION.features(), 0.5, 1e-9, 2e-9, 0, 1e-8,
                1e-8));
        CpuLatencyModel cheapUnion = new CpuLatencyModel(new CpuLatencyProfile(CpuLatencyProfile.FORMAT_VERSION,
                handProfile().machine(), t));
        assertEquals(CpuTerm.CHANNEL_UNION, cheapUnion.predictedPath(q));
        BlockWork w = BlockWork.channelUnion(STAGE1, 8, 4, 0.75);
        double want = 0.5 + 1e-9 * w.macs1x1() + 2e-9 * w.macs3x3() + 1e-8 * w.value(BlockWork.MOVED)
                + 1e-8 * w.mapElements() + cheapUnion.maskerMs(q);
        assertEquals(want, cheapUnion.dynamicLatencyMs(q), 1e-9 * want);
        assertEquals("CHANNEL_UNION", CpuTerm.CHANNEL_UNION.executionPath());
    }
}
