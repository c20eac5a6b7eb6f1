package org.laudnet.core.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ArrayWritesTest {

    private NDManager m;

    @BeforeEach
    void setUp() {
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    @Test
    void writeFillsTheTargetInRowMajorOrder() {
        NDArray target = m.zeros(new Shape(2, 3));
        ArrayWrites.write(target, new float[] {1, 2, 3, 4, 5, 6});
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, target.toFloatArray());
        assertEquals(5f, target.getFloat(1, 1));
    }

    @Test
    void copyLeavesTheTargetIndependentOfTheSource() {
        NDArray source = m.create(new float[] {0.5f, -1.5f, 2.5f, 7f}, new Shape(2, 2));
        NDArray target = m.zeros(new Shape(2, 2));
        ArrayWrites.copy(source, target);
        assertArrayEquals(new float[] {0.5f, -1.5f, 2.5f, 7f}, target.toFloatArray());
        source.muli(0);
        assertArrayEquals(new float[] {0.5f, -1.5f, 2.5f, 7f}, target.toFloatArray());
    }

    @Test
    void copyConvertsTheDataType() {
        NDArray source = m.create(new double[] {1.25, -2}, new Shape(2));
        NDArray target = m.zeros(new Shape(2), DataType.FLOAT32);
        ArrayWrites.copy(source, target);
        assertEquals(DataType.FLOAT32, target.getDataType());
        assertArrayEquals(new float[] {1.25f, -2f}, target.toFloatArray());
    }

    @Test
    void aParameterKeepsItsGradientFlagAndTrainsAfterTheWrite() {
        NDArray w = m.zeros(new Shape(3));
        w.setRequiresGradient(true);
        // gradient recording on: an untracked in-place write into a leaf that requires a gradient would be refused
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            ArrayWrites.write(w, new float[] {1, 2, 3});
            ArrayWrites.copy(m.create(new float[] {4, 5, 6}), w);
            assertTrue(w.hasGradient());
            NDArray loss = w.mul(w).sum();
            gc.backward(loss);
        }
        assertArrayEquals(new float[] {4, 5, 6}, w.toFloatArray());
        assertArrayEquals(new float[] {8, 10, 12}, w.getGradient().toFloatArray());
    }

    @Test
    void mismatchesNameBothSizes() {
        NDArray target = m.zeros(new Shape(2, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ArrayWrites.write(target, new float[3]));
        assertEquals("values has 3 elements, the target (2, 2) has 4", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ArrayWrites.copy(m.zeros(new Shape(4)), target));
        assertEquals("source has shape (4), target (2, 2)", e.getMessage());
    }
}
