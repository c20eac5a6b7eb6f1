package org.laudnet.bench.network;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.laudnet.core.exec.ExecutionPath;

/**
 * Writes a {@link NetworkBenchmark.Result}: JSON rows, a PNG of latency ratio against MACs ratio (one series per mode
 * and batch size, the line {@code y = x} for reference), and the markdown report with the environment, the table, the
 * per-phase profile and the explanation of where each mode's time goes. Stateless; thread-safe.
 */
public final class NetworkReport {

    private NetworkReport() {}

    /**
     * Writes the JSON file.
     *
     * @param r the result
     * @param config the settings
     * @param env environment key-values (machine, threads, versions)
     * @param file the output file
     * @throws IOException if it cannot be written
     */
    public static void writeJson(NetworkBenchmark.Result r, NetworkBenchmark.Config config, Map<String, String> env,
            Path file) throws IOException {
        StringBuilder sb = new StringBuilder("{\n  \"environment\": {");
        int i = 0;
        for (Map.Entry<String, String> e : env.entrySet()) {
            sb.append(i++ == 0 ? "\n" : ",\n").append("    \"").append(esc(e.getKey())).append("\": \"")
                    .append(esc(e.getValue())).append('"');
        }
        sb.append("\n  },\n  \"runs\": ").append(config.runs()).append(",\n  \"warmup\": ").append(config.warmup())
                .append(",\n  \"backend\": \"").append(esc(config.backendId())).append("\",\n  \"rows\": [");
        List<NetworkBenchmark.Row> rows = r.rows();
        for (int k = 0; k < rows.size(); k++) {
            NetworkBenchmark.Row w = rows.get(k);
            sb.append(k == 0 ? "\n" : ",\n").append(String.format(Locale.ROOT,
                    "    {\"arch\": \"%s\", \"mode\": \"%s\", \"batch\": %d, \"density\": %.2f, \"macs_ratio\": %.4f, "
                            + "\"latency_ms\": %.3f, \"static_ms\": %.3f, \"latency_ratio\": %.4f, \"djl_ms\": %.3f, "
                            + "\"ratio_vs_djl\": %.4f, \"peer_ms\": %s, \"ratio_vs_peer\": %s, \"paths\": \"%s\"}",
                    w.arch(), w.mode().id(), w.batch(), w.density(), w.macsRatio(), w.latencyMs(), w.staticMs(),
                    w.latencyRatio(), w.djlMs(), w.ratioVsDjl(), num(w.peerMs(), 3), num(w.ratioVsPeer(), 4),
                    paths(w.paths())));
        }
        sb.append("\n  ],\n  \"profile\": [");
        for (int k = 0; k < r.profiles().size(); k++) {
            NetworkBenchmark.Profile p = r.profiles().get(k);
            sb.append(k == 0 ? "\n" : ",\n").append(String.format(Locale.ROOT,
                    "    {\"mode\": \"%s\", \"batch\": %d, \"density\": %s, \"total_ms\": %.3f, \"phases\": {",
                    p.mode() == null ? "static" : p.mode().id(), p.batch(), num(p.density(), 2), p.totalMs()));
            int j = 0;
            for (Map.Entry<String, Double> e : p.phases().entrySet()) {
                sb.append(j++ == 0 ? "" : ", ").append(String.format(Locale.ROOT, "\"%s\": %.3f", esc(e.getKey()),
                        e.getValue()));
            }
            sb.append("}}");
        }
        sb.append("\n  ]\n}\n");
        write(file, sb.toString());
    }

