package org.laudnet.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.gate.ExponentialTemperatureTracker;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.models.data.IdxDataset;

class LaudTrainerTest {

    @BeforeEach
    void seedTheEngine() {
        Engine.getInstance().setRandomSeed(1234);
    }

    private static final int SIZE = 16;
    private static final int COUNT = 128;
    private static final int BATCH = 16;
    private static final int STEPS = COUNT / BATCH;

    @TempDir
    Path dir;

    private static LaudTrainer trainer(GumbelTemperature tau, int epochs, LossConfig loss, Path ckpt) {
        GatedBackbone net = TinyNets.twoStage(tau, SIZE, 4);
        return LaudTrainer.builder()
                .setNetwork(net)
                .optTemperature(tau)
                .setLoss(loss)
                .setConfig(FineTuneConfig.adamW(epochs, STEPS, 1e-2f).withMultipliers(1f, 5f))
                .optCheckpointFile(ckpt)
                .build();
    }

    private static GumbelTemperature tau(int epochs) {
        return new GumbelTemperature(new ExponentialTemperatureTracker(5f, 0.5f, epochs * STEPS));
    }

    @Test
    void lossFallsAndAccuracyRisesOnSyntheticPatterns() throws IOException, TranslateException {
        int epochs = 4;
        IdxDataset train = TinyNets.patternDataset(COUNT, SIZE, BATCH, 11);
        IdxDataset val = TinyNets.patternDataset(64, SIZE, 32, 12);
        GumbelTemperature t = tau(epochs);
        try (LaudTrainer tr = trainer(t, epochs, new LossConfig(0f, 1f, 0.1f, 0.8f, 0f, epochs), null)) {
            List<EpochStats> stats = tr.fit(train, val);
            assertEquals(epochs, stats.size());
            EpochStats first = stats.get(0);
            EpochStats last = stats.get(epochs - 1);
            assertTrue(last.loss() < first.loss(), "loss " + first.loss() + " -> " + last.loss());
            assertTrue(last.valAccuracy() > 0.6, "validation accuracy " + last.valAccuracy());
            assertEquals(COUNT, last.images());
            assertEquals(epochs * STEPS, last.updates());
            assertEquals(epochs * STEPS, tr.getProgress().update());
            assertEquals(epochs, tr.getProgress().epoch());
            assertEquals(t.value(), (float) last.temperature(), 1e-6);
            assertEquals(0.5f, t.value(), 1e-5);
            assertTrue(last.imagesPerSecond() > 0);
            assertEquals(first.loss(), first.ce() + 0.1 * first.cost(), 1e-4);
        }
    }

    @Test
    void largeLambdaMovesTheCostTowardTheTarget() throws IOException, TranslateException {
        int epochs = 4;
        float target = 0.4f;
        IdxDataset train = TinyNets.patternDataset(COUNT, SIZE, BATCH, 21);
        try (LaudTrainer tr = trainer(tau(epochs), epochs, new LossConfig(0f, 1f, 30f, target, 0f, epochs), null)) {
            List<EpochStats> stats = tr.fit(train, null);
            double r0 = stats.get(0).macsRatio();
            double r1 = stats.get(epochs - 1).macsRatio();
            assertTrue(Math.abs(r1 - target) < Math.abs(r0 - target) - 0.1,
                    "MACs ratio should approach " + target + ": " + r0 + " -> " + r1);
            assertTrue(stats.get(epochs - 1).density() < stats.get(0).density(),
                    "density " + stats.get(0).density() + " -> " + stats.get(epochs - 1).density());
            assertTrue(Double.isNaN(stats.get(0).valAccuracy()));
        }
    }

    @Test
    void checkpointsEveryEpochAndResumes() throws IOException, TranslateException {
        int epochs = 3;
        Path ckpt = dir.resolve("run.ckpt");
        LossConfig loss = new LossConfig(0f, 1f, 1f, 0.6f, 0f, epochs);
        float[] trained;
        try (LaudTrainer tr = trainer(tau(epochs), epochs, loss, ckpt)) {
            tr.fit(TinyNets.patternDataset(COUNT, SIZE, BATCH, 31), null);
            trained = tr.getNetwork().getParameters().get(0).getValue().getArray().toFloatArray();
            assertEquals(epochs, Checkpoint.read(ckpt).state().epoch());
            assertEquals(epochs - 1, Checkpoint.read(Checkpoint.sibling(ckpt, ".prev")).state().epoch());
        }
        GumbelTemperature t = tau(epochs);
        try (LaudTrainer tr = trainer(t, epochs, loss, dir.resolve("resumed.ckpt"))) {
            CheckpointState s = tr.resume(ckpt);
            assertEquals(new CheckpointState(epochs, epochs * STEPS, s.temperature()), s);
            assertEquals(t.value(), s.temperature(), 1e-6);
            assertEquals(epochs * STEPS, t.getUpdate());
            assertArrayEquals(trained, tr.getNetwork().getParameters().get(0).getValue().getArray().toFloatArray());
            assertTrue(tr.fit(TinyNets.patternDataset(COUNT, SIZE, BATCH, 31), null).isEmpty());

            CheckpointState prev = tr.resume(Checkpoint.sibling(ckpt, ".prev"));
            assertEquals(epochs - 1, prev.epoch());
            List<EpochStats> more = tr.fit(TinyNets.patternDataset(COUNT, SIZE, BATCH, 31), null);
            assertEquals(1, more.size());
            assertEquals(epochs - 1, more.get(0).epoch());
            assertEquals(epochs * STEPS, more.get(0).updates());
            assertTrue(Files.exists(dir.resolve("resumed.ckpt")));
        }
    }

