package org.laudnet.core.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ScalarOpsTest {

    private NDManager m;

    @BeforeEach
    void setUp() {
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    /**
     * Between the forward and the backward pass: a garbage collection, then many small direct buffers filled with
     * NaN, so that freed direct memory is reused and poisoned. A constant whose memory was released would now read
     * NaN (or other garbage) in the backward pass.
     */
    private static List<ByteBuffer> poisonFreedDirectMemory() throws InterruptedException {
        System.gc();
        Thread.sleep(10);
        List<ByteBuffer> junk = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            b.putFloat(0, Float.NaN);
            junk.add(b);
        }
        return junk;
    }

    private float[] gradientUnderMemoryPressure(UnaryOperator<NDArray> f, float[] input) throws Exception {
        try (NDManager step = m.newSubManager()) {
            NDArray x = step.create(input);
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = f.apply(x).sum();
                List<ByteBuffer> junk = poisonFreedDirectMemory();
                gc.backward(y);
                assertEquals(2000, junk.size());
            }
            return x.getGradient().toFloatArray();
        }
    }

    @Test
    void gradientsOfConstantArithmeticSurviveGarbageCollectionBeforeBackward() throws Exception {
        float[] in = {1f, -2f, 3f};
        for (int trial = 0; trial < 10; trial++) {
            assertArrayEquals(new float[] {3f, 3f, 3f},
                    gradientUnderMemoryPressure(x -> ScalarOps.mul(x, 3), in), 0f, "d(3x)/dx, trial " + trial);
            assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f},
                    gradientUnderMemoryPressure(x -> ScalarOps.div(x, 4), in), 0f, "d(x/4)/dx, trial " + trial);
            assertArrayEquals(new float[] {1f, 0f, 1f},
                    gradientUnderMemoryPressure(x -> ScalarOps.maximum(x, 0), in), 0f,
                    "d max(x, 0)/dx, trial " + trial);
        }
    }

    @Test
    void valuesShapesAndTypes() {
        NDArray x = m.create(new float[] {1f, -2f, 3f, 4f}, new Shape(2, 2));
        assertArrayEquals(new float[] {2.5f, -5f, 7.5f, 10f}, ScalarOps.mul(x, 2.5).toFloatArray(), 0f);
        assertArrayEquals(new float[] {0.5f, -1f, 1.5f, 2f}, ScalarOps.div(x, 2).toFloatArray(), 0f);
        assertArrayEquals(new float[] {1f, 0f, 3f, 4f}, ScalarOps.maximum(x, 0).toFloatArray(), 0f);
        assertEquals(new Shape(2, 2), ScalarOps.mul(x, 2).getShape());
        NDArray d = m.create(new double[] {1.5, 2.5});
        NDArray c = ScalarOps.constant(d, 0.1);
        assertEquals(DataType.FLOAT64, c.getDataType());
        assertEquals(new Shape(), c.getShape());
        assertEquals(0.15000000000000002, ScalarOps.mul(d, 0.1).toDoubleArray()[0], 1e-15);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ScalarOps.div(x, 0));
        assertEquals("divisor must be finite and non-zero, got 0.0", e.getMessage());
    }
}
