package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.BitSet;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.testing.ManagedTest;

/**
 * The clusters of {@link ExecutionPath#CHANNEL_UNION} ({@link ChannelClusters}), their features
 * ({@link PathFeatures}) and how {@link PathSelector} chooses between the channel paths and their clusterings.
 */
class ChannelClustersTest extends ManagedTest {

    private BlockPlan plan;

    @BeforeEach
    void block() {
        BlockGeometry g = BlockGeometry.bottleneck(32, 16, 6, 1);
        GatedResidualBlock b = GatedResidualBlock.builder().setGeometry(g).optGateSpec(GateSpec.channel(4)).build();
        b.initialize(m, DataType.FLOAT32, new Shape(1, 32, 6, 6));
        plan = BlockPlan.of(b, 0, ps);
    }

    /** Samples 0..3 with the patterns {0}, {0, 1}, {2}, {3}; sample 4 again {0, 1}. */
    private Masks fivePatterns() {
        float[] c = {
            1, 0, 0, 0,
            1, 1, 0, 0,
            0, 0, 1, 0,
            0, 0, 0, 1,
            1, 1, 0, 0};
        return new Masks(plan, 5, null, c);
    }

    private static BitSet set(int... groups) {
        BitSet b = new BitSet();
        for (int q : groups) {
            b.set(q);
        }
        return b;
    }

