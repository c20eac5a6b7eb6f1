package org.laudnet.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StatefulOptimizerTest {

    private NDManager m;
    private Linear block;
    private Parameter weight;
    private String name;

    @BeforeEach
    void open() {
        m = NDManager.newBaseManager();
        block = Linear.builder().setUnits(2).optBias(false).build();
        block.initialize(m, DataType.FLOAT32, new Shape(1, 3));
        Pair<String, Parameter> p = block.getParameters().get(0);
        name = p.getKey();
        weight = p.getValue();
        weight.getArray().set(new float[] {1f, -2f, 0.5f, 3f, 0f, -1f});
    }

    @AfterEach
    void close() {
        m.close();
    }

    private StatefulOptimizer.Builder builder(OptimizerKind kind) {
        return StatefulOptimizer.builder(kind).setBlock(block).setManager(m)
                .setLearningRateTracker(Tracker.fixed(0.1f));
    }

    private void step(StatefulOptimizer opt, float[] grad) {
        NDArray g = m.create(grad, new Shape(2, 3));
        opt.update(weight.getId(), weight.getArray(), g);
        assertArrayEquals(new float[6], g.toFloatArray(), "the consumed gradient is cleared");
        g.close();
    }

    private float[] w() {
        return weight.getArray().toFloatArray();
    }

    @Test
    void sgdWithMomentumAndWeightDecayMatchesHandComputation() {
        float[] w = w();
        float[] g1 = {0.5f, 0.1f, -1f, 2f, 0f, 0.3f};
        float[] g2 = {-0.2f, 0.4f, 1f, 0f, 1f, -0.3f};
        float lr = 0.1f;
        float mu = 0.9f;
        float wd = 0.01f;
        try (StatefulOptimizer opt = builder(OptimizerKind.SGD).optMomentum(mu).optWeightDecay(wd).build()) {
            float[] v = new float[6];
            for (float[] g : List.of(g1, g2)) {
                for (int i = 0; i < 6; i++) {
                    v[i] = mu * v[i] + g[i] + wd * w[i];
                    w[i] -= lr * v[i];
                }
                step(opt, g);
                assertArrayEquals(w, w(), 1e-6f);
            }
            assertEquals(2, opt.updates(name));
            OptimizerState st = opt.exportState();
            assertEquals("SGD", st.algorithm());
            assertArrayEquals(v, st.parameters().get(name).slots().get(0), 1e-6f);
            assertArrayEquals(new long[] {2, 3}, st.parameters().get(name).shape());
        }
    }

    @Test
    void adamWMatchesHandComputationWithBiasCorrection() {
        float[] w = w();
        float[][] grads = {{0.5f, 0.1f, -1f, 2f, 0f, 0.3f}, {-0.2f, 0.4f, 1f, 0f, 1f, -0.3f}, {1f, 1f, 1f, 1f, 1f, 1f}};
        float lr = 0.1f;
        float wd = 0.05f;
        double b1 = 0.9;
        double b2 = 0.999;
        double eps = 1e-8;
        try (StatefulOptimizer opt = builder(OptimizerKind.ADAMW).optWeightDecay(wd).build()) {
            double[] mm = new double[6];
            double[] vv = new double[6];
            for (int t = 1; t <= grads.length; t++) {
                float[] g = grads[t - 1];
                for (int i = 0; i < 6; i++) {
                    mm[i] = b1 * mm[i] + (1 - b1) * g[i];
                    vv[i] = b2 * vv[i] + (1 - b2) * g[i] * g[i];
                    double mh = mm[i] / (1 - Math.pow(b1, t));
                    double vh = vv[i] / (1 - Math.pow(b2, t));
                    w[i] = (float) (w[i] * (1 - lr * wd) - lr * mh / (Math.sqrt(vh) + eps));
                }
                step(opt, g);
                assertArrayEquals(w, w(), 1e-5f);
            }
            OptimizerState st = opt.exportState();
            assertEquals(2, st.parameters().get(name).slots().size());
            assertEquals(3, st.parameters().get(name).updates());
        }
    }

    @Test
    void importedStateContinuesExactlyAsTheOriginal() throws IOException {
        float[] g1 = {0.5f, 0.1f, -1f, 2f, 0f, 0.3f};
        float[] g2 = {-0.2f, 0.4f, 1f, 0f, 1f, -0.3f};
        float[] start = w();
        OptimizerState saved;
        float[] afterOne;
        float[] afterTwo;
        try (StatefulOptimizer a = builder(OptimizerKind.ADAMW).optWeightDecay(0.01f).build()) {
            step(a, g1);
            saved = a.exportState();
            afterOne = w();
            step(a, g2);
            afterTwo = w();
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            saved.write(out);
        }
        OptimizerState read = OptimizerState.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(saved.parameters().keySet(), read.parameters().keySet());

        weight.getArray().set(afterOne);
        try (StatefulOptimizer b = builder(OptimizerKind.ADAMW).optWeightDecay(0.01f).build()) {
            b.importState(read);
            assertEquals(1, b.updates(name));
            step(b, g2);
            assertArrayEquals(afterTwo, w(), 1e-7f);
        }
        // a fresh optimizer (zero moments, t = 1) takes a different step: the state matters
        weight.getArray().set(afterOne);
        try (StatefulOptimizer c = builder(OptimizerKind.ADAMW).optWeightDecay(0.01f).build()) {
            step(c, g2);
            assertTrue(maxDiff(afterTwo, w()) > 1e-4, "fresh optimizer should differ");
        }
        assertTrue(maxDiff(start, afterOne) > 0);
    }

    @Test
    void importRejectsForeignStateNamingTheProblem() {
        try (StatefulOptimizer opt = builder(OptimizerKind.SGD).build()) {
            OptimizerState adam = new OptimizerState("ADAMW", Map.of());
            IllegalArgumentException kind = assertThrows(IllegalArgumentException.class, () -> opt.importState(adam));
            assertTrue(kind.getMessage().contains("ADAMW") && kind.getMessage().contains("SGD"), kind.getMessage());

            OptimizerState unknown = new OptimizerState("SGD", Map.of("nope_weight",
                    new OptimizerState.ParameterSlots(1, new long[] {1}, List.of(new float[1]))));
            IllegalArgumentException n = assertThrows(IllegalArgumentException.class, () -> opt.importState(unknown));
            assertTrue(n.getMessage().contains("nope_weight"), n.getMessage());

            OptimizerState shape = new OptimizerState("SGD", Map.of(name,
                    new OptimizerState.ParameterSlots(1, new long[] {3, 2}, List.of(new float[6]))));
            IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> opt.importState(shape));
            assertTrue(s.getMessage().contains(name) && s.getMessage().contains("[3, 2]"), s.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> builder(OptimizerKind.SGD).optMomentum(1f).build());
        assertThrows(IllegalArgumentException.class, () -> builder(OptimizerKind.ADAMW).optBetas(0.9f, 1f).build());
        assertThrows(IllegalArgumentException.class, () -> StatefulOptimizer.builder(OptimizerKind.SGD).build());
    }

    @Test
    void truncatedOrImpossibleStateStreamsFail() throws IOException {
        OptimizerState st = new OptimizerState("SGD", Map.of(name,
                new OptimizerState.ParameterSlots(4, new long[] {2, 3}, List.of(new float[6]))));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            st.write(out);
        }
        byte[] all = bytes.toByteArray();
        assertThrows(EOFException.class, () -> OptimizerState.read(
                new DataInputStream(new ByteArrayInputStream(Arrays.copyOf(all, all.length - 3)))));
        assertThrows(IllegalArgumentException.class, () -> new OptimizerState.ParameterSlots(1, new long[] {2, 3},
                List.of(new float[5])));
        // a dimension that declares more slot values than the bytes that remain is refused before allocating
        byte[] huge = all.clone();
        int dims = 2 + "SGD".length() + 4 + 2 + name.length() + 4 + 4;
        java.nio.ByteBuffer.wrap(huge).putLong(dims, 1L << 29);
        IOException e = assertThrows(IOException.class, () -> OptimizerState.read(
                new DataInputStream(new ByteArrayInputStream(huge)), huge.length));
        assertTrue(e.getMessage().contains("1 slots of shape [536870912, 3] need 6442450944 bytes, only 24 remain"),
                e.getMessage());
        assertEquals(st.parameters().keySet(), OptimizerState.read(new DataInputStream(new ByteArrayInputStream(all)),
                all.length).parameters().keySet());
    }

    private static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
