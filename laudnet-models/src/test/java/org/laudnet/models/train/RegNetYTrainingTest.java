package org.laudnet.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.gate.ExponentialTemperatureTracker;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.latency.HardwareSpec;
import org.laudnet.core.latency.TiledRooflineModel;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.models.latency.MeasuredBlockLatency;
import org.laudnet.models.regnet.LaudRegNet;
import org.laudnet.models.regnet.RegNetYFamily;

/**
 * A small gated RegNetY (two stages of width 16 and 32, group width 8, squeeze-excitation) trains with
 * {@link LaudTrainer} on synthetic patterns under the MACs cost model and under latency cost models (predicted for a
 * GPU preset, and measured on this machine): the loss falls and the gates move.
 */
class RegNetYTrainingTest {

    private static final int SIZE = 16;
    private static final int COUNT = 96;
    private static final int BATCH = 16;
    private static final int STEPS = COUNT / BATCH;
    private static final int EPOCHS = 3;

    @BeforeEach
    void seedTheEngine() {
        Engine.getInstance().setRandomSeed(4321);
    }

    private static GatedBackbone regNet(GumbelTemperature tau) {
        return LaudRegNet.builder()
                .setStages(8, List.of(
                        new StageSpec(1, 16, 16, 2, GateSpec.spatial(2)),
                        new StageSpec(1, 32, 32, 2, GateSpec.both(2, 2))))
                .optStem(StemSpec.small(1, 16))
                .optInputSize(SIZE)
                .optNumClasses(4)
                .optTemperature(tau)
                .optSeed(5)
                .build();
    }

    private static GumbelTemperature tau() {
        return new GumbelTemperature(new ExponentialTemperatureTracker(5f, 0.5f, EPOCHS * STEPS));
    }

    /**
     * Trains a fresh network with the cost model the function builds for it, and checks the loss and the densities.
     *
     * @return the per-epoch statistics
     */
    private List<EpochStats> train(String name, Function<GatedNetwork, CostModel> costModel)
            throws IOException, TranslateException {
        GumbelTemperature t = tau();
        GatedBackbone net = regNet(t);
        assertTrue(net.getFamily() instanceof RegNetYFamily);
        LaudTrainer.Builder b = LaudTrainer.builder()
                .setNetwork(net)
                .optTemperature(t)
                .setLoss(new LossConfig(0f, 1f, 20f, 0.4f, 0f, EPOCHS))
                .setConfig(FineTuneConfig.adamW(EPOCHS, STEPS, 1e-2f).withMultipliers(1f, 5f));
        CostModel cost = costModel.apply(net);
        if (cost != null) {
            b.optCostModel(cost);
        }
        try (LaudTrainer tr = b.build()) {
            assertEquals(net, tr.getNetwork());
            List<EpochStats> stats = tr.fit(TinyNets.patternDataset(COUNT, SIZE, BATCH, 61),
                    TinyNets.patternDataset(16, SIZE, 16, 62));
            assertEquals(EPOCHS, stats.size());
            EpochStats first = stats.get(0);
            EpochStats last = stats.get(EPOCHS - 1);
            assertTrue(last.loss() < first.loss(), name + ": loss " + first.loss() + " -> " + last.loss());
            assertEquals(2, last.stages().size());
            double change = 0;
            for (int s = 0; s < 2; s++) {
                change = Math.max(change, Math.abs(last.stages().get(s).density() - first.stages().get(s).density()));
            }
            assertTrue(change > 0.02, name + ": a block's density must change, stages " + first.stages() + " -> "
                    + last.stages());
            assertTrue(Double.isFinite(last.valAccuracy()) && Double.isFinite(last.valMacsRatio()), name);
            assertEquals(0, tr.skippedUpdates(), name);
            return stats;
        }
    }

    @Test
    void trainsUnderTheMacsCostModel() throws IOException, TranslateException {
        List<EpochStats> stats = train("MACs", net -> null);
        assertTrue(stats.get(EPOCHS - 1).macsRatio() < stats.get(0).macsRatio(), "the MACs ratio falls: "
                + stats.get(0).macsRatio() + " -> " + stats.get(EPOCHS - 1).macsRatio());
    }

    @Test
    void trainsUnderAPredictedLatencyCostModel() throws IOException, TranslateException {
        TiledRooflineModel v100 = new TiledRooflineModel(HardwareSpec.V100);
        train("predicted latency", net -> {
            LatencyCostModel m = LatencyCostModel.of(net, v100, BATCH, 4);
            assertEquals(net.getBlocks().size(), m.numBlocks());
            assertTrue(m.fixedCost() > 0 && m.denseCost(0) > 0 && m.denseCost(1) > 0);
            return m;
        });
    }

    @Test
    void trainsUnderAMeasuredLatencyCostModel() throws IOException, TranslateException {
        MeasuredBlockLatency measured;
        // the tables depend on the architecture and gates only: measure a twin of the trained network
        try (NDManager m = NDManager.newBaseManager()) {
            GatedBackbone twin = regNet(tau());
            twin.initialize(m, DataType.FLOAT32, new Shape(1, 1, SIZE, SIZE));
            measured = MeasuredBlockLatency.measure(twin, BATCH, 2, 1, 9);
        }
        assertEquals(2, measured.blocks().size());
        assertEquals(3, measured.blocks().get(0).ms().length, "spatial block: 3 knots of d");
        assertEquals(1, measured.blocks().get(0).ms()[0].length, "spatial block: no channel knots");
        assertEquals(3, measured.blocks().get(1).ms()[0].length, "BOTH block: 3 knots of dc");
        assertTrue(measured.fixedMs() > 0);
        train("measured latency", net -> LatencyCostModel.of(measured));
    }
}