    @Test
    void extremeCostsGiveOneUnionOrOneClusterPerPattern() {
        Masks mk = fivePatterns();
        List<ChannelClusters.Cluster> one = ChannelClusters.of(mk, ChannelClusters.Costs.ONE_UNION);
        assertEquals(1, one.size());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, one.get(0).samples());
        assertEquals(set(0, 1, 2, 3), one.get(0).union());
        assertFalse(one.get(0).uniform());
        List<ChannelClusters.Cluster> split = ChannelClusters.of(mk, ChannelClusters.Costs.PER_PATTERN);
        assertEquals(4, split.size());
        assertArrayEquals(new int[] {0}, split.get(0).samples());
        assertEquals(set(0), split.get(0).union());
        assertArrayEquals(new int[] {1, 4}, split.get(1).samples());
        assertTrue(split.stream().allMatch(ChannelClusters.Cluster::uniform), "per-pattern clusters need no mask");
        // one shared pattern is one uniform cluster whatever the costs
        Masks shared = new Masks(plan, 3, null, new float[] {0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0});
        for (ChannelClusters.Costs c : List.of(ChannelClusters.Costs.ONE_UNION, ChannelClusters.Costs.PER_PATTERN)) {
            List<ChannelClusters.Cluster> r = ChannelClusters.of(shared, c);
            assertEquals(1, r.size());
            assertTrue(r.get(0).uniform());
            assertEquals(set(1, 2), r.get(0).union());
        }
    }

    @Test
    void greedyMergesOnlyWhatASubBatchCostsMoreThan() {
        Masks mk = fivePatterns();
        double[] macs = ChannelClusters.sampleMacs(mk);
        double step = macs[2] - macs[1];
        assertTrue(macs[3] - macs[2] > step, "the branch MACs grow faster than linearly with the open groups");
        // {0} joins {0, 1} (2 samples) at 1 step for 1.5 steps saved; {2} and {3} would cost 2 steps
        List<ChannelClusters.Cluster> r = ChannelClusters.of(mk, new ChannelClusters.Costs(1.5 * step, 0));
        assertEquals(3, r.size(), r.toString());
        assertArrayEquals(new int[] {0, 1, 4}, r.get(0).samples());
        assertEquals(set(0, 1), r.get(0).union());
        assertFalse(r.get(0).uniform());
        assertArrayEquals(new int[] {2}, r.get(1).samples());
        assertArrayEquals(new int[] {3}, r.get(2).samples());
        // the mask multiplication's cost keeps them apart
        double perElement = step / ChannelClusters.maskedElements(mk)[2];
        assertEquals(4, ChannelClusters.of(mk, new ChannelClusters.Costs(1.5 * step, perElement)).size());
        // a large sub-batch cost merges everything
        assertEquals(1, ChannelClusters.of(mk, new ChannelClusters.Costs(100 * macs[4], 0)).size());
    }

    @Test
    void manyPatternsAreOneUnionUnlessSplitPerPattern() {
        // 8 groups (2 channels each) and 70 samples with distinct patterns: beyond the greedy merge's bound
        BlockGeometry g = BlockGeometry.bottleneck(32, 16, 6, 1);
        GatedResidualBlock b = GatedResidualBlock.builder().setGeometry(g).optGateSpec(GateSpec.channel(8)).build();
        b.initialize(m, DataType.FLOAT32, new Shape(1, 32, 6, 6));
        BlockPlan eight = BlockPlan.of(b, 0, ps);
        int batch = ChannelClusters.MAX_MERGED_PATTERNS + 6;
        float[] c = new float[batch * 8];
        for (int s = 0; s < batch; s++) {
            for (int q = 0; q < 8; q++) {
                c[s * 8 + q] = ((s + 1) >> q & 1) == 1 ? 1 : 0;
            }
        }
        Masks mk = new Masks(eight, batch, null, c);
        assertEquals(batch, mk.patternGroups());
        assertEquals(batch, ChannelClusters.of(mk, ChannelClusters.Costs.PER_PATTERN).size());
        List<ChannelClusters.Cluster> one = ChannelClusters.of(mk, new ChannelClusters.Costs(1, 0));
        assertEquals(1, one.size());
        assertEquals(batch, one.get(0).samples().length);
    }

    @Test
    void costsComeFromTheFittedModel() {
        assertEquals(ChannelClusters.Costs.ONE_UNION, ChannelClusters.Costs.of(null));
        ChannelClusters.Costs c = ChannelClusters.Costs.of(new LinearCostModel(new double[] {0.1, 0.5, 2e-9, 1e-9,
            3e-10}));
        assertEquals(0.5 / 2e-9, c.subBatch(), 1);
        assertEquals(0.5, c.maskedElement(), 1e-12);
        assertEquals(ChannelClusters.Costs.ONE_UNION,
                ChannelClusters.Costs.of(new LinearCostModel(new double[] {0.1, 0.5, -1e-9, 0, 0})));
        assertEquals(ChannelClusters.Costs.PER_PATTERN,
                ChannelClusters.Costs.of(new LinearCostModel(new double[] {0.1, -0.5, 0, 0, 0})));
        assertEquals(0, ChannelClusters.Costs.of(new LinearCostModel(new double[] {0.1, -0.5, 1e-9, -1, 0}))
                .subBatch());
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class,
                () -> ChannelClusters.Costs.of(new LinearCostModel(new double[] {0.1, 0.5, 1e-9})));
        assertTrue(wrong.getMessage().contains("5 coefficients"), wrong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ChannelClusters.Costs(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new ChannelClusters.Costs(1, Double.NaN));
    }

    @Test
    void featuresCountSubBatchesMacsMaskedAndMovedElements() {
        Masks mk = fivePatterns();
        double[] macs = ChannelClusters.sampleMacs(mk);
        double[] masked = ChannelClusters.maskedElements(mk);
        double[] one = PathFeatures.of(ExecutionPath.CHANNEL_UNION, mk, ChannelClusters.Costs.ONE_UNION);
        assertArrayEquals(new double[] {1, 5 * macs[4], 5 * masked[4], 0}, one, 1e-6 * one[1]);
        double[] split = PathFeatures.of(ExecutionPath.CHANNEL_UNION, mk, ChannelClusters.Costs.PER_PATTERN);
        BlockGeometry g = plan.geometry();
        double moved = 5.0 * (32 * 36 + 64 * 36);
        assertArrayEquals(new double[] {4, 3 * macs[1] + 2 * macs[2], 0, moved}, split, 1e-6 * split[1]);
        // the per-pattern path counts the same MACs and moved elements with its pattern count first
        double[] channel = PathFeatures.of(ExecutionPath.CHANNEL, mk);
        assertEquals(3, channel.length);
        assertEquals(4, channel[0]);
        assertEquals(split[1], channel[1], 1e-6 * split[1]);
        assertEquals(moved, channel[2], 1e-6);
        Masks shared = new Masks(plan, 2, null, new float[] {1, 1, 0, 0, 1, 1, 0, 0});
        assertArrayEquals(new double[] {1, 2 * macs[2], 0}, PathFeatures.of(ExecutionPath.CHANNEL, shared),
                1e-6 * macs[2]);
        assertEquals(64, g.outChannels());
    }

    private static BlockCalibration calibration(double dense, double channelMs, double unionMs) {
        Map<ExecutionPath, LinearCostModel> models = new EnumMap<>(ExecutionPath.class);
        models.put(ExecutionPath.CHANNEL, new LinearCostModel(new double[] {channelMs, 0, 0, 0}));
        models.put(ExecutionPath.CHANNEL_UNION, new LinearCostModel(new double[] {unionMs, 0, 0, 0, 0}));
        return new BlockCalibration(dense, models);
    }

    @Test
    void theSelectorChoosesAChannelPathByTheCalibratedCosts() {
        Masks mk = fivePatterns();
        List<ExecutionPath> candidates = PathSelector.candidates(plan, java.util.Set.of());
        assertEquals(List.of(ExecutionPath.CHANNEL, ExecutionPath.CHANNEL_UNION), candidates);
        assertEquals(candidates, ExecutionPath.candidates(plan, java.util.Set.of()), "the public form of the rule");
        assertEquals(ExecutionPath.CHANNEL_UNION,
                PathSelector.decide(mk, PathPolicy.AUTO, candidates, calibration(5, 4, 3)).path());
        assertEquals(ExecutionPath.CHANNEL,
                PathSelector.decide(mk, PathPolicy.AUTO, candidates, calibration(5, 2, 3)).path());
        assertEquals(ExecutionPath.DENSE,
                PathSelector.decide(mk, PathPolicy.AUTO, candidates, calibration(1, 2, 3)).path());
        // forced paths, calibrated or not; without a calibration the union is the whole batch
        PathSelector.Decision forced = PathSelector.decide(mk, PathPolicy.CHANNEL_UNION, candidates, null);
        assertEquals(ExecutionPath.CHANNEL_UNION, forced.path());
        assertEquals(ChannelClusters.Costs.ONE_UNION, forced.clusterCosts());
        assertEquals(ExecutionPath.CHANNEL,
                PathSelector.decide(mk, PathPolicy.CHANNEL, candidates, calibration(1, 2, 3)).path());
        assertEquals(ExecutionPath.CHANNEL, PathSelector.decide(mk, PathPolicy.SPARSE, candidates, null).path());
        // every gate open: the dense block whatever the policy
        Masks open = new Masks(plan, 2, null, new float[] {1, 1, 1, 1, 1, 1, 1, 1});
        assertEquals(ExecutionPath.DENSE, PathSelector.decide(open, PathPolicy.CHANNEL_UNION, candidates, null)
                .path());
    }

    @Test
    void theSelectorTakesTheCheaperClusteringOfTheUnionModel() {
        Masks mk = fivePatterns();
        List<ExecutionPath> candidates = List.of(ExecutionPath.CHANNEL, ExecutionPath.CHANNEL_UNION);
        double[] macs = ChannelClusters.sampleMacs(mk);
        double step = macs[2] - macs[1];
        // 1.5 steps per sub-batch (as above: three clusters), nothing per moved or masked element
        double perMac = 1e-9;
        Map<ExecutionPath, LinearCostModel> models = new EnumMap<>(ExecutionPath.class);
        models.put(ExecutionPath.CHANNEL, new LinearCostModel(new double[] {100, 0, 0, 0}));
        models.put(ExecutionPath.CHANNEL_UNION, new LinearCostModel(new double[] {0, 1.5 * step * perMac, perMac,
            0, 0}));
        PathSelector.Decision d = PathSelector.decide(mk, PathPolicy.AUTO, candidates,
                new BlockCalibration(1e9, models));
        assertEquals(ExecutionPath.CHANNEL_UNION, d.path());
        assertEquals(1.5 * step, d.clusterCosts().subBatch(), 1e-9 * step);
        assertEquals(0, d.clusterCosts().maskedElement());
        assertEquals(3, mk.clusters(d.clusterCosts()).size());
        // a large cost per moved element makes the whole batch (nothing moved) the cheaper clustering
        models.put(ExecutionPath.CHANNEL_UNION, new LinearCostModel(new double[] {0, 1.5 * step * perMac, perMac,
            0, 1}));
        PathSelector.Decision whole = PathSelector.decide(mk, PathPolicy.AUTO, candidates,
                new BlockCalibration(1e9, models));
        assertEquals(ChannelClusters.Costs.ONE_UNION, whole.clusterCosts());
        assertNotEquals(d.predictedSparseMs(), whole.predictedSparseMs());
    }
}
