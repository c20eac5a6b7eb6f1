package org.laudnet.bench.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.bench.cli.BenchCommand;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.net.StageSpec;
import org.laudnet.core.net.StemSpec;
import org.laudnet.models.inference.LaudModel;
import org.laudnet.models.io.ModelMetadata;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.weights.WeightFileException;
import picocli.CommandLine;

/**
 * The long-run memory benchmark on a tiny network: the report's structure, and live DJL managers and arrays that stay
 * the same from the end of warm-up to the end (no resource grows per call).
 */
class NativeMemoryBenchmarkTest {

    @TempDir
    Path dir;

    private static LaudModel tinyModel(PathPolicy policy) throws WeightFileException {
        return LaudModel.create("tiny", ModelMetadata.none(), LaudModel.Options.defaults().withPolicy(policy), m -> {
            GatedBackbone net = LaudResNet.builder()
                    .setStages(BlockType.BOTTLENECK, List.of(new StageSpec(1, 8, 32, 1, GateSpec.spatial(2)),
                            new StageSpec(1, 16, 64, 2, GateSpec.channel(4)),
                            new StageSpec(1, 16, 64, 2, GateSpec.layer())))
                    .optStem(StemSpec.small(3, 8)).optInputSize(32).optNumClasses(5).optSeed(3).build();
            net.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
            return net;
        });
    }

