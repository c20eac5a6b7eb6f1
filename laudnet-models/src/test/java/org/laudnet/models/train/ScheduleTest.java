package org.laudnet.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.nn.Parameter;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import org.junit.jupiter.api.Test;
import org.laudnet.core.gate.ExponentialTemperatureTracker;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.net.GatedBackbone;

class ScheduleTest {

    @Test
    void progressDrivesTheTemperatureAndTheEpoch() {
        GumbelTemperature tau = new GumbelTemperature(new ExponentialTemperatureTracker(5f, 0.1f, 10));
        TrainingProgress p = new TrainingProgress(tau);
        assertEquals(5f, tau.value(), 1e-6);
        for (int i = 0; i < 5; i++) {
            p.onTrainingBatch(null, null);
        }
        assertEquals(5, p.update());
        assertEquals(5, tau.getUpdate());
        assertEquals(5 * Math.pow(0.02, 0.5), tau.value(), 1e-5);
        p.onEpoch(null);
        assertEquals(1, p.epoch());
        p.restore(3, 10);
        assertEquals(0.1f, tau.value(), 1e-6);
        assertEquals(3, p.epoch());
        assertThrows(IllegalArgumentException.class, () -> p.restore(-1, 0));
    }

    @Test
    void lossReadsTheEpochFromTheProgress() {
        TrainingProgress p = new TrainingProgress(null);
        GatedBackbone net = TinyNets.twoStage(GumbelTemperature.constant(1f), 16, 4);
        LaudLoss loss = LaudLoss.forNetwork(net, LossConfig.paper(0.5f, 10), p);
        assertEquals(0.5, loss.currentBounds().upper(), 1e-12);
        for (int e = 0; e < 4; e++) {
            p.onEpoch(null);
        }
        assertEquals(1, loss.currentBounds().upper(), 1e-12);
    }

    @Test
    void gateParametersGetTheirOwnMultiplier() {
        GatedBackbone net = TinyNets.twoStage(GumbelTemperature.constant(1f), 16, 4);
        GroupLearningRateTracker lr = new GroupLearningRateTracker(net, Tracker.fixed(0.1f), 0.5f, 2f);
        int gates = 0;
        int backbone = 0;
        for (Pair<String, Parameter> p : net.getParameters()) {
            float v = lr.getNewValue(p.getValue().getId(), 7);
            if (p.getKey().contains("gate")) {
                assertEquals(0.2f, v, 1e-7, p.getKey());
                assertTrue(lr.isGateParameter(p.getValue().getId()));
                gates++;
            } else {
                assertEquals(0.05f, v, 1e-7, p.getKey());
                assertFalse(lr.isGateParameter(p.getValue().getId()));
                backbone++;
            }
        }
        assertTrue(gates >= 2, "gate parameters: " + gates);
        assertTrue(backbone > gates, "backbone parameters: " + backbone);
        assertEquals(0.2f, lr.getNewValue("stage1_block0_spatial_gate_weight", 0), 1e-7);
        assertThrows(IllegalArgumentException.class, () -> new GroupLearningRateTracker(net, Tracker.fixed(1f), -1f, 1f));
    }
}
