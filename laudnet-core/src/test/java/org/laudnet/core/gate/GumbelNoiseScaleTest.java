package org.laudnet.core.gate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.tracker.Tracker;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GumbelNoiseScaleTest {

    @Test
    void zeroNoiseGivesTheEvalRuleAndFullNoiseTheGumbelDecision() {
        try (NDManager m = NDManager.newBaseManager()) {
            // keep - skip margins: +0.3, -0.2, +0.1, -2 (small margins that noise can flip)
            NDArray logits = m.create(new float[] {0.3f, -0.2f, 0.1f, -2f, 0f, 0f, 0f, 0f}, new Shape(1, 2, 4));
            // noise that pushes every skip logit far up: g = -log(-log u), u close to 1 for skip
            NDArray u = m.create(new float[] {0.5f, 0.5f, 0.5f, 0.5f, 0.999f, 0.999f, 0.999f, 0.999f},
                    new Shape(1, 2, 4));
            float[] eval = GumbelSoftmax.evalKeep(logits).toFloatArray();
            assertArrayEquals(new float[] {1f, 0f, 1f, 0f}, eval);
            assertArrayEquals(eval, GumbelSoftmax.hardKeep(logits, 0.5f, 0f, u).toFloatArray());
            assertArrayEquals(new float[] {0f, 0f, 0f, 0f}, GumbelSoftmax.hardKeep(logits, 0.5f, 1f, u).toFloatArray());
            assertArrayEquals(GumbelSoftmax.hardKeep(logits, 0.5f, u).toFloatArray(),
                    GumbelSoftmax.hardKeep(logits, 0.5f, 1f, u).toFloatArray());
            assertThrows(IllegalArgumentException.class, () -> GumbelSoftmax.hardKeep(logits, 0.5f, 1.5f, u));
            NDArray random = GumbelSoftmax.sampleUniform(m, logits.getShape(), new Random(1));
            assertArrayEquals(eval, GumbelSoftmax.hardKeep(logits, 2f, 0f, random).toFloatArray());
        }
    }

    @Test
    void noiseScaleFollowsItsScheduleAndDefaultsToOne() {
        GumbelTemperature plain = GumbelTemperature.constant(1f);
        assertEquals(1f, plain.noiseScale());
        GumbelTemperature annealed = plain.withNoiseSchedule(n -> Math.max(0f, 1f - n / 10f));
        annealed.setUpdate(5);
        assertEquals(0.5f, annealed.noiseScale(), 1e-6f);
        annealed.setUpdate(20);
        assertEquals(0f, annealed.noiseScale());
        assertEquals(1f, annealed.value());
        GumbelTemperature bad = plain.withNoiseSchedule(Tracker.fixed(2f));
        assertThrows(IllegalStateException.class, bad::noiseScale);
        assertThrows(IllegalArgumentException.class, () -> plain.withNoiseSchedule(null));
    }
}
