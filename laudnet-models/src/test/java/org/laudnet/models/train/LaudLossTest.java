package org.laudnet.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.cost.BlockRatioForm;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.NetworkResult;

class LaudLossTest {

    private static final float[][] Z = {{1, 2, 3}, {1, 0, -1}};
    private static final float[][] ZT = {{3, 2, 1}, {0, 0, 0}};
    private static final int[] Y = {2, 0};

    /** dense costs 100 and 300, fixed 100; dynamic = dense * d3 * dc. */
    private static final CostModel LINEAR = new CostModel() {
        @Override
        public int numBlocks() {
            return 2;
        }

        @Override
        public double denseCost(int block) {
            return block == 0 ? 100 : 300;
        }

        @Override
        public NDArray dynamicCost(int block, NDArray d1, NDArray d2, NDArray d3, NDArray dc) {
            return d3.mul(dc).mul((float) denseCost(block));
        }

        @Override
        public double fixedCost() {
            return 100;
        }
    };

    private NDManager m;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    private static double[] logSoftmax(float[] z, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v / t);
        }
        double s = 0;
        for (float v : z) {
            s += Math.exp(v / t - max);
        }
        double lse = max + Math.log(s);
        double[] out = new double[z.length];
        for (int k = 0; k < z.length; k++) {
            out[k] = z[k] / t - lse;
        }
        return out;
    }

    private static double handCe(double eps) {
        double sum = 0;
        for (int i = 0; i < Z.length; i++) {
            double[] lp = logSoftmax(Z[i], 1);
            for (int k = 0; k < 3; k++) {
                double q = (k == Y[i] ? 1 - eps : 0) + eps / 3;
                sum -= q * lp[k];
            }
        }
        return sum / Z.length;
    }

    private static double handKl(double t) {
        double sum = 0;
        for (int i = 0; i < Z.length; i++) {
            double[] ls = logSoftmax(Z[i], t);
            double[] lt = logSoftmax(ZT[i], t);
            for (int k = 0; k < 3; k++) {
                sum += Math.exp(lt[k]) * (lt[k] - ls[k]);
            }
        }
        return sum / Z.length;
    }

    private NDList labels(boolean teacher) {
        NDArray y = m.create(new float[] {Y[0], Y[1]});
        if (!teacher) {
            return new NDList(y);
        }
        NDArray t = m.create(new float[] {3, 2, 1, 0, 0, 0}, new Shape(2, 3));
        t.setName(LaudLoss.TEACHER_LOGITS);
        return new NDList(y, t);
    }

    private NDArray logits() {
        return m.create(new float[] {1, 2, 3, 1, 0, -1}, new Shape(2, 3));
    }

    /** Block 0: d3 = 0.2, dc = 1 (r = 0.2); block 1: d3 = 0.8, dc = 0.5 (r = 0.4); ratio (100+20+120)/500 = 0.48. */
    private NetworkResult result(NDArray d3Block0) {
        NDArray one = m.create(1f);
        NetworkResult.BlockDensityResult b0 =
                new NetworkResult.BlockDensityResult(one, one, d3Block0, m.create(1f), m.create(20f));
        NetworkResult.BlockDensityResult b1 =
                new NetworkResult.BlockDensityResult(one, one, m.create(0.8f), m.create(0.5f), m.create(120f));
        return new NetworkResult(logits(), m.create(240f), List.of(b0, b1));
    }

    private static LaudLoss loss(LossConfig cfg, TrainingProgress progress) {
        return new LaudLoss(cfg, LINEAR, List.of(GateMode.SPATIAL, GateMode.BOTH), progress);
    }

    @Test
    void crossEntropyMatchesHandComputation() {
        assertEquals(handCe(0), LaudLoss.crossEntropy(logits(), m.create(new float[] {2, 0}), 0f).getFloat(), 1e-5);
        assertEquals(0.40760596, handCe(0), 1e-7);
        assertEquals(handCe(0.1), LaudLoss.crossEntropy(logits(), m.create(new float[] {2, 0}), 0.1f).getFloat(),
                1e-5);
        assertTrue(handCe(0.1) > handCe(0));
    }

    @Test
    void distillationMatchesHandComputation() {
        NDArray t = m.create(new float[] {3, 2, 1, 0, 0, 0}, new Shape(2, 3));
        assertEquals(handKl(2), LaudLoss.distillation(logits(), t, 2f).getFloat(), 1e-5);
        assertEquals(0, LaudLoss.distillation(logits(), logits(), 4f).getFloat(), 1e-6);
        assertThrows(IllegalArgumentException.class,
                () -> LaudLoss.distillation(logits(), m.zeros(new Shape(2, 4)), 2f));
    }

    @Test
    void costTermAtEpochZeroPinsEveryBlockToTheTarget() {
        TrainingProgress progress = new TrainingProgress(null);
        LaudLoss loss = loss(new LossConfig(0.5f, 2f, 10f, 0.5f, 0f, 10, LossForm.PROJECT_ORIGINAL), progress);
        LossParts p = loss.parts(labels(false), result(m.create(0.2f)).toNDList());
        // lb = ub = 0.5: block terms (0.5-0.2)^2 = 0.09 and (0.5-0.4)^2 = 0.01, mean 0.05;
        // network (0.48-0.5)^2 = 0.0004; BOTH channel term (0.5 - sqrt(0.5))^2
        double dcTerm = Math.pow(0.5 - Math.sqrt(0.5), 2);
        double cost = 0.05 + 0.0004 + dcTerm;
        assertEquals(cost, p.cost().getFloat(), 1e-6);
        assertEquals(0.48, p.ratio().getFloat(), 1e-6);
        assertFalse(p.hasTeacher());
        assertEquals(0, p.kd().getFloat());
        assertEquals(handCe(0) + 10 * cost, p.total().getFloat(), 1e-5);
    }

    @Test
    void costTermAfterTheReleaseKeepsOnlyTheNetworkTarget() {
        TrainingProgress progress = new TrainingProgress(null);
        progress.restore(5, 0);
        LaudLoss loss = loss(new LossConfig(0.5f, 2f, 10f, 0.5f, 0f, 10, LossForm.PROJECT_ORIGINAL), progress);
        LossParts p = loss.parts(labels(false), result(m.create(0.2f)).toNDList());
        assertEquals(0.0004 + Math.pow(0.5 - Math.sqrt(0.5), 2), p.cost().getFloat(), 1e-6);
        LaudLoss reference = loss(new LossConfig(0.5f, 2f, 10f, 0.5f, 0f, 10), progress);
        assertEquals(0.0004, reference.parts(labels(false), result(m.create(0.2f)).toNDList()).cost().getFloat(),
                1e-7);
    }

    @Test
    void referenceFormHasNoChannelDensityTerm() {
        LaudLoss loss = loss(LossConfig.paper(0.5f, 10), new TrainingProgress(null));
        assertEquals(LossForm.REFERENCE, loss.getConfig().form());
        LossParts p = loss.parts(labels(false), result(m.create(0.2f)).toNDList());
        // the reference's SparsityCriterion_bounds: block bounds 0.05 and network 0.0004, nothing for BOTH mode
        assertEquals(0.05 + 0.0004, p.cost().getFloat(), 1e-6);
        LaudLoss withTerm = loss(LossConfig.paper(0.5f, 10).withForm(LossForm.REFERENCE.withChannelDensityTerm(true)),
                new TrainingProgress(null));
        assertEquals(0.05 + 0.0004 + Math.pow(0.5 - Math.sqrt(0.5), 2),
                withTerm.parts(labels(false), result(m.create(0.2f)).toNDList()).cost().getFloat(), 1e-6);
    }

    /** As LINEAR with masker costs 20 (block 0) and 0 (block 1) paid on top of the dynamic cost. */
    private static final CostModel WITH_MASKERS = new CostModel() {
        @Override
        public int numBlocks() {
            return 2;
        }

        @Override
        public double denseCost(int block) {
            return LINEAR.denseCost(block);
        }

        @Override
        public NDArray dynamicCost(int block, NDArray d1, NDArray d2, NDArray d3, NDArray dc) {
            return LINEAR.dynamicCost(block, d1, d2, d3, dc).add((float) maskerCost(block));
        }

        @Override
        public double maskerCost(int block) {
            return block == 0 ? 20 : 0;
        }

        @Override
        public double fixedCost() {
            return 100;
        }
    };

    @Test
    void blockRatioPutsMaskersInBothTermsByDefault() {
        TrainingProgress progress = new TrainingProgress(null);
        List<GateMode> modes = List.of(GateMode.SPATIAL, GateMode.SPATIAL);
        LaudLoss reference = new LaudLoss(LossConfig.paper(0.5f, 10), WITH_MASKERS, modes, progress);
        LaudLoss dense = new LaudLoss(LossConfig.paper(0.5f, 10)
                .withForm(LossForm.REFERENCE.withBlockRatio(BlockRatioForm.DENSE_DENOMINATOR)), WITH_MASKERS, modes,
                progress);
        // block 0: dynamic 100 * 0.2 + 20 = 40; r = 40 / (100 + 20) = 1/3 (reference) or 40 / 100 = 0.4;
        // block 1: 300 * 0.8 * 0.5 = 120, r = 0.4; network (100 + 40 + 120) / 500 = 0.52
        double network = Math.pow(0.52 - 0.5, 2);
        double refBounds = (Math.pow(0.5 - 1.0 / 3, 2) + 0.01) / 2;
        assertEquals(refBounds + network,
                reference.parts(labels(false), result(m.create(0.2f)).toNDList()).cost().getFloat(), 1e-6);
        assertEquals((0.01 + 0.01) / 2 + network,
                dense.parts(labels(false), result(m.create(0.2f)).toNDList()).cost().getFloat(), 1e-6);
        assertEquals(0.52, reference.parts(labels(false), result(m.create(0.2f)).toNDList()).ratio().getFloat(),
                1e-6);
    }

    @Test
    void boundTermAveragesOverAllBlocksByDefault() {
        TrainingProgress progress = new TrainingProgress(null);
        List<GateMode> modes = List.of(GateMode.NONE, GateMode.BOTH);
        LaudLoss all = new LaudLoss(LossConfig.paper(0.5f, 10), LINEAR, modes, progress);
        LaudLoss gated = new LaudLoss(LossConfig.paper(0.5f, 10)
                .withForm(LossForm.REFERENCE.withBoundAveraging(BoundAveraging.GATED_BLOCKS)), LINEAR, modes,
                progress);
        // block 0 static at r = 1: (1 - 0.5)^2 = 0.25; block 1 r = 0.4: 0.01; network (100 + 100 + 120) / 500 = 0.64
        double network = Math.pow(0.64 - 0.5, 2);
        assertEquals((0.25 + 0.01) / 2 + network,
                all.parts(labels(false), result(m.create(1f)).toNDList()).cost().getFloat(), 1e-6);
        assertEquals(0.01 + network, gated.parts(labels(false), result(m.create(1f)).toNDList()).cost().getFloat(),
                1e-6);
    }

    @Test
    void totalCombinesDistillationWithTheTemperatureSquared() {
        TrainingProgress progress = new TrainingProgress(null);
        progress.restore(9, 0);
        LaudLoss loss = loss(new LossConfig(0.25f, 2f, 3f, 0.5f, 0.1f, 10), progress);
        LossParts p = loss.parts(labels(true), result(m.create(0.2f)).toNDList());
        assertTrue(p.hasTeacher());
        assertEquals(handKl(2), p.kd().getFloat(), 1e-5);
        assertEquals(handCe(0.1), p.ce().getFloat(), 1e-5);
        // the reference's main.py: CE at weight 1 plus alpha T^2 KD
        double expected = handCe(0.1) + 0.25 * 4 * handKl(2) + 3 * p.cost().getFloat();
        assertEquals(expected, p.total().getFloat(), 1e-5);
        assertEquals(expected, loss.evaluate(labels(true), result(m.create(0.2f)).toNDList()).getFloat(), 1e-5);
        LaudLoss convex = loss(new LossConfig(0.25f, 2f, 3f, 0.5f, 0.1f, 10,
                LossForm.REFERENCE.withDistillation(DistillationWeighting.CONVEX)), progress);
        LossParts c = convex.parts(labels(true), result(m.create(0.2f)).toNDList());
        assertEquals(0.75 * handCe(0.1) + 0.25 * 4 * handKl(2) + 3 * c.cost().getFloat(), c.total().getFloat(), 1e-5);
    }

    @Test
    void boundsScheduleAtStartMiddleAndEnd() {
        DensityBounds start = DensityBounds.at(0, 10, 0.5);
        assertEquals(0.5, start.lower(), 1e-12);
        assertEquals(0.5, start.upper(), 1e-12);
        // p = 1.65 / 3.3 = 0.5 -> progress cos^2(pi/4) = 0.5
        DensityBounds mid = DensityBounds.at(1.65, 10, 0.5);
        assertEquals(0.5, mid.progress(), 1e-9);
        assertEquals(0.25, mid.lower(), 1e-9);
        assertEquals(0.75, mid.upper(), 1e-9);
        DensityBounds end = DensityBounds.at(9, 10, 0.5);
        assertEquals(0, end.lower(), 1e-12);
        assertEquals(1, end.upper(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> DensityBounds.at(-1, 10, 0.5));
    }

    @Test
    void costGradientPushesALowBlockUp() {
        TrainingProgress progress = new TrainingProgress(null);
        LaudLoss loss = loss(new LossConfig(0f, 1f, 1f, 0.5f, 0f, 10), progress);
        NDArray d3 = m.create(0.2f);
        d3.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray cost = loss.parts(labels(false), result(d3).toNDList()).cost();
            gc.backward(cost);
        }
        // d/dd3: 0.5 * 2 * (lb - r0) * (-1) + 2 * (0.48 - 0.5) * 100 / 500 = -0.3 - 0.008
        assertEquals(-0.308, d3.getGradient().getFloat(), 1e-5);
    }

    @Test
    void rejectsAMismatchedBlockCount() {
        LaudLoss loss = loss(new LossConfig(0f, 1f, 1f, 0.5f, 0f, 10), new TrainingProgress(null));
        NetworkResult one = new NetworkResult(logits(), m.create(1f), List.of(result(m.create(1f)).blocks().get(0)));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class, () -> loss.parts(labels(false), one.toNDList()));
        assertTrue(e.getMessage().contains("1 blocks"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LossConfig(1.5f, 1f, 1f, 0.5f, 0f, 10));
        assertThrows(IllegalArgumentException.class, () -> new LossConfig(0.5f, 1f, 1f, 0f, 0f, 10));
    }

    @Test
    void macsCostModelMatchesTheNetworksStaticCost() {
        GatedBackbone net = TinyNets.twoStage(GumbelTemperature.constant(1f), 16, 4);
        MacsCostModel cost = MacsCostModel.of(net);
        assertEquals(2, cost.numBlocks());
        assertEquals(net.staticMacs(), cost.staticCost(), 0.5);
        NDArray one = m.create(1f);
        long dense0 = net.getBlocks().get(0).getCost().denseMacs();
        long masker0 = net.getBlocks().get(0).getCost().maskerMacs();
        assertTrue(masker0 > 0);
        assertEquals(dense0 + masker0, cost.dynamicCost(0, one, one, one, one).getFloat(), 1e-3 * dense0);
        NDArray half = m.create(0.5f);
        assertEquals(0.5 * dense0 + masker0 + net.getBlocks().get(0).getCost().downsampleMacs() * 0.5,
                cost.dynamicCost(0, half, half, half, one).getFloat(), 1e-3 * dense0);
    }
}
