package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.testing.ManagedTest;
import org.laudnet.core.testing.TestArrays;

/**
 * {@link BlockExecutor#importInput} and {@link BlockExecutor#handOverInput}: a call on a resident input takes the path
 * and does the work of the same call on the array (same report); a preserved input serves any number of calls, a
 * handed-over one a call per {@link BlockExecutor.ResidentInput#refresh}; the array it came from is untouched; the
 * resident input's lifetime and arguments are checked.
 */
class BlockExecutorResidentInputTest extends ManagedTest {

    private static final BlockGeometry G = BlockGeometry.bottleneck(64, 16, 8, 1);

    private GatedResidualBlock block(GateSpec spec) {
        GatedResidualBlock b = GatedResidualBlock.builder().setGeometry(G).optGateSpec(spec).optSeed(5).build();
        b.initialize(m, DataType.FLOAT32, new Shape(1, G.inChannels(), G.inHeight(), G.inWidth()));
        return b;
    }

    @Test
    void aResidentCallReportsWhatTheSameCallOnTheArrayReports() {
        int batch = 3;
        NDArray x = TestArrays.randn(m, 4, new Shape(batch, G.inChannels(), G.inHeight(), G.inWidth()));
        for (GateSpec spec : List.of(GateSpec.spatial(2), GateSpec.channel(4), GateSpec.layer())) {
            GatedResidualBlock b = block(spec);
            for (Backend<?> backend : List.of(DjlBackend.create(m), new ReferenceBackend())) {
                try (BlockExecutor ex = BlockExecutor.builder().setBlock(b).setManager(m).optBackend(backend).build()) {
                    NDArray before = ex.run(x).output();
                    try (BlockExecutor.ResidentInput in = ex.importInput(x)) {
                        assertEquals(x.getShape(), in.getShape());
                        for (double d : new double[] {0, 0.5, 1}) {
                            NDArray sm = ex.spatialMaskShape(batch).map(s -> TestArrays.randomMask(m, 7, s, d))
                                    .orElse(null);
                            NDArray cm = ex.channelMaskShape(batch)
                                    .map(s -> TestArrays.randomMask(m, 8, s, Math.max(d, 0.5))).orElse(null);
                            for (PathPolicy p : List.of(PathPolicy.DENSE, PathPolicy.SPARSE, PathPolicy.AUTO)) {
                                ExecutionReport onArray = ex.runWithMasks(x, sm, cm, p, true).report();
                                ExecutionReport resident = ex.runWithMasks(in, sm, cm, p, true);
                                String what = spec.mode() + " " + backend.id() + " density " + d + " " + p;
                                assertEquals(onArray.path(), resident.path(), what);
                                assertEquals(onArray.activeUnits(), resident.activeUnits(), what);
                                assertEquals(onArray.macsRatio(), resident.macsRatio(), 1e-12, what);
                            }
                        }
                        // gates by the eval rule: the same decisions as the call on the array
                        ExecutionReport own = ex.run(in, PathPolicy.AUTO);
                        ExecutionReport ownOnArray = ex.run(x, PathPolicy.AUTO).report();
                        assertEquals(ownOnArray.path(), own.path());
                        assertEquals(ownOnArray.activeUnits(), own.activeUnits());
                    }
                    // neither the input nor the executor's state changed
                    TestArrays.assertClose(before, ex.run(x).output(), 0, spec + " " + backend.id());
                } finally {
                    backend.close();
                }
            }
        }
    }

    @Test
    void aHandedOverInputIsConsumedByEachCallAndRestoredByRefresh() {
        int batch = 2;
        NDArray x = TestArrays.randn(m, 6, new Shape(batch, G.inChannels(), G.inHeight(), G.inWidth())).abs();
        for (GateSpec spec : List.of(GateSpec.spatial(2), GateSpec.layer(), GateSpec.none())) {
            GatedResidualBlock b = block(spec);
            for (Backend<?> backend : List.of(DjlBackend.create(m), new ReferenceBackend())) {
                try (BlockExecutor ex = BlockExecutor.builder().setBlock(b).setManager(m).optBackend(backend).build()) {
                    NDArray before = ex.run(x).output();
                    NDArray sm = ex.spatialMaskShape(batch).map(s -> TestArrays.randomMask(m, 9, s, 0.5)).orElse(null);
                    try (BlockExecutor.ResidentInput in = ex.handOverInput(x)) {
                        assertTrue(in.isHandedOver());
                        in.refresh();
                        for (PathPolicy p : List.of(PathPolicy.DENSE, PathPolicy.SPARSE, PathPolicy.AUTO)) {
                            String what = spec.mode() + " " + backend.id() + " " + p;
                            ExecutionReport onArray = ex.runWithMasks(x, sm, null, p, true).report();
                            for (int call = 0; call < 2; call++) {
                                ExecutionReport handed = ex.runWithMasks(in, sm, null, p, true);
                                assertEquals(onArray.path(), handed.path(), what);
                                assertEquals(onArray.macsRatio(), handed.macsRatio(), 1e-12, what);
                                IllegalStateException consumed = assertThrows(IllegalStateException.class,
                                        () -> ex.runWithMasks(in, sm, null, p, true));
                                assertTrue(consumed.getMessage().contains("refresh it first"), consumed.getMessage());
                                in.refresh();
                            }
                        }
                    }
                    // the array the input was taken from is untouched
                    TestArrays.assertClose(before, ex.run(x).output(), 0, spec + " " + backend.id());
                } finally {
                    backend.close();
                }
            }
        }
    }