    /**
     * Renders latency ratio (y) against MACs ratio (x) per mode and batch size as a PNG.
     *
     * @param r the result
     * @param title chart title
     * @param file the PNG file
     * @throws IOException if it cannot be written
     */
    public static void writePlot(NetworkBenchmark.Result r, String title, Path file) throws IOException {
        Map<String, XYSeries> series = new LinkedHashMap<>();
        double max = 1;
        for (NetworkBenchmark.Row w : r.rows()) {
            String key = w.mode().describe() + ", batch " + w.batch();
            series.computeIfAbsent(key, k -> new XYSeries(k, true, true)).add(w.macsRatio(), w.latencyRatio());
            max = Math.max(max, Math.max(w.macsRatio(), w.latencyRatio()));
        }
        XYSeries ideal = new XYSeries("latency = MACs (ideal)", true, true);
        ideal.add(0, 0);
        ideal.add(max, max);
        XYSeriesCollection data = new XYSeriesCollection();
        series.values().forEach(data::addSeries);
        data.addSeries(ideal);
        NumberAxis x = new NumberAxis("MACs ratio (dynamic / static)");
        NumberAxis y = new NumberAxis("latency ratio (dynamic / static, through the executors)");
        x.setRange(0, max * 1.05);
        y.setRange(0, max * 1.05);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        renderer.setDefaultStroke(new BasicStroke(1.5f));
        renderer.setSeriesShapesVisible(data.getSeriesCount() - 1, false);
        renderer.setSeriesPaint(data.getSeriesCount() - 1, Color.GRAY);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 900, 650);
    }

    /**
     * Writes the markdown report.
     *
     * @param r the result
     * @param config the settings
     * @param env environment key-values
     * @param command the command line that produced it
     * @param note text under the title (e.g. a reduced-run notice), or empty
     * @param plot the plot file name relative to the markdown, or null
     * @param file the markdown file
     * @throws IOException if it cannot be written
     */
    public static void writeMarkdown(NetworkBenchmark.Result r, NetworkBenchmark.Config config,
            Map<String, String> env, String command, String note, String plot, Path file) throws IOException {
        boolean peer = config.peerOnnx() != null;
        StringBuilder sb = new StringBuilder("# Whole-network CPU latency: ").append(config.arch().id())
                .append(", gated vs static\n\n");
        if (note != null && !note.isBlank()) {
            sb.append(note.strip()).append("\n\n");
        }
        sb.append("Command: `").append(command).append("`\n\n");
        env.forEach((k, v) -> sb.append("- ").append(k).append(": ").append(v).append('\n'));
        sb.append(String.format(Locale.ROOT, "- runs: %d timed calls per engine (median) in %d rounds after %d warm-up"
                + " rounds, and before them untimed calls of each network through the executors until %d in a row"
                + " create no backend primitive (at most %d); each round runs the gated network, the static network"
                + " through the same executors, the static network's plain DJL forward%s in that order, in one"
                + " process, each as one untimed primer call and then %d timed calls, every call after a %d ms pause (no timed call follows another"
                + " engine's work)%n", config.runs(), InterleavedRounds.rounds(config.runs()), config.warmup(),
                InterleavedRounds.STEADY_CALLS, InterleavedRounds.MAX_SETTLING_CALLS,
                peer ? " and the ONNX Runtime peer" : "", InterleavedRounds.TIMED_PER_ROUND, Settle.MILLIS));
        sb.append("- input: random 3x224x224 images, seeded; random seeded weights (latency does not depend on them);"
                + " BN folded in the executors, unfolded in the plain DJL forward\n");
        sb.append("- densities: imposed per block after the maskers ran (their cost is paid): each sample opens"
                + " round(d * units) of its cells or groups at random; layer gates open d * B samples per block on"
                + " average over the blocks of a call (spread evenly from a random offset, so at batch 1 and d = 0.5"
                + " every other layer-gated block runs)\n");
        sb.append("- modes: layer; channel G=4; spatial S=4-4-2-1 per stage; both (spatial and channel G=4); the weight"
                + " slices of every channel pattern are uploaded when the gated network is loaded"
                + " (`PlanRuntime.prepareChannelPatterns`), so no timed call pays for a pattern's first use\n");
        sb.append("- latency ratio = gated / static through the executors; ratio vs djl = gated / plain DJL forward"
                + (peer ? "; ratio vs peer = gated / ONNX Runtime" : "") + "\n\n");
        sb.append("| arch | mode | batch | density | MACs ratio | latency ms | static ms | latency ratio | djl ms |"
                + " ratio vs djl |" + (peer ? " peer ms | ratio vs peer |" : "") + " paths (blocks) |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|").append(peer ? "---|---|" : "").append("---|\n");
        for (NetworkBenchmark.Row w : r.rows()) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %.2f | %.3f | %.2f | %.2f | %.3f | %.2f | %.3f |",
                    w.arch(), w.mode().id(), w.batch(), w.density(), w.macsRatio(), w.latencyMs(), w.staticMs(),
                    w.latencyRatio(), w.djlMs(), w.ratioVsDjl()));
            if (peer) {
                sb.append(String.format(Locale.ROOT, " %.2f | %.3f |", w.peerMs(), w.ratioVsPeer()));
            }
            sb.append(' ').append(paths(w.paths())).append(" |\n");
        }
        if (plot != null) {
            sb.append("\n![latency ratio vs MACs ratio](").append(plot).append(")\n");
        }
        if (!r.profiles().isEmpty()) {
            TreeSet<String> phases = new TreeSet<>();
            r.profiles().forEach(p -> phases.addAll(p.phases().keySet()));
            sb.append("\n## Where the time goes (batch 1, per-phase profile)\n\n");
            sb.append("Each column is the engine's `PhaseTimer` total of one phase over every block of the fastest"
                    + " timed call (ms); `total` is that call's wall clock.\n\n");
            sb.append("| mode | density | total ms | ").append(String.join(" | ", phases)).append(" |\n|---|---|---|");
            sb.append("---|".repeat(phases.size())).append('\n');
            for (NetworkBenchmark.Profile p : r.profiles()) {
                sb.append(String.format(Locale.ROOT, "| %s | %s | %.2f |", p.mode() == null ? "static" : p.mode().id(),
                        Double.isNaN(p.density()) ? "-" : String.format(Locale.ROOT, "%.2f", p.density()),
                        p.totalMs()));
                for (String ph : phases) {
                    sb.append(String.format(Locale.ROOT, " %.2f |", p.phases().getOrDefault(ph, 0.0)));
                }
                sb.append('\n');
            }
        }
        sb.append('\n').append(NetworkExplanation.TEXT);
        write(file, sb.toString());
    }

    static String paths(Map<ExecutionPath, Integer> paths) {
        return paths.entrySet().stream().map(e -> e.getKey() + " x" + e.getValue()).collect(Collectors.joining(", "));
    }

    private static String num(double v, int digits) {
        return Double.isNaN(v) ? "null" : String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    private static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static void write(Path file, String text) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
