package org.laudnet.bench.blocks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.latency.cpu.CpuBackends;

/** {@link BlockBenchmark} and {@link BlockProfile} on a small bottleneck through the reference backend. */
class BlockBenchmarkTest {

    private static final BlockBenchmark.StageShape SMALL = new BlockBenchmark.StageShape(1, 32, 8, 8);

    @TempDir
    Path dir;

    @Test
    void everyConfigurationIsMeasuredOnTheChosenBackend() throws Exception {
        BlockBenchmark.Config config = new BlockBenchmark.Config(2, 1, new int[] {1, 2}, new double[] {0.5, 1.0},
                List.of(SMALL), 7L, Set.of(GateMode.LAYER, GateMode.SPATIAL, GateMode.CHANNEL));
        BlockBenchmark bench = new BlockBenchmark(config, m -> CpuBackends.create("java", m));
        List<BlockBenchmark.Row> rows = bench.run();
        // layer, spatial S = 1, 2, 4, channel G = 4, 8: six specs x two batches x two densities
        assertEquals(24, rows.size());
        for (BlockBenchmark.Row r : rows) {
            assertTrue(r.denseMs() > 0 && Double.isFinite(r.denseMs()), r.toString());
            assertTrue(r.dynamicMs() > 0 && Double.isFinite(r.dynamicMs()), r.toString());
            assertTrue(r.pairRatio() > 0 && Double.isFinite(r.pairRatio()), r.toString());
            assertEquals(r.dynamicMs() / r.denseMs(), r.latencyRatio(), 1e-12);
            assertEquals(0, r.threads(), "the reference backend reports no intra-op pool");
            boolean channelPaths = r.mode() == GateMode.CHANNEL && r.batch() > 1;
            assertEquals(channelPaths, !Double.isNaN(r.perPatternMs()), r.toString());
            assertEquals(channelPaths, !Double.isNaN(r.unionMs()), r.toString());
            if (r.density() == 1.0) {
                assertEquals(ExecutionPath.DENSE, r.path(), "every gate open runs the dense branch: " + r);
                assertTrue(r.macsRatio() >= 1.0, r.toString());
            } else {
                assertTrue(r.macsRatio() < 1.0, r.toString());
            }
        }
        BlockBenchmark.Row layerHalf = rows.stream()
                .filter(r -> r.mode() == GateMode.LAYER && r.batch() == 1 && r.density() == 0.5).findFirst()
                .orElseThrow();
        // batch 1 at density 0.5: the mixture of the closed and the open call
        assertEquals(2, layerHalf.components());
        assertTrue(layerHalf.macsRatio() > 0.45 && layerHalf.macsRatio() < 0.6, layerHalf.toString());
        BlockBenchmark.Row layerBatch = rows.stream()
                .filter(r -> r.mode() == GateMode.LAYER && r.batch() == 2 && r.density() == 0.5).findFirst()
                .orElseThrow();
        assertEquals(1, layerBatch.components());
        assertEquals(ExecutionPath.LAYER, layerBatch.path());

        Path md = dir.resolve("b.md");
        Path json = dir.resolve("b.json");
        bench.writeMarkdown(rows, List.of(), "a note", md);
        bench.writeJson(rows, json);
        String text = Files.readString(md);
        assertTrue(text.contains("- backend: java ("), text);
        assertTrue(text.contains("a note"));
        assertEquals(24, text.lines().filter(l -> l.startsWith("| 1 |")).count() - 4, "24 rows + 4 channel rows");
        assertTrue(Files.readString(json).contains("\"backend\": \"java ("));
    }

    @Test
    void theProfileRunsOnTheChosenBackend() {
        List<BlockProfile.Entry> entries = BlockProfile.run(List.of(SMALL), new int[] {1}, 0.5, 2, 1, 7L,
                PathPolicy.AUTO, m -> CpuBackends.create("java", m));
        // static, layer, spatial S = 4 and 2, channel G = 4
        assertEquals(5, entries.size());
        assertEquals(GateMode.NONE, entries.get(0).mode());
        assertEquals(ExecutionPath.DENSE, entries.get(0).path());
        for (BlockProfile.Entry e : entries) {
            assertTrue(e.totalMs() > 0 && e.minTotalMs() <= e.totalMs(), e.toString());
            assertEquals(BlockProfile.PHASES, List.copyOf(e.phases().keySet()));
        }
        assertFalse(BlockProfile.markdown(entries).isBlank());
    }

    @Test
    void missingArgumentsAreRefused() {
        BlockBenchmark.Config config = new BlockBenchmark.Config(1, 0, new int[] {1}, new double[] {1.0},
                List.of(SMALL), 7L);
        assertThrows(IllegalArgumentException.class, () -> new BlockBenchmark(config, null));
        assertThrows(IllegalArgumentException.class, () -> new BlockBenchmark(null, m -> null));
        assertThrows(IllegalArgumentException.class, () -> BlockProfile.run(List.of(SMALL), new int[] {1}, 0.5, 1,
                0, 7L, PathPolicy.AUTO, null));
    }
}
