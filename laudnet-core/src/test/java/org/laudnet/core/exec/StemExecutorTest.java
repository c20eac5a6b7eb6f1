package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.ResidualBlockLayers;
import org.laudnet.core.testing.TestArrays;

class StemExecutorTest {

    private NDManager m;
    private ParameterStore ps;

    @BeforeEach
    void setUp() {
        m = NDManager.newBaseManager();
        ps = new ParameterStore(m, false);
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    /** A stem with random weights and BatchNorm statistics away from the identity, so that folding matters. */
    private ResidualBlockLayers.ConvBn stem(int out, int kernel, int stride, boolean bias, Shape input, long seed) {
        Conv2d conv = Conv2d.builder().setKernelShape(new Shape(kernel, kernel)).setFilters(out)
                .optStride(new Shape(stride, stride)).optPadding(new Shape(kernel / 2, kernel / 2)).optBias(bias)
                .build();
        conv.initialize(m, DataType.FLOAT32, input);
        BatchNorm bn = BatchNorm.builder().optEpsilon(1e-3f).build();
        bn.initialize(m, DataType.FLOAT32, conv.getOutputShapes(new Shape[] {input})[0]);
        Random r = new Random(seed);
        conv.getParameters().forEach(p -> p.getValue().getArray()
                .set(TestArrays.randn(m, seed + p.getKey().length(), p.getValue().getArray().getShape())
                        .mul(0.3f).toFloatArray()));
        TestArrays.perturbBatchNorm(bn, r);
        return new ResidualBlockLayers.ConvBn(conv, bn);
    }

    private NDArray reference(ResidualBlockLayers.ConvBn stem, NDArray x, int maxPoolPadding) {
        NDArray h = stem.conv().forward(ps, new NDList(x), false).head();
        h = Activation.relu(stem.bn().forward(ps, new NDList(h), false).head());
        if (maxPoolPadding >= 0) {
            h = Pool.maxPool2d(h, new Shape(3, 3), new Shape(2, 2), new Shape(maxPoolPadding, maxPoolPadding), false);
        }
        return h;
    }

    @Test
    void smallStemEqualsConvBatchNormRelu() {
        Shape input = new Shape(3, 1, 28, 28);
        ResidualBlockLayers.ConvBn s = stem(16, 3, 1, false, input, 1);
        NDArray x = TestArrays.randn(m, 2, input);
        try (StemExecutor e = StemExecutor.of(s, 1, ps, m)) {
            NDArray y = e.run(x);
            assertEquals(new Shape(3, 16, 28, 28), y.getShape());
            TestArrays.assertClose(reference(s, x, -1), y, 1e-5, "3x3 stride-1 stem, batch 3");
        }
    }

    @Test
    void imagenetStemWithMaxPoolEqualsReference() {
        for (int padding : new int[] {0, 1}) {
            Shape input = new Shape(2, 3, 33, 33);
            ResidualBlockLayers.ConvBn s = stem(8, 7, 2, padding == 0, input, 3 + padding);
            NDArray x = TestArrays.randn(m, 4, input);
            try (StemExecutor e = StemExecutor.withMaxPool(s, 2, padding, ps, m)) {
                NDArray y = e.run(x);
                NDArray expected = reference(s, x, padding);
                assertEquals(expected.getShape(), y.getShape());
                assertTrue(y.min().getFloat() >= 0f, "output follows a ReLU");
                TestArrays.assertClose(expected, y, 1e-5, "7x7 stride-2 stem, max pool padding " + padding);
            }
        }
    }

    @Test
    void rejectsBadArgumentsAndUseAfterClose() {
        Shape input = new Shape(1, 1, 8, 8);
        ResidualBlockLayers.ConvBn s = stem(4, 3, 1, false, input, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StemExecutor.withMaxPool(s, 1, 2, ps, m));
        assertTrue(e.getMessage().contains("maxPoolPadding") && e.getMessage().contains("2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> StemExecutor.of(s, 0, ps, m));
        assertTrue(e.getMessage().contains("stride"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StemExecutor.of(null, 1, ps, m));
        StemExecutor ex = StemExecutor.of(s, 1, ps, m);
        ex.close();
        ex.close();
        assertThrows(IllegalStateException.class, () -> ex.run(TestArrays.randn(m, 1, input)));
    }
}
