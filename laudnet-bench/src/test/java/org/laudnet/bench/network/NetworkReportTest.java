package org.laudnet.bench.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.ExecutionPath;

class NetworkReportTest {

    @TempDir
    Path dir;

    @Test
    void namesParseAndModesGateEveryStage() {
        assertEquals(NetworkArch.RESNET50, NetworkArch.parse("ResNet50"));
        assertEquals(NetworkArch.REGNETY_800MF, NetworkArch.parse("regnety-800mf"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetworkArch.parse("vgg"));
        assertTrue(e.getMessage().contains("'vgg'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NetworkMode.parse("diagonal"));
        GateSpec[] spatial = NetworkMode.SPATIAL.stageGates();
        assertEquals(4, spatial.length);
        assertEquals(List.of(4, 4, 2, 1), List.of(spatial[0].spatialGranularity(), spatial[1].spatialGranularity(),
                spatial[2].spatialGranularity(), spatial[3].spatialGranularity()));
        for (GateSpec g : NetworkMode.CHANNEL.stageGates()) {
            assertEquals(GateMode.CHANNEL, g.mode());
            assertEquals(4, g.channelGroups());
        }
        for (GateSpec g : NetworkMode.BOTH.stageGates()) {
            assertEquals(GateMode.BOTH, g.mode());
        }
        for (GateSpec g : NetworkMode.LAYER.stageGates()) {
            assertEquals(GateMode.LAYER, g.mode());
        }
    }

    @Test
    void configRejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> config(new double[] {1.5}, 2));
        assertThrows(IllegalArgumentException.class, () -> config(new double[] {0.5}, 0));
    }

    @Test
    void reportsHoldEveryRowWithItsRatios() throws Exception {
        NetworkBenchmark.Config c = config(new double[] {0.5, 1.0}, 3);
        Map<ExecutionPath, Integer> paths = new EnumMap<>(ExecutionPath.class);
        paths.put(ExecutionPath.SPATIAL_ROWS, 7);
        paths.put(ExecutionPath.DENSE, 9);
        NetworkBenchmark.Row a = new NetworkBenchmark.Row("resnet50", NetworkMode.SPATIAL, 1, 0.5, 0.61, 30.0, 40.0,
                50.0, Double.NaN, paths);
        NetworkBenchmark.Row b = new NetworkBenchmark.Row("resnet50", NetworkMode.LAYER, 8, 1.0, 1.0, 42.0, 40.0,
                50.0, Double.NaN, Map.of());
        Map<String, Double> phases = new LinkedHashMap<>();
        phases.put("gate", 1.25);
        phases.put("conv2", 7.5);
        NetworkBenchmark.Result r = new NetworkBenchmark.Result(List.of(a, b),
                List.of(new NetworkBenchmark.Profile(NetworkMode.SPATIAL, 1, 0.5, 31.0, phases)));
        assertEquals(0.75, a.latencyRatio(), 1e-12);
        assertEquals(0.6, a.ratioVsDjl(), 1e-12);
        assertTrue(Double.isNaN(a.ratioVsPeer()));
        Map<String, String> env = Map.of("machine", "test cpu", "threads", "2");
        Path json = dir.resolve("n.json");
        NetworkReport.writeJson(r, c, env, json);
        JsonObject root = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        JsonArray rows = root.getAsJsonArray("rows");
        assertEquals(2, rows.size());
        JsonObject first = rows.get(0).getAsJsonObject();
        assertEquals("spatial", first.get("mode").getAsString());
        assertEquals(0.75, first.get("latency_ratio").getAsDouble(), 1e-4);
        assertEquals(0.6, first.get("ratio_vs_djl").getAsDouble(), 1e-4);
        assertTrue(first.get("peer_ms").isJsonNull());
        assertEquals("DENSE x9, SPATIAL_ROWS x7", first.get("paths").getAsString());
        assertEquals(1.05, rows.get(1).getAsJsonObject().get("latency_ratio").getAsDouble(), 1e-4);
        assertEquals(7.5, root.getAsJsonArray("profile").get(0).getAsJsonObject().getAsJsonObject("phases")
                .get("conv2").getAsDouble(), 1e-9);
        Path png = dir.resolve("n.png");
        NetworkReport.writePlot(r, "test", png);
        assertEquals(900, ImageIO.read(png.toFile()).getWidth());
        Path md = dir.resolve("sub/n.md");
        NetworkReport.writeMarkdown(r, c, env, "scripts/laudnet bench network", "reduced run", "n.png", md);
        String text = Files.readString(md);
        assertTrue(text.contains("| resnet50 | spatial | 1 | 0.50 | 0.610 | 30.00 | 40.00 | 0.750 | 50.00 | 0.600 |"),
                text);
        assertTrue(text.contains("reduced run"), text);
        assertTrue(text.contains("| spatial | 0.50 | 31.00 | 7.50 | 1.25 |"), text);
        assertTrue(text.contains("## How to read the numbers"), text);
    }

    private static NetworkBenchmark.Config config(double[] densities, int runs) {
        return new NetworkBenchmark.Config(NetworkArch.RESNET50, new int[] {1}, densities,
                List.of(NetworkMode.SPATIAL), runs, 1, 42L, "djl-cpu", null, 0.5);
    }
}
