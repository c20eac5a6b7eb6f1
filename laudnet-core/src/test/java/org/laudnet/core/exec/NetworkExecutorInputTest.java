package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.core.testing.TestNets;

/**
 * The executor's entry refuses hostile tensors once, before any work, with errors that name the problem: empty
 * batches, wrong rank, channel count or size, and NaN or infinite values (element-wise, so large finite values pass).
 */
class NetworkExecutorInputTest {

    private static final int PER_SAMPLE = 3 * 8 * 8;

    private NDManager manager;
    private GatedBackbone net;
    private PlanRuntime<?> runtime;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        net = TestNets.network(new TestNets.ResidualFamily(BlockType.BOTTLENECK, StridePlacement.CONV2), 3, 8,
                TestNets.bottleneckStages(GateSpec.both(2, 2), GateSpec.layer()));
        TestNets.initialise(net, manager, 5);
        runtime = PlanRuntime.create(InferencePlan.of(net), DjlBackend.create(manager));
    }

    @AfterEach
    void close() {
        runtime.close();
        manager.close();
    }

    private static float[] images(int batch, long seed) {
        Random r = new Random(seed);
        float[] v = new float[batch * PER_SAMPLE];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void nanAndInfinitiesInOneSampleAreRefusedByNameBeforeAnyWork() {
        // sample 2 of 3, channel 1, row 4, column 5
        int index = 2 * PER_SAMPLE + 64 + 4 * 8 + 5;
        float[] values = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        String[] names = {"NaN", "+Inf", "-Inf"};
        try (NetworkExecutor ex = runtime.newExecutor(ExecutorOptions.defaults().withPolicy(PathPolicy.AUTO))) {
            for (int i = 0; i < values.length; i++) {
                float[] host = images(3, i);
                host[index] = values[i];
                String want = "images: sample 2 of a batch of 3 holds " + names[i]
                        + " at (channel 1, row 4, column 5), index " + index;
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ex.run(host, 3));
                assertTrue(e.getMessage().startsWith(want), e.getMessage());
                NDArray x = manager.create(host, new Shape(3, 3, 8, 8));
                e = assertThrows(IllegalArgumentException.class, () -> ex.run(x));
                assertTrue(e.getMessage().startsWith(want), e.getMessage());
            }
            float[] two = images(3, 7);
            two[5] = Float.NaN;
            two[PER_SAMPLE + 9] = Float.POSITIVE_INFINITY;
            two[2 * PER_SAMPLE] = Float.NEGATIVE_INFINITY;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ex.run(manager.create(two, new Shape(3, 3, 8, 8))));
            assertTrue(e.getMessage().startsWith("images: sample 0 of a batch of 3 holds NaN"), e.getMessage());
            assertTrue(e.getMessage().contains("2 later samples hold non-finite values too"), e.getMessage());
        }
        assertEquals(List.of(), runtime.calibratedBatchSizes(),
                "a refused batch must not be calibrated for (nor run): the check comes first");
    }

    @Test
    void hugeFiniteValuesAreAcceptedWhereASumWouldOverflow() {
        float[] host = images(2, 3);
        host[10] = 3e38f;
        host[11] = 3e38f;
        host[PER_SAMPLE + 20] = -3e38f;
        host[PER_SAMPLE + 21] = -3e38f;
        NDArray x = manager.create(host, new Shape(2, 3, 8, 8));
        try (NDArray sum = x.get("0:1").sum()) {
            assertTrue(Float.isInfinite(sum.getFloat()), "the values are chosen so that a sum overflows");
        }
        try (NetworkExecutor ex = runtime.newExecutor(ExecutorOptions.defaults().withPolicy(PathPolicy.DENSE))) {
            NetworkExecution fromArray = ex.run(x);
            HostExecution fromHost = ex.run(host, 2);
            assertEquals(new Shape(2, net.getNumClasses()), fromArray.logits().getShape());
            assertEquals(2, fromArray.report().batch());
            assertArrayEquals(fromHost.logits(), fromArray.logits().toFloatArray(), 0f,
                    "both entries run the same accepted batch");
        }
    }

    @Test
    void emptyBatchesAndWrongShapesGetNamedErrors() {
        try (NetworkExecutor ex = runtime.newExecutor()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ex.run(manager.zeros(new Shape(0, 3, 8, 8))));
            assertEquals("empty batch: batch size 0 in images of shape (0, 3, 8, 8)", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> ex.run(new float[0], 0));
            assertEquals("empty batch: batch size 0", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> ex.run(new float[0], -2));
            assertEquals("batch must be positive, got -2", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> ex.run(manager.zeros(new Shape(3, 8, 8))));
            assertEquals("images must have shape (B, 3, 8, 8): got rank 3 (3, 8, 8) instead of rank 4",
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> ex.run(manager.zeros(new Shape(1, 4, 8, 8))));
            assertEquals("images must have shape (B, 3, 8, 8): got 4 channels instead of 3 in (1, 4, 8, 8)",
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> ex.run(manager.zeros(new Shape(2, 3, 8, 9))));
            assertEquals("images must have shape (B, 3, 8, 8): got images of 8 x 9 instead of the network's input"
                    + " size 8 x 8 in (2, 3, 8, 9)", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> ex.run(manager.zeros(new Shape(1, 3, 8, 8), DataType.FLOAT64)));
            assertEquals("images must be float32, got float64", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> ex.run(new float[PER_SAMPLE + 1], 1));
            assertTrue(e.getMessage().contains("= 192 values, got 193"), e.getMessage());
        }
        try (BlockExecutor block = BlockExecutor.builder().setBlock(net.getBlocks().get(0)).setManager(manager)
                .build()) {
            BlockGeometry g = block.getGeometry();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> block.run(manager.zeros(new Shape(0, g.inChannels(), g.inHeight(), g.inWidth()))));
            assertTrue(e.getMessage().startsWith("empty batch: batch size 0"), e.getMessage());
        }
    }
}