    @Test
    void countsStayFlatAfterWarmupAndTheReportHasEverySample() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "resident memory is read from /proc (Linux)");
        NativeMemoryBenchmark.Settings s = new NativeMemoryBenchmark.Settings(120, 40, 40, 11, 4,
                OptionalDouble.of(0.5));
        List<String> progress = new ArrayList<>();
        NativeMemoryBenchmark.Result r;
        try (LaudModel model = tinyModel(PathPolicy.SPARSE)) {
            r = NativeMemoryBenchmark.run(model, "tiny gated ResNet", s, progress::add);
        }

        assertEquals(List.of(0, 40, 80, 120), r.samples().stream().map(NativeMemoryBenchmark.Sample::calls).toList());
        assertEquals(4 + (r.rssTrimmedKb().isPresent() ? 1 : 0), progress.size(), String.join("\n", progress));
        assertEquals(40, r.warm().calls());
        assertEquals(120, r.end().calls());
        for (NativeMemoryBenchmark.Sample x : r.samples()) {
            assertTrue(x.rssKb() > 0 && x.heapUsedBytes() > 0 && x.heapCommittedBytes() >= x.heapUsedBytes()
                    && x.directBytes() >= 0 && x.managers() > 0 && x.arrays() > 0, x.toString());
            assertEquals(x.rssKb() - x.heapCommittedBytes() / 1024, x.rssOutsideHeapKb());
            assertTrue(x.calls() == 0 || x.msPerInference() > 0, x.toString());
        }
        // every sample after warm-up: the same live managers and arrays (4 inputs with their gate decisions in turn,
        // so every cache has seen all it will see)
        for (NativeMemoryBenchmark.Sample x : r.samples()) {
            if (x.calls() >= r.warm().calls()) {
                assertEquals(r.warm().managers(), x.managers(), String.join("\n", progress));
                assertEquals(r.warm().arrays(), x.arrays(), String.join("\n", progress));
            }
        }
        // three gated blocks per call; random decisions at density 0.5 take the sparse paths and skip
        assertEquals(3L * 120, r.paths().values().stream().mapToLong(Long::longValue).sum(), r.paths().toString());
        assertTrue(r.paths().keySet().stream().anyMatch(ExecutionPath::isSpatial), r.paths().toString());
        assertTrue(r.paths().containsKey(ExecutionPath.CHANNEL), r.paths().toString());
        assertTrue(r.paths().containsKey(ExecutionPath.SKIP), r.paths().toString());

        String md = NativeMemoryBenchmark.markdown(r, s, "test machine", 2, "SPARSE", "bench native-memory");
        assertTrue(md.startsWith("# Native memory over 120 inferences of one predictor"), md);
        assertTrue(md.contains("- Model: tiny gated ResNet; path policy SPARSE"), md);
        assertTrue(md.contains("4 random input tensors in turn"), md);
        NativeMemoryBenchmark.Sample at80 = r.samples().get(2);
        assertTrue(md.contains(String.format(Locale.ROOT, "| 80 | %.1f | %.1f / %.1f | %.1f |", at80.rssKb() / 1024.0,
                at80.heapUsedBytes() / 1048576.0, at80.heapCommittedBytes() / 1048576.0,
                at80.rssOutsideHeapKb() / 1024.0)), md);
        assertTrue(md.contains((r.rssWithinLimit() ? "within" : "NOT within") + " the 5 % limit"), md);
        if (r.rssTrimmedKb().isPresent()) {
            assertTrue(r.rssTrimmedKb().getAsLong() > 0);
            assertTrue(md.contains(String.format(Locale.ROOT, "after trimming the native heap (glibc `malloc_trim`"
                    + " through `System.trim_native_heap`): %.1f MiB", r.rssTrimmedKb().getAsLong() / 1024.0)), md);
        }
        assertEquals(r.end().heapCommittedBytes() != r.warm().heapCommittedBytes(),
                md.contains("The JVM resized its heap"), md);
        assertTrue(md.contains("live NDArrays: " + r.warm().arrays() + " after warm-up, " + r.end().arrays()
                + " at the end"), md);
    }

    @Test
    void resourceCountsSeeEveryManagerAndArray() {
        DjlResources counter = DjlResources.of(Engine.getEngine("PyTorch"));
        assertTrue(counter.countsManagers());
        DjlResources.Counts before = counter.count();
        try (NDManager m = NDManager.newBaseManager(); NDManager sub = m.newSubManager()) {
            NDArray a = m.zeros(new Shape(2, 3));
            NDArray b = sub.ones(new Shape(4));
            DjlResources.Counts during = counter.count();
            assertEquals(before.managers() + 2, during.managers());
            assertEquals(before.arrays() + 2, during.arrays());
            a.close();
            assertEquals(before.arrays() + 1, counter.count().arrays());
            assertEquals(4, b.size());
        }
        assertEquals(before, counter.count());
    }

    @Test
    void theCommandWritesTheReport() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "resident memory is read from /proc (Linux)");
        Path report = dir.resolve("native.md");
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = new CommandLine(new BenchCommand()).setCaseInsensitiveEnumValuesAllowed(true).execute(
                    "native-memory", "--depth", "18", "--input-size", "32", "--classes", "10", "--policy", "dense",
                    "--inferences", "6", "--warmup", "3", "--interval", "3", "--markdown", report.toString());
        } finally {
            System.setOut(saved);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, out);
        assertTrue(out.contains("RSS growth after warm-up"), out);
        String md = Files.readString(report);
        assertTrue(md.contains("Command: `scripts/laudnet bench native-memory --depth 18 --input-size 32 --classes 10"
                + " --gates spatial:2,spatial:2,channel:4,layer --policy DENSE --inferences 6"), md);
        assertTrue(md.contains("gated ResNet-18 with seeded random weights (seed 7)"), md);
        assertTrue(md.contains("input 3 x 32 x 32, 10 classes"), md);
        assertTrue(md.contains("probability 0.50"), md);
        assertTrue(md.contains("| 6 |"), md);
    }

    @Test
    void badSettingsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new NativeMemoryBenchmark.Settings(100, 100, 10, 1, 0, OptionalDouble.empty()));
        assertTrue(e.getMessage().contains("warmup") && e.getMessage().contains("100"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new NativeMemoryBenchmark.Settings(100, 10, 0, 1, 0, OptionalDouble.empty()));
        assertTrue(e.getMessage().contains("interval"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new NativeMemoryBenchmark.Settings(100, 10, 10, 1, -1, OptionalDouble.empty()));
        assertTrue(e.getMessage().contains("distinctInputs"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new NativeMemoryBenchmark.Settings(100, 10, 10, 1, 0, OptionalDouble.of(1.5)));
        assertTrue(e.getMessage().contains("gateDensity") && e.getMessage().contains("1.5"), e.getMessage());
    }
}
