package org.laudnet.bench.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.XYItemLabelGenerator;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Scatter plot of top-1 accuracy (y, percent) against measured latency relative to the static network (x), one series
 * per model family and batch size, written as a PNG with JFreeChart.
 */
public final class AccuracyLatencyPlot {

    /**
     * One model's point pair.
     *
     * @param family series name (e.g. {@code spatial})
     * @param label point label (e.g. {@code t=0.50})
     * @param ratio1 latency ratio at batch 1
     * @param top1AtRatio1 top-1 in [0, 1]
     * @param ratio64 latency ratio at batch 64
     * @param top1AtRatio64 top-1 in [0, 1]
     */
    public record Point(String family, String label, double ratio1, double top1AtRatio1, double ratio64,
            double top1AtRatio64) {}

    private final String title;
    private final List<Point> points = new ArrayList<>();

    /**
     * Creates an empty plot.
     *
     * @param title chart title
     */
    public AccuracyLatencyPlot(String title) {
        this.title = title == null ? "" : title;
    }

    /**
     * Adds a model.
     *
     * @param family series name
     * @param label point label
     * @param ratio1 latency ratio at batch 1, positive
     * @param top1 top-1 in [0, 1]
     * @param ratio64 latency ratio at batch 64, positive
     * @param top1b the same top-1 (kept for symmetric series)
     * @throws IllegalArgumentException if a ratio is not positive or a top-1 is outside [0, 1]
     */
    public void add(String family, String label, double ratio1, double top1, double ratio64, double top1b) {
        if (!(ratio1 > 0) || !(ratio64 > 0)) {
            throw new IllegalArgumentException("latency ratios must be positive, got " + ratio1 + ", " + ratio64);
        }
        if (!(top1 >= 0 && top1 <= 1) || !(top1b >= 0 && top1b <= 1)) {
            throw new IllegalArgumentException("top1 must be in [0, 1], got " + top1);
        }
        points.add(new Point(family, label, ratio1, top1, ratio64, top1b));
    }

    /** Returns the points added so far. */
    public List<Point> points() {
        return List.copyOf(points);
    }

    /**
     * Renders the chart and writes it as a PNG of {@code width x height} pixels.
     *
     * @param file the PNG file (parent directories are created)
     * @param width image width, positive
     * @param height image height, positive
     * @throws IOException if the file cannot be written
     */
    public void write(Path file, int width, int height) throws IOException {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("width and height must be positive, got " + width + "x" + height);
        }
        Map<String, XYSeries> series = new LinkedHashMap<>();
        Map<String, List<String>> labels = new LinkedHashMap<>();
        double minY = 100;
        double maxY = 0;
        for (Point p : points) {
            add(series, labels, p.family() + " (batch 64)", p.ratio64(), 100 * p.top1AtRatio64(), p.label());
            add(series, labels, p.family() + " (batch 1)", p.ratio1(), 100 * p.top1AtRatio1(), p.label());
            minY = Math.min(minY, 100 * Math.min(p.top1AtRatio1(), p.top1AtRatio64()));
            maxY = Math.max(maxY, 100 * Math.max(p.top1AtRatio1(), p.top1AtRatio64()));
        }
        XYSeriesCollection data = new XYSeriesCollection();
        series.values().forEach(data::addSeries);
        NumberAxis x = new NumberAxis("measured CPU latency / static latency");
        NumberAxis y = new NumberAxis("top-1 accuracy (%)");
        y.setAutoRangeIncludesZero(false);
        if (maxY >= minY) {
            double pad = Math.max(0.5, 0.1 * (maxY - minY));
            y.setRange(minY - pad, maxY + pad);
        }
        x.setAutoRangeIncludesZero(true);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        XYItemLabelGenerator gen = (dataset, s, item) -> labels.get((String) dataset.getSeriesKey(s)).get(item);
        renderer.setDefaultItemLabelGenerator(gen);
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setDefaultStroke(new BasicStroke(1.5f));
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
        ChartUtils.saveChartAsPNG(file.toFile(), chart, width, height);
    }

    private static void add(Map<String, XYSeries> series, Map<String, List<String>> labels, String key, double x,
            double y, String label) {
        series.computeIfAbsent(key, k -> new XYSeries(k, false, true)).add(x, y);
        labels.computeIfAbsent(key, k -> new ArrayList<>()).add(label);
    }
}
