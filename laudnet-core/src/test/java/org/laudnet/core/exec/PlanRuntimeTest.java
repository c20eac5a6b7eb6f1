package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.FoldedConv;
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
        net = network(GateSpec.both(2, 2), 3);
        plan = InferencePlan.of(net);
    }

    private GatedBackbone network(GateSpec firstStage, long seed) {
        GatedBackbone n = TestNets.network(new TestNets.ResidualFamily(BlockType.BOTTLENECK, StridePlacement.CONV2), 3,
                8, TestNets.bottleneckStages(firstStage, GateSpec.layer()));
        TestNets.initialise(n, manager, seed);
        return n;
    }

    /**
     * Runs calls at imposed random patterns (density 0.5, batch 1 to 3) on a runtime whose patterns are prepared and on
     * a runtime of the same plan without preparation: the same logits, and no upload on the prepared one.
     */
    private void assertCallsMatchTheLazyRuntime(PlanRuntime<?> prepared, InferencePlan p, AtomicInteger uploads,
            int calls) {
        int before = uploads.get();
        try (PlanRuntime<?> lazy = PlanRuntime.create(p, new ReferenceBackend(), new CalibrationSettings(1, 7L));
                NetworkExecutor ex = prepared.newExecutor();
                NetworkExecutor lazyEx = lazy.newExecutor()) {
            ex.setGateOverride(GateOverride.density(0.5, 9));
            lazyEx.setGateOverride(GateOverride.density(0.5, 9));
            for (int call = 0; call < calls; call++) {
                int batch = 1 + call % 3;
                float[] x = images(batch, 20 + call);
                assertArrayEquals(lazyEx.run(x, batch).logits(), ex.run(x, batch).logits(), 1e-5f,
                        p.architecture() + ", call " + call);
            }
        }
        assertEquals(before, uploads.get(), p.architecture() + ": a call uploaded a slice after the preparation");
    }

    /** A reference backend that counts its uploads and their floats. */
    @SuppressWarnings("unchecked")
    private static Backend<Object> countingUploads(AtomicInteger uploads, long[] floats) {
        Backend<?> inner = new ReferenceBackend();
        return (Backend<Object>) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("upload")) {
                        uploads.incrementAndGet();
                        FoldedConv c = (FoldedConv) args[0];
                        floats[0] += c.weight().length + c.bias().length;
                    }
                    return invoke(inner, method, args);
                });
    }

    private GatedBackbone withSeed(GatedBackbone n, long seed) {
        TestNets.initialise(n, manager, seed);
        return n;
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
    void channelPatternsArePreparedOnceAndNoCallUploadsAfterwards() {
        // stage 1: two bottlenecks with 4 channel groups (14 partial patterns each); stage 2 layer-gated
        InferencePlan channels = InferencePlan.of(network(GateSpec.channel(4), 5));
        assertEquals(List.of(4, 4, 1), channels.blocks().stream().map(BlockPlan::channelGroups).toList());
        AtomicInteger uploads = new AtomicInteger();
        long[] uploadedFloats = new long[1];
        try (PlanRuntime<?> rt = PlanRuntime.create(channels, countingUploads(uploads, uploadedFloats),
                new CalibrationSettings(1, 7L))) {
            uploads.set(0);
            uploadedFloats[0] = 0;
            long floats = rt.prepareChannelPatterns();
            // conv1, conv2 and conv3 of each pattern of each channel-gated block
            assertEquals(2 * 14 * 3, uploads.get());
            assertEquals(uploadedFloats[0], floats);
            assertEquals(0, rt.prepareChannelPatterns(), "a second preparation uploaded again");
            assertEquals(2 * 14 * 3, uploads.get());
            assertCallsMatchTheLazyRuntime(rt, channels, uploads, 6);
        }
        // squeeze-excitation blocks with grouped conv2 (RegNetY's), and spatial with channel gates
        InferencePlan squeeze = InferencePlan.of(withSeed(TestNets.network(new TestNets.SqueezeFamily(4), 3, 8,
                TestNets.squeezeStages(GateSpec.channel(4), GateSpec.none())), 5));
        InferencePlan both = InferencePlan.of(network(GateSpec.both(2, 4), 5));
        for (InferencePlan other : List.of(squeeze, both)) {
            uploads.set(0);
            try (PlanRuntime<?> rt = PlanRuntime.create(other, countingUploads(uploads, uploadedFloats),
                    new CalibrationSettings(1, 7L))) {
                assertTrue(rt.prepareChannelPatterns() > 0, other.architecture() + ": nothing prepared");
                assertCallsMatchTheLazyRuntime(rt, other, uploads, 4);
            }
        }
        try (PlanRuntime<?> rt = PlanRuntime.create(InferencePlan.of(network(GateSpec.spatial(2), 5)),
                new ReferenceBackend())) {
            assertEquals(0, rt.prepareChannelPatterns(), "a network without channel gates has no patterns");
            try (PlanRuntime<?> eight = PlanRuntime.create(InferencePlan.of(network(GateSpec.channel(8), 5)),
                    new ReferenceBackend())) {
                assertEquals(0, eight.prepareChannelPatterns(), "254 patterns of 8 groups are left to first use");
            }
            rt.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, rt::prepareChannelPatterns);
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
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
    void theDensityOverrideSpreadsLayerGatesOverTheBlocksOfACall() {
        InferencePlan layered = InferencePlan.of(network(GateSpec.layer(), 3));
        try (PlanRuntime<?> rt = PlanRuntime.create(layered, new ReferenceBackend());
                NetworkExecutor ex = rt.newExecutor()) {
            ex.setGateOverride(GateOverride.density(0.5, 5));
            for (int call = 0; call < 3; call++) {
                GateReport r = ex.run(images(1, call), 1, PathPolicy.SPARSE).report();
                int gated = 0;
                int open = 0;
                double previous = Double.NaN;
                for (int i = 0; i < layered.blocks().size(); i++) {
                    if (layered.blocks().get(i).maskSize() != 1) {
                        continue;
                    }
                    double d = r.blocks().get(i).densities().d3();
                    assertTrue(d == 0 || d == 1, "block " + i + " at batch 1 is open or closed, got " + d);
                    assertNotEquals(previous, d, "call " + call + ": layer-gated blocks alternate at density 0.5");
                    previous = d;
                    gated++;
                    open += (int) d;
                }
                assertTrue(gated >= 3, "the test network has layer-gated blocks: " + gated);
                assertTrue(open == gated / 2 || open == (gated + 1) / 2, "call " + call + ": " + open + " of "
                        + gated + " blocks open");
            }
            ex.setGateOverride(GateOverride.density(0.5, 5));
            GateReport b4 = ex.run(images(4, 9), 4, PathPolicy.SPARSE).report();
            for (int i = 0; i < layered.blocks().size(); i++) {
                if (layered.blocks().get(i).maskSize() == 1) {
                    assertEquals(0.5, b4.blocks().get(i).densities().d3(), 1e-9, "block " + i + ": 2 of 4 samples");
                }
            }
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

    @Test
    void calibrationSettingsAreTheRuntimesForEveryCalibration() {
        int[] one = calibrationExports(1);
        int[] three = calibrationExports(3);
        // each timed point runs once to warm up, then `runs` times, each run reading one value back
        assertTrue(one[0] > 0 && one[1] > 0, "nothing was calibrated");
        assertEquals(2 * one[0], three[0], "PlanRuntime.calibrate must use the runtime's settings");
        assertEquals(2 * one[1], three[1], "an executor's first AUTO call must use the runtime's settings");
    }

    @Test
    void theBackendIsPreparedAtLoadAndBeforeEachCalibratedBatchSize() {
        List<String> prepared = new ArrayList<>();
        Backend<?> inner = new ReferenceBackend();
        @SuppressWarnings("unchecked")
        Backend<Object> recording = (Backend<Object>) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class}, (proxy, method, args) -> {
                    if (method.getName().equals("prepare")) {
                        prepared.add((args[0] == plan ? "plan" : "another plan") + " at " + args[1]);
                    }
                    return invoke(inner, method, args);
                });
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, recording)) {
            assertEquals(List.of("plan at 1"), prepared);
            rt.calibrate(2, 3);
            assertEquals(List.of("plan at 1", "plan at 2", "plan at 3"), prepared);
        }
        assertFalse(inner.setIntraOpThreads(2), "the reference backend has no intra-op pool");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> inner.setIntraOpThreads(0));
        assertTrue(e.getMessage().contains("threads must be at least 1"), e.getMessage());
    }

    /** The values read back while calibrating batch 2 ahead of time, and batch 3 in an executor's first AUTO call. */
    private int[] calibrationExports(int runs) {
        AtomicInteger exports = new AtomicInteger();
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, counting(new ReferenceBackend(), exports),
                new CalibrationSettings(runs, 7L));
                NetworkExecutor ex = rt.newExecutor()) {
            assertEquals(runs, rt.calibrationSettings().runs());
            rt.calibrate(2);
            int ahead = exports.getAndSet(0);
            float[] x = images(3, 5);
            ex.run(x, 3);
            int first = exports.getAndSet(0);
            ex.run(x, 3);
            return new int[] {ahead, first - exports.get()};
        }
    }

    /** A backend whose kernels count their {@code exportHost} calls. */
    @SuppressWarnings("unchecked")
    private static <T> Backend<T> counting(Backend<T> inner, AtomicInteger exports) {
        return (Backend<T>) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    Object r = invoke(inner, method, args);
                    if (!method.getName().equals("newKernels")) {
                        return r;
                    }
                    Kernels<T> k = (Kernels<T>) r;
                    return Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class},
                            (p, m, a) -> {
                                if (m.getName().equals("exportHost")) {
                                    exports.incrementAndGet();
                                }
                                return invoke(k, m, a);
                            });
                });
    }

    @Test
    void calibrationTimesABlockWithoutProjectionOnAFreshCopyOfItsInputHandedOver() {
        // stage 1: a block with a projection (16 -> 32 channels), then one without; stage 2: one with
        assertEquals(List.of(true, false, true),
                plan.blocks().stream().map(b -> b.downsample() != null).toList());
        List<String> starts = new ArrayList<>();
        Object[] lastCopy = new Object[1];
        Backend<?> inner = new ReferenceBackend();
        @SuppressWarnings("unchecked")
        Backend<Object> recording = (Backend<Object>) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class}, (proxy, method, args) -> {
                    Object r = invoke(inner, method, args);
                    if (!method.getName().equals("newKernels")) {
                        return r;
                    }
                    return Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class},
                            (kp, km, ka) -> {
                                Object out = invoke(r, km, ka);
                                switch (km.getName()) {
                                    case "relu" -> lastCopy[0] = out;
                                    case "spatialBeginInPlace" -> starts.add(ka[0] == lastCopy[0]
                                            ? "in place, on a fresh ReLU copy" : "in place, on another tensor");
                                    case "spatialBegin" -> starts.add("copied");
                                    default -> { }
                                }
                                return out;
                            });
                });
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, recording, new CalibrationSettings(2, 7L))) {
            rt.calibrate(1);
        }
        assertTrue(starts.contains("in place, on a fresh ReLU copy"), "the block without projection: " + starts);
        assertTrue(starts.contains("copied"), "the blocks with a projection: " + starts);
        assertFalse(starts.contains("in place, on another tensor"), starts.toString());
        // every timed or warm-up run of the block without projection started on its own copy
        long inPlace = starts.stream().filter(s -> s.startsWith("in place")).count();
        assertTrue(inPlace >= 3, "runs in place: " + inPlace);
    }

    @Test
    void theFirstCalibrationOfAKernelsClassAndItsPathsInAJvmRunsUntimedPassesFirst() {
        AtomicInteger convs = new AtomicInteger();
        int[] counts = new int[3];
        Calibrator.forgetWarmUps();
        // the build turns the warm-up off for the tests; this one checks it, at a shorter time
        withWarmUpSetting("300", () -> {
            for (int i = 0; i < counts.length; i++) {
                try (PlanRuntime<?> rt = PlanRuntime.create(plan, countingConvolutions(convs),
                        new CalibrationSettings(1, 7L))) {
                    rt.calibrate(1);
                }
                counts[i] = convs.getAndSet(0);
            }
        });
        assertTrue(counts[1] > 0, "a calibration runs convolutions");
        assertEquals(counts[1], counts[2], "once warm, every calibration runs the same work");
        // the cold one also ran untimed passes of the same calibration: at least one more of a block's convolutions
        assertTrue(counts[0] > counts[1], "cold " + counts[0] + " vs warm " + counts[1]);
    }

    @Test
    void theCalibrationWarmUpTimeIsASettingWithANamedError() {
        withWarmUpSetting(null, () -> assertEquals(2000, Calibrator.warmupMillis()));
        withWarmUpSetting(" 0 ", () -> assertEquals(0, Calibrator.warmupMillis()));
        for (String bad : new String[] {"-1", "2s"}) {
            withWarmUpSetting(bad, () -> {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Calibrator::warmupMillis);
                assertTrue(e.getMessage().contains("laudnet.calibration.warmupMillis") && e.getMessage().contains(bad),
                        e.getMessage());
            });
        }
    }

    /** Runs {@code body} with the calibration warm-up property set to {@code value} (null: unset), then restores it. */
    private static void withWarmUpSetting(String value, Runnable body) {
        String before = System.getProperty(Calibrator.WARMUP_PROPERTY);
        try {
            if (value == null) {
                System.clearProperty(Calibrator.WARMUP_PROPERTY);
            } else {
                System.setProperty(Calibrator.WARMUP_PROPERTY, value);
            }
            body.run();
        } finally {
            if (before == null) {
                System.clearProperty(Calibrator.WARMUP_PROPERTY);
            } else {
                System.setProperty(Calibrator.WARMUP_PROPERTY, before);
            }
        }
    }

    /** A fresh reference backend whose kernels count their {@code conv} calls. */
    @SuppressWarnings("unchecked")
    private static Backend<Object> countingConvolutions(AtomicInteger convs) {
        Backend<?> inner = new ReferenceBackend();
        return (Backend<Object>) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    Object r = invoke(inner, method, args);
                    if (!method.getName().equals("newKernels")) {
                        return r;
                    }
                    return Proxy.newProxyInstance(Kernels.class.getClassLoader(), new Class<?>[] {Kernels.class},
                            (kp, km, ka) -> {
                                if (km.getName().equals("conv")) {
                                    convs.incrementAndGet();
                                }
                                return invoke(r, km, ka);
                            });
                });
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    void aCalibrationOfTheSameNetworkGatedOtherwiseIsNotLoaded(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.calibration.json");
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, new ReferenceBackend(), new CalibrationSettings(1, 7L))) {
            rt.calibrate(2);
            rt.calibrations().save(file);
        }
        InferencePlan regated = InferencePlan.of(network(GateSpec.spatial(2), 3));
        assertEquals(plan.blocks().size(), regated.blocks().size());
        try (PlanRuntime<?> rt = PlanRuntime.create(regated, new ReferenceBackend())) {
            assertEquals(-1, rt.calibrations().load(file), "the calibration of other gates was accepted");
            assertEquals(List.of(), rt.calibratedBatchSizes());
        }
        try (PlanRuntime<?> rt = PlanRuntime.create(InferencePlan.of(network(GateSpec.both(2, 2), 11)),
                new ReferenceBackend())) {
            assertEquals(1, rt.calibrations().load(file), "other weights of the same structure share calibrations");
        }
        JsonObject root = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        root.remove("structure");
        Files.writeString(file, root.toString());
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, new ReferenceBackend())) {
            assertEquals(-1, rt.calibrations().load(file), "a file without a structure fingerprint was accepted");
        }
    }

    @Test
    void aSampleReportDescribesThatSampleAlone() {
        // sample b opens its first min(b + 1, units) cells and channel groups
        GateOverride staircase = new GateOverride() {
            @Override
            public float[] spatial(int block, BlockPlan p, int batch, float[] cells) {
                return firstOpen(batch, cells.length / batch);
            }

            @Override
            public float[] channel(int block, BlockPlan p, int batch, float[] groups) {
                return firstOpen(batch, groups.length / batch);
            }

            private float[] firstOpen(int batch, int per) {
                float[] r = new float[batch * per];
                for (int b = 0; b < batch; b++) {
                    for (int u = 0; u < Math.min(b + 1, per); u++) {
                        r[b * per + u] = 1f;
                    }
                }
                return r;
            }
        };
        int batch = 3;
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, new ReferenceBackend());
                NetworkExecutor ex = rt.newExecutor()) {
            ex.setGateOverride(staircase);
            GateReport r = ex.run(images(batch, 8), batch, PathPolicy.SPARSE).report();
            for (int b = 0; b < batch; b++) {
                GateReport one = r.sample(b);
                assertEquals(r.sampleMacsRatio(b), one.macsRatio(), 1e-12);
                for (int i = 0; i < plan.blocks().size(); i++) {
                    ExecutionReport all = r.blocks().get(i);
                    ExecutionReport mine = one.blocks().get(i);
                    String where = "sample " + b + ", block " + i + " " + all.mode();
                    int units = all.totalUnits() / batch;
                    assertEquals(1, mine.batch(), where);
                    assertEquals(units, mine.totalUnits(), where);
                    assertEquals(Math.min(b + 1, units), mine.activeUnits(), where);
                    assertEquals(1, mine.patternGroups(), where);
                    assertEquals(all.sampleDensities().get(b), mine.densities(), where);
                    assertEquals(plan.blocks().get(i).cost().ratio(mine.densities()), mine.macsRatio(), 1e-12, where);
                    assertEquals(all.path(), mine.path(), where);
                }
            }
            assertNotEquals(r.blocks().get(0).macsRatio(), r.sample(0).blocks().get(0).macsRatio(), 1e-6,
                    "the samples differ, so the first sample's block ratio is not the batch's");
            assertNotEquals(r.sample(0).blocks().get(0).macsRatio(), r.sample(2).blocks().get(0).macsRatio(), 1e-6);
        }
    }

    @Test
    void largeFiniteImagesAreAcceptedAndNonFiniteOnesRejectedElementWise() {
        try (PlanRuntime<?> rt = PlanRuntime.create(plan, new ReferenceBackend());
                NetworkExecutor ex = rt.newExecutor()) {
            float[] v = new float[192];
            // finite, but their float sum overflows
            v[0] = 3e38f;
            v[1] = 3e38f;
            NDArray large = manager.create(v, new Shape(1, 3, 8, 8));
            assertEquals(new Shape(1, 5), ex.run(large, PathPolicy.DENSE).logits().getShape());
            v[7] = Float.NaN;
            v[9] = Float.NEGATIVE_INFINITY;
            NDArray bad = manager.create(v, new Shape(1, 3, 8, 8));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ex.run(bad));
            assertTrue(e.getMessage().contains("sample 0 of a batch of 1 holds NaN at (channel 0, row 0, column 7)"),
                    e.getMessage());
            // the same on the host path
            v[7] = 0f;
            v[9] = 0f;
            assertEquals(5, ex.run(v, 1, PathPolicy.DENSE).logits().length);
            v[7] = Float.NaN;
            e = assertThrows(IllegalArgumentException.class, () -> ex.run(v, 1));
            assertTrue(e.getMessage().contains("NaN") && e.getMessage().contains("index 7"), e.getMessage());
        }
    }
}
