package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.core.plan.PlanFile;
import org.laudnet.core.testing.TestArrays;
import org.laudnet.core.testing.TestNets;

/** The shared runtime: calibration once per batch size, thread safety, memory, input errors, overrides, plan files. */
class PlanRuntimeTest {

    private NDManager manager;
    private GatedBackbone net;
    private InferencePlan plan;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        net = TestNets.network(new TestNets.ResidualFamily(BlockType.BOTTLENECK, StridePlacement.CONV2), 3, 8,
                TestNets.bottleneckStages(GateSpec.both(2, 2), GateSpec.layer()));
        TestNets.initialise(net, manager, 3);
        plan = InferencePlan.of(net);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private float[] images(int batch, long seed) {
        Random r = new Random(seed);
        float[] v = new float[batch * 3 * 8 * 8];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void preCalibratedBatchSizesAreNotCalibratedAgainAndUnknownOnesOnce() {
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, DjlBackend.create(manager))) {
            rt.calibrate(1, 2);
            assertEquals(2, rt.calibrations().computations());
            assertEquals(List.of(1, 2), rt.calibratedBatchSizes());
            try (NetworkExecutor ex = rt.newExecutor()) {
                ex.run(images(1, 1), 1);
                ex.run(images(2, 2), 2);
                assertEquals(2, rt.calibrations().computations(), "a calibrated batch size calibrated again");
                ex.run(images(3, 3), 3);
                ex.run(images(3, 4), 3);
                assertEquals(3, rt.calibrations().computations(), "batch 3 must be calibrated exactly once");
            }
        }
    }

    @Test
    void calibrationsSaveAndLoadForTheSameBackendAndMachine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.calibration.json");
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, DjlBackend.create(manager))) {
            rt.calibrate(4);
            rt.calibrations().save(file);
        }
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, DjlBackend.create(manager))) {
            assertEquals(1, rt.calibrations().load(file));
            assertEquals(List.of(4), rt.calibratedBatchSizes());
            try (NetworkExecutor ex = rt.newExecutor()) {
                ex.run(images(4, 9), 4);
            }
            assertEquals(0, rt.calibrations().computations(), "a loaded calibration was computed again");
        }
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, new ReferenceBackend())) {
            assertEquals(-1, rt.calibrations().load(file), "another backend's calibration was accepted");
        }
        Files.writeString(file, "{ not json");
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, DjlBackend.create(manager))) {
            Exception e = assertThrows(java.io.IOException.class, () -> rt.calibrations().load(file));
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        }
    }

    @Test
    void eightThreadsSharingOneRuntimeGiveTheSerialResults() throws Exception {
        int threads = 8;
        int calls = 25;
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, DjlBackend.create(manager))) {
            rt.calibrate(1, 2);
            List<float[]> inputs = new ArrayList<>();
            List<float[]> serial = new ArrayList<>();
            try (NetworkExecutor ex = rt.newExecutor()) {
                for (int i = 0; i < threads * calls; i++) {
                    int batch = 1 + i % 2;
                    inputs.add(images(batch, 100 + i));
                    serial.add(ex.run(inputs.get(i), batch).logits());
                }
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<List<float[]>>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int first = t * calls;
                    futures.add(pool.submit(() -> {
                        List<float[]> out = new ArrayList<>();
                        try (NetworkExecutor ex = rt.newExecutor()) {
                            for (int i = first; i < first + calls; i++) {
                                out.add(ex.run(inputs.get(i), 1 + i % 2).logits());
                            }
                        }
                        return out;
                    }));
                }
                for (int t = 0; t < threads; t++) {
                    List<float[]> out = futures.get(t).get();
                    for (int i = 0; i < calls; i++) {
                        assertArrayEquals(serial.get(t * calls + i), out.get(i), "thread " + t + " call " + i);
                    }
                }
            } finally {
                pool.shutdown();
            }
            assertEquals(2, rt.calibrations().computations());
        }
    }

    @Test
    void weightsAreUploadedOncePerRuntimeWhateverTheExecutors() {
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, DjlBackend.create(manager))) {
            ConvWeights stem = rt.weights().stem;
            List<NetworkExecutor> executors = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                executors.add(rt.newExecutor());
            }
            for (NetworkExecutor ex : executors) {
                ex.run(images(2, 7), 2);
                assertTrue(ex.runtime() == rt);
                ex.close();
            }
            assertTrue(rt.weights().stem == stem, "the shared weights were replaced");
            assertTrue(stem.spec() == plan.stem(), "the uploaded stem is not the plan's folded convolution");
        }
    }

    @Test
    void aLongLoopDoesNotGrowTheManagers() {
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, DjlBackend.create(manager));
                NetworkExecutor ex = rt.newExecutor()) {
            rt.calibrate(2);
            NDArray x = TestArrays.randn(manager, 1, new Shape(2, 3, 8, 8));
            for (int i = 0; i < 20; i++) {
                ex.run(x).logits().close();
            }
            int before = manager.getManagedArrays().size();
            for (int i = 0; i < 100; i++) {
                ex.run(x).logits().close();
            }
            assertEquals(before, manager.getManagedArrays().size(), "arrays leaked into the caller's manager");
            assertFalse(x.isReleased(), "the input was released");
        }
    }

    @Test
    void badInputsGetNamedErrors() {
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, new ReferenceBackend());
                NetworkExecutor ex = rt.newExecutor()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ex.run(new float[10], 1));
            assertTrue(e.getMessage().contains("192") && e.getMessage().contains("10"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ex.run(images(1, 1), 0));
            float[] nan = images(1, 1);
            nan[17] = Float.NaN;
            e = assertThrows(IllegalArgumentException.class, () -> ex.run(nan, 1));
            assertTrue(e.getMessage().contains("index 17"), e.getMessage());
            NDArray wrong = manager.zeros(new Shape(1, 3, 9, 8));
            e = assertThrows(IllegalArgumentException.class, () -> ex.run(wrong));
            assertTrue(e.getMessage().contains("(1, 3, 9, 8)"), e.getMessage());
            NDArray inf = manager.create(new float[] {Float.POSITIVE_INFINITY}).tile(192).reshape(1, 3, 8, 8);
            assertThrows(IllegalArgumentException.class, () -> ex.run(inf));
            NDArray ints = manager.zeros(new Shape(1, 3, 8, 8), DataType.INT32);
            assertThrows(IllegalArgumentException.class, () -> ex.run(ints));
        }
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, new ReferenceBackend())) {
            NetworkExecutor ex = rt.newExecutor();
            ex.close();
            assertThrows(IllegalStateException.class, () -> ex.run(images(1, 1), 1));
        }
    }

    @Test
    void theDensityOverrideImposesDensitiesAndKeepsEquivalence() {
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, new ReferenceBackend());
                NetworkExecutor ex = rt.newExecutor()) {
            ex.setGateOverride(GateOverride.density(0.25, 5));
            GateReport sparse = ex.run(images(4, 3), 4, PathPolicy.SPARSE).report();
            assertEquals(0.25, sparse.blocks().get(0).densities().d3(), 1e-9);
            assertEquals(0.5, sparse.blocks().get(0).densities().dc(), 1e-9, "1 of 2 groups");
            assertEquals(0.25, sparse.blocks().get(2).densities().d3(), 1e-9, "layer gate: 1 of 4 samples");
            ex.setGateOverride(GateOverride.density(0.25, 5));
            HostExecution a = ex.run(images(4, 3), 4, PathPolicy.SPARSE);
            ex.setGateOverride(GateOverride.density(0.25, 5));
            HostExecution b = ex.run(images(4, 3), 4, PathPolicy.DENSE);
            float[] x = a.logits();
            float[] y = b.logits();
            for (int i = 0; i < x.length; i++) {
                assertEquals(y[i], x[i], 1e-4 * Math.max(1, Math.abs(y[i])), "logit " + i);
            }
            assertTrue(a.report().macsRatio() < 0.75, "imposed density should save MACs: " + a.report());
        }
    }

    @Test
    void aPlanFileRunsToTheSameLogits(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("net.plan");
        PlanFile.write(plan, file);
        InferencePlan read = PlanFile.read(file);
        NDArray x = TestArrays.randn(manager, 4, new Shape(2, 3, 8, 8));
        NDArray expected = net.run(new ParameterStore(manager, false), x, false).logits();
        try (PlanRuntime<?> rt = PlanRuntime.create(read, new ReferenceBackend());
                NetworkExecutor ex = rt.newExecutor()) {
            TestArrays.assertClose(expected, ex.run(x, PathPolicy.SPARSE).logits(), 1e-4, "plan file");
        }
    }

    @Test
    void theReportDescribesStagesAndSamples() {
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, new ReferenceBackend());
                NetworkExecutor ex = rt.newExecutor()) {
            GateReport r = ex.run(images(3, 8), 3, PathPolicy.SPARSE).report();
            assertEquals(3, r.batch());
            assertEquals(2, r.stages());
            double mean = 0;
            for (int b = 0; b < 3; b++) {
                GateReport one = r.sample(b);
                assertEquals(1, one.batch());
                assertEquals(r.sampleMacsRatio(b), one.macsRatio(), 1e-12);
                mean += r.sampleMacsRatio(b) / 3;
            }
            assertEquals(r.macsRatio(), mean, 1e-9, "the batch ratio is the mean of the images' ratios");
            assertThrows(IllegalArgumentException.class, () -> r.sample(3));
            assertThrows(IllegalArgumentException.class, () -> r.stageDensities(5, -1));
        }
    }
}
