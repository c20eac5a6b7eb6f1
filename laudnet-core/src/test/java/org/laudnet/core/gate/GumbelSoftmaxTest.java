package org.laudnet.core.gate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GumbelSoftmaxTest {

    @Test
    void straightThroughGradientMatchesNumericalDerivativeOfSoftKeep() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] l = {0.3f, -0.2f, 1.5f, 0.7f, -1.0f, 0.4f};
            Shape shape = new Shape(3, 2); // (B = 3, keep/skip)
            NDArray uniform = GumbelSoftmax.sampleUniform(m, shape, new Random(7));
            float[] u = uniform.toFloatArray();
            float tau = 0.8f;
            NDArray logits = m.create(l, shape);
            logits.setRequiresGradient(true);
            float[] hard;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray keep = GumbelSoftmax.hardKeep(logits, tau, uniform);
                hard = keep.toFloatArray();
                // weight each sample differently so every gradient entry is distinct
                gc.backward(keep.mul(m.create(new float[] {1f, 2f, 3f})).sum());
            }
            float[] grad = logits.getGradient().toFloatArray();
            double h = 1e-3;
            for (int b = 0; b < 3; b++) {
                double weight = b + 1;
                for (int k = 0; k < 2; k++) {
                    double[] lp = {l[2 * b], l[2 * b + 1]};
                    double[] lm = {l[2 * b], l[2 * b + 1]};
                    lp[k] += h;
                    lm[k] -= h;
                    double numeric = weight * (softKeep(lp, u, b, tau) - softKeep(lm, u, b, tau)) / (2 * h);
                    assertEquals(numeric, grad[2 * b + k], 1e-3, "gradient of sample " + b + " logit " + k);
                }
                assertTrue(hard[b] == 0f || hard[b] == 1f, "hard value " + hard[b]);
                double g0 = -Math.log(-Math.log(u[2 * b]));
                double g1 = -Math.log(-Math.log(u[2 * b + 1]));
                assertEquals(l[2 * b] + g0 >= l[2 * b + 1] + g1 ? 1f : 0f, hard[b], "hard decision of sample " + b);
            }
        }
    }

    private static double softKeep(double[] logits, float[] u, int b, float tau) {
        double a = (logits[0] - Math.log(-Math.log(u[2 * b]))) / tau;
        double c = (logits[1] - Math.log(-Math.log(u[2 * b + 1]))) / tau;
        return 1 / (1 + Math.exp(c - a));
    }

    @Test
    void evalRuleKeepsWhereKeepLogitIsAtLeastSkipLogit() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {1f, 0f, -1f, 0f, 2f, 2f}, new Shape(3, 2));
            assertArrayEquals(new float[] {1f, 0f, 1f}, GumbelSoftmax.evalKeep(logits).toFloatArray());
        }
    }

    @Test
    void nanLogitsAreRejectedWithTheirName() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(new float[] {Float.NaN, 0f}, new Shape(1, 2));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> GumbelSoftmax.evalKeep(logits));
            assertTrue(e.getMessage().contains("logits") && e.getMessage().contains("NaN"), e.getMessage());
        }
    }

    @Test
    void logitsWithoutKeepSkipAxisAreRejected() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.zeros(new Shape(2, 3));
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> GumbelSoftmax.evalKeep(logits));
            assertTrue(e.getMessage().contains("(2, 3)"), e.getMessage());
            NDArray ok = m.zeros(new Shape(2, 2));
            IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                    () -> GumbelSoftmax.hardKeep(ok, 0f, m.ones(new Shape(2, 2)).mul(0.5f)));
            assertTrue(t.getMessage().contains("tau"), t.getMessage());
        }
    }

    @Test
    void exponentialScheduleFollowsTheFormula() {
        ExponentialTemperatureTracker t = ExponentialTemperatureTracker.paperDefault(100);
        assertEquals(5f, t.getNewValue(0), 1e-6);
        assertEquals(5 * Math.pow(0.1 / 5, 0.5), t.getNewValue(50), 1e-5);
        assertEquals(0.1f, t.getNewValue(100), 1e-6);
        assertEquals(0.1f, t.getNewValue(250), 1e-6);
        GumbelTemperature temperature = new GumbelTemperature(t);
        temperature.setUpdate(25);
        assertEquals(5 * Math.pow(0.1 / 5, 0.25), temperature.value(), 1e-5);
        assertThrows(IllegalArgumentException.class, () -> new ExponentialTemperatureTracker(0f, 1f, 10));
        assertThrows(IllegalArgumentException.class, () -> temperature.setUpdate(-1));
    }
}