    @Test
    void resumedRunContinuesExactlyLikeTheUninterruptedOne() throws IOException, TranslateException {
        int epochs = 2;
        LossConfig loss = new LossConfig(0f, 1f, 1f, 0.6f, 0f, epochs);
        Path ckpt = dir.resolve("full.ckpt");
        List<float[]> straight;
        EpochStats straightLast;
        try (LaudTrainer tr = trainer(tau(epochs), epochs, loss, ckpt)) {
            straightLast = tr.fit(TinyNets.patternDataset(COUNT, SIZE, BATCH, 51), null).get(epochs - 1);
            straight = parameters(tr.getNetwork());
        }
        Path afterFirst = Checkpoint.sibling(ckpt, ".prev");
        assertEquals(1, Checkpoint.read(afterFirst).state().epoch());
        assertTrue(Checkpoint.read(afterFirst).optimizer().isPresent());
        try (LaudTrainer tr = trainer(tau(epochs), epochs, loss, dir.resolve("again.ckpt"))) {
            tr.resume(afterFirst);
            EpochStats resumed = tr.fit(TinyNets.patternDataset(COUNT, SIZE, BATCH, 51), null).get(0);
            assertEquals(straightLast.loss(), resumed.loss(), 1e-5);
            assertEquals(straightLast.macsRatio(), resumed.macsRatio(), 1e-6);
            List<float[]> again = parameters(tr.getNetwork());
            assertEquals(straight.size(), again.size());
            for (int i = 0; i < straight.size(); i++) {
                assertArrayEquals(straight.get(i), again.get(i), 1e-5f, "parameter " + i);
            }
            assertEquals(2, straightLast.stages().size());
            for (StageStats st : straightLast.stages()) {
                assertTrue(st.density() >= 0 && st.density() <= 1, "density " + st);
                assertTrue(st.macsRatio() > 0 && st.macsRatio() <= 1.0 + 1e-6, "MACs ratio " + st);
            }
        }
    }

    @Test
    void resumeRejectsAnotherOptimizersState() throws IOException, TranslateException {
        LossConfig loss = new LossConfig(0f, 1f, 1f, 0.6f, 0f, 1);
        Path ckpt = dir.resolve("adam.ckpt");
        try (LaudTrainer tr = trainer(tau(1), 1, loss, ckpt)) {
            tr.fit(TinyNets.patternDataset(COUNT, SIZE, BATCH, 61), null);
        }
        GumbelTemperature t = tau(1);
        try (LaudTrainer sgd = LaudTrainer.builder()
                .setNetwork(TinyNets.twoStage(t, SIZE, 4))
                .optTemperature(t)
                .setLoss(loss)
                .setConfig(FineTuneConfig.sgd(1, STEPS, 0.05f))
                .build()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> sgd.resume(ckpt));
            assertTrue(e.getMessage().contains("ADAMW") && e.getMessage().contains("SGD"), e.getMessage());
        }
    }

    private static List<float[]> parameters(GatedNetwork net) {
        return net.getParameters().stream().map(p -> p.getValue().getArray().toFloatArray()).toList();
    }

    @Test
    void teacherLabelsNeedATeacher() {
        GatedBackbone net = TinyNets.twoStage(GumbelTemperature.constant(1f), SIZE, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LaudTrainer.builder()
                .setNetwork(net)
                .setLoss(LossConfig.paper(0.5f, 1))
                .setConfig(FineTuneConfig.sgd(1, 10, 0.1f))
                .optTeacherLabels(true)
                .build());
        assertTrue(e.getMessage().contains("teacher"), e.getMessage());
    }

    @Test
    void distillsFromATeacher() throws IOException, TranslateException {
        int epochs = 1;
        GumbelTemperature t = tau(epochs);
        GatedBackbone teacher = TinyNets.twoStage(GumbelTemperature.constant(1f), SIZE, 4);
        try (LaudTrainer tr = LaudTrainer.builder()
                .setNetwork(TinyNets.twoStage(t, SIZE, 4))
                .optTemperature(t)
                .setLoss(new LossConfig(0.5f, 4f, 1f, 0.5f, 0f, epochs))
                .setConfig(FineTuneConfig.sgd(epochs, STEPS, 0.05f))
                .optTeacher(teacher)
                .build()) {
            teacher.initialize(tr.getModel().getNDManager(), ai.djl.ndarray.types.DataType.FLOAT32,
                    new ai.djl.ndarray.types.Shape(1, 1, SIZE, SIZE));
            EpochStats s = tr.fit(TinyNets.patternDataset(COUNT, SIZE, BATCH, 41), null).get(0);
            assertTrue(s.kd() > 0, "kd " + s.kd());
            // the reference's weighting: CE at weight 1 plus a T^2 KD
            assertEquals(s.ce() + 0.5 * 16 * s.kd() + s.cost(), s.loss(), 1e-3 * Math.abs(s.loss()));
        }
    }

    @Test
    void builderRejectsMismatchedEpochs() {
        GatedBackbone net = TinyNets.twoStage(GumbelTemperature.constant(1f), SIZE, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LaudTrainer.builder()
                .setNetwork(net)
                .setLoss(LossConfig.paper(0.5f, 3))
                .setConfig(FineTuneConfig.sgd(4, 10, 0.1f))
                .build());
        assertTrue(e.getMessage().contains("totalEpochs"), e.getMessage());
    }
}
