package org.laudnet.models.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.gate.ExponentialTemperatureTracker;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.core.testing.RealAssets;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.train.EpochStats;
import org.laudnet.models.train.FineTuneConfig;
import org.laudnet.models.train.LaudTrainer;
import org.laudnet.models.train.LossConfig;
import org.laudnet.models.weights.AssetCache;

/** Uses the real Fashion-MNIST files of the asset cache ({@code scripts/fetch-assets fashion-mnist}). */
class FashionMnistRealDataTest {

    @BeforeEach
    void seedTheEngine() {
        Engine.getInstance().setRandomSeed(1234);
    }

    private static Path dir() {
        return AssetCache.defaultCache().fashionMnistDir();
    }

    private static void requireFiles(String... names) {
        RealAssets.require(Arrays.stream(names).map(dir()::resolve).toArray(Path[]::new));
    }

    @Test
    void testSplitHasTenThousandImagesOfTenBalancedClasses() throws IOException {
        requireFiles(IdxDataset.TEST_IMAGES, IdxDataset.TEST_LABELS);
        IdxDataset ds = IdxDataset.builder().setDirectory(dir(), false)
                .optNormalization(Normalization.fashionMnist()).setSampling(100, false).build();
        assertEquals(10_000, ds.size());
        assertEquals(28, ds.getImages().rows());
        assertEquals(28, ds.getImages().cols());
        int[] counts = new int[10];
        for (int i = 0; i < 10_000; i++) {
            int l = ds.label(i);
            assertTrue(l >= 0 && l < 10, "label " + l + " at " + i);
            counts[l]++;
        }
        for (int c = 0; c < 10; c++) {
            assertEquals(1000, counts[c], "class " + c);
        }
        long sum = 0;
        for (byte b : ds.getImages().pixels()) {
            sum += b & 0xFF;
        }
        double mean = sum / (255.0 * ds.getImages().pixels().length);
        assertEquals(0.286, mean, 0.01);
    }

    @Test
    void shortTrainingRunLearnsWellAboveChance() throws IOException, TranslateException {
        requireFiles(IdxDataset.TRAIN_IMAGES, IdxDataset.TRAIN_LABELS, IdxDataset.TEST_IMAGES, IdxDataset.TEST_LABELS);
        int batch = 32;
        int count = 1024;
        int epochs = 2;
        IdxDataset train = IdxDataset.builder().setDirectory(dir(), true).optLimit(count)
                .optNormalization(Normalization.fashionMnist()).optShuffle(batch, 5).build();
        IdxDataset test = IdxDataset.builder().setDirectory(dir(), false).optLimit(500)
                .optNormalization(Normalization.fashionMnist()).setSampling(250, false).build();
        int steps = count / batch;
        GumbelTemperature tau = new GumbelTemperature(new ExponentialTemperatureTracker(5f, 1f, epochs * steps));
        GatedBackbone net = LaudResNet.builder()
                .setStages(BlockType.BASIC, List.of(
                        new StageSpec(1, 8, 8, 1, GateSpec.none()), new StageSpec(1, 16, 16, 2, GateSpec.none())))
                .optStageGates(GateSpec.spatial(2), GateSpec.spatial(2))
                .optStem(StemSpec.small(1, 8))
                .optInputSize(28)
                .optNumClasses(10)
                .optTemperature(tau)
                .build();
        try (LaudTrainer tr = LaudTrainer.builder().setNetwork(net).optTemperature(tau)
                .setLoss(new LossConfig(0f, 1f, 0.1f, 0.8f, 0f, epochs))
                .setConfig(FineTuneConfig.adamW(epochs, steps, 1e-2f))
                .build()) {
            List<EpochStats> stats = tr.fit(train, test);
            assertEquals(epochs, stats.size());
            assertEquals(count, stats.get(0).images());
            assertTrue(stats.get(1).loss() < stats.get(0).loss(), stats.toString());
            assertTrue(stats.get(1).valAccuracy() > 0.3, "test accuracy " + stats.get(1).valAccuracy());
        }
    }
}