    @Test
    void onlyNonNegativeInputsAreHandedOver() {
        NDArray x = TestArrays.randn(m, 7, new Shape(1, G.inChannels(), G.inHeight(), G.inWidth())).abs();
        float[] v = x.toFloatArray();
        v[37] = -0.5f;
        NDArray negative = m.create(v, x.getShape());
        try (BlockExecutor ex = BlockExecutor.builder().setBlock(block(GateSpec.spatial(2))).setManager(m).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ex.handOverInput(negative));
            assertTrue(e.getMessage().contains("-0.5 at index 37"), e.getMessage());
            // refused before anything was imported: another input may be imported now
            try (BlockExecutor.ResidentInput in = ex.importInput(negative)) {
                assertFalse(in.isHandedOver());
                in.refresh();
                ex.run(in, PathPolicy.AUTO);
                ex.run(in, PathPolicy.AUTO);
                in.close();
                assertThrows(IllegalStateException.class, in::refresh);
            }
        }
    }

    @Test
    void aStaticBlockRunsDenseOnAResidentInput() {
        NDArray x = TestArrays.randn(m, 2, new Shape(2, G.inChannels(), G.inHeight(), G.inWidth()));
        try (BlockExecutor ex = BlockExecutor.builder().setBlock(block(GateSpec.none())).setManager(m).build();
                BlockExecutor.ResidentInput in = ex.importInput(x)) {
            ExecutionReport r = ex.run(in, PathPolicy.AUTO);
            assertEquals(ExecutionPath.DENSE, r.path());
            assertEquals(1.0, r.macsRatio(), 1e-9);
        }
    }

    @Test
    void theLifetimeOfAResidentInputIsChecked() {
        NDArray x = TestArrays.randn(m, 3, new Shape(1, G.inChannels(), G.inHeight(), G.inWidth()));
        GatedResidualBlock b = block(GateSpec.spatial(2));
        try (BlockExecutor ex = BlockExecutor.builder().setBlock(b).setManager(m).build();
                BlockExecutor other = BlockExecutor.builder().setBlock(b).setManager(m).build()) {
            BlockExecutor.ResidentInput in = ex.importInput(x);
            IllegalStateException twice = assertThrows(IllegalStateException.class, () -> ex.importInput(x));
            assertTrue(twice.getMessage().contains("another input is resident"), twice.getMessage());
            IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
                    () -> other.run(in, PathPolicy.AUTO));
            assertTrue(foreign.getMessage().contains("imported by this executor"), foreign.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> ex.run((BlockExecutor.ResidentInput) null, PathPolicy.AUTO));
            assertThrows(IllegalArgumentException.class, () -> ex.run(in, null));
            IllegalArgumentException badMask = assertThrows(IllegalArgumentException.class,
                    () -> ex.runWithMasks(in, null, null, PathPolicy.AUTO, true));
            assertTrue(badMask.getMessage().contains("spatialMask must have shape"), badMask.getMessage());
            in.close();
            in.close();
            IllegalArgumentException closed = assertThrows(IllegalArgumentException.class,
                    () -> ex.run(in, PathPolicy.AUTO));
            assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
            // once closed, another input may be imported; closing the executor releases it
            BlockExecutor.ResidentInput next = ex.importInput(x);
            ExecutionPath path = ex.run(next, PathPolicy.DENSE).path();
            assertTrue(path == ExecutionPath.DENSE || path == ExecutionPath.SKIP, path.toString());
            IllegalArgumentException wrongShape = assertThrows(IllegalArgumentException.class,
                    () -> other.importInput(m.zeros(new Shape(1, 3, 8, 8))));
            assertTrue(wrongShape.getMessage().contains("x must have shape"), wrongShape.getMessage());
        }
    }
}
