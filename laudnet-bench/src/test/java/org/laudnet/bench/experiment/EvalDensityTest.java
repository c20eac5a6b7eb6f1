package org.laudnet.bench.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.models.data.IdxDataset;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.train.EpochStats;
import org.laudnet.models.train.FineTuneConfig;
import org.laudnet.models.train.LaudTrainer;
import org.laudnet.models.train.LossConfig;

/**
 * After training toward {@code t = 0.5} with the annealed gate noise of {@link GateSchedules}, the eval-mode MACs
 * ratio (deterministic {@code keep >= skip} gates, running BatchNorm statistics) matches the training ratio.
 */
class EvalDensityTest {

    @TempDir
    Path dir;

    @Test
    void evalRatioFollowsTheTrainingRatio() throws Exception {
        Engine.getInstance().setRandomSeed(1234);
        int epochs = 4;
        int batch = 32;
        Path data = SyntheticIdx.write(dir, 384, 64, 9);
        IdxDataset train = FashionMnistExperiment.subset(data, true, 384, batch, true);
        int steps = 384 / batch;
        GumbelTemperature tau = GateSchedules.annealed(epochs * steps);
        GatedBackbone net = LaudResNet.builder()
                .setStages(BlockType.BASIC, List.of(
                        new StageSpec(1, 8, 8, 1, GateSpec.none()), new StageSpec(1, 16, 16, 2, GateSpec.none())))
                .optStageGates(GateSpec.spatial(4), GateSpec.spatial(2))
                .optStem(StemSpec.small(1, 8))
                .optInputSize(28)
                .optNumClasses(10)
                .optTemperature(tau)
                .optSeed(3)
                .build();
        try (LaudTrainer tr = LaudTrainer.builder()
                .setNetwork(net)
                .optTemperature(tau)
                .setLoss(new LossConfig(0f, 1f, 10f, 0.5f, 0f, epochs))
                .setConfig(FineTuneConfig.adamW(epochs, steps, 3e-3f).withMultipliers(1f, 10f))
                .build()) {
            List<EpochStats> stats = tr.fit(train, null);
            double trainRatio = stats.get(epochs - 1).macsRatio();
            double evalRatio = tr.evaluate(train).macsRatio();
            assertEquals(0.0f, tau.noiseScale(), 0f);
            assertTrue(stats.get(0).macsRatio() > trainRatio, "training ratio should fall: " + stats);
            assertEquals(0.5, trainRatio, 0.15, "training ratio " + trainRatio);
            assertEquals(trainRatio, evalRatio, 0.05, "eval ratio " + evalRatio + " vs training " + trainRatio);
        }
    }
}
