package org.laudnet.bench.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.exec.PathPolicy;

/** The experiment's quick path end to end on a few hundred synthetic 28x28 images. */
class QuickExperimentTest {

    @TempDir
    Path dir;

    @Test
    void quickRunWritesTheReportWithOneRowPerModel() throws Exception {
        Path data = SyntheticIdx.write(dir.resolve("data"), 128, 64, 5);
        ExperimentConfig c = ExperimentConfig.quick(data, dir.resolve("out"))
                .withImages(128, 64)
                .withEpochs(4, 1)
                .withPolicy(PathPolicy.SPARSE);
        List<String> lines = new ArrayList<>();
        FashionMnistExperiment.Result r = new FashionMnistExperiment(c, lines::add).run();

        assertEquals(4, r.dynamic().size());
        assertEquals(List.of(GateMode.SPATIAL, GateMode.CHANNEL, GateMode.LAYER, GateMode.LAYER),
                r.dynamic().stream().map(ModelResult::mode).toList());
        assertEquals(List.of(TrainingCost.MACS, TrainingCost.MACS, TrainingCost.MACS, TrainingCost.LATENCY),
                r.dynamic().stream().map(ModelResult::cost).toList());
        for (ModelResult m : r.dynamic()) {
            assertEquals(0.5f, m.target());
            assertTrue(m.top1() >= 0 && m.top1() <= 1, m.name() + " top-1 " + m.top1());
            assertTrue(m.macsRatio() > 0.05 && m.macsRatio() < 1.2, m.name() + " MACs ratio " + m.macsRatio());
            assertEquals(3, m.stageDensity().size());
            for (double d : m.stageDensity()) {
                assertTrue(d >= 0 && d <= 1, m.name() + " density " + d);
            }
            assertTrue(m.msBatch1() > 0 && m.msBatch64() > 0);
            assertTrue(m.latencyRatio1() > 0 && m.latencyRatio64() > 0);
            assertTrue(m.maxLogitDiff() < 1e-2, m.name() + " sparse vs dense logits differ by " + m.maxLogitDiff());
        }
        assertEquals(1.0, r.staticModel().macsRatio(), 1e-6);
        assertTrue(r.staticModel().top1() > 0.1, "static top-1 " + r.staticModel().top1());

        String md = Files.readString(r.report());
        assertTrue(md.contains("| static |"), md);
        for (String row : List.of("| spatial t=0.50 |", "| channel t=0.50 |", "| layer t=0.50 |",
                "| layer t=0.50 (latency cost) |")) {
            assertTrue(md.contains(row), "missing row " + row);
        }
        assertTrue(md.contains("## Goal at t = 0.5"));
        String goal = md.substring(md.indexOf("## Goal at t = 0.5"));
        for (ModelResult m : r.dynamic()) {
            assertTrue(goal.contains("| " + m.name() + " | "), "goal check lists " + m.name() + ":\n" + goal);
        }
        assertTrue(goal.contains("Goal met at batch 1 by: ") && goal.contains("Goal met at batch 64 by: "), goal);
        BufferedImage plot = ImageIO.read(r.plot().toFile());
        assertEquals(900, plot.getWidth());
        assertEquals(600, plot.getHeight());
        assertNotNull(r.masks());
        assertNotNull(ImageIO.read(r.masks().toFile()));
        assertTrue(lines.stream().anyMatch(l -> l.contains("epoch 4/4 done")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.contains("epoch 1/1 done")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("latency cost for layer gates: block tables measured at"
                + " batch 64")), String.join("\n", lines));
        assertTrue(md.contains("measured latency"), md);
        String table = ResultsReport.table(r);
        assertEquals(6, table.strip().split("\n").length, table);
        // each gated row names the static median its ratio was measured against; the static row does not
        for (ModelResult m : r.dynamic()) {
            String cell = String.format(java.util.Locale.ROOT, "%.2f ms (%.2fx of %.2f)", m.msBatch1(),
                    m.latencyRatio1(), m.staticMsBatch1());
            assertTrue(table.lines().anyMatch(l -> l.startsWith(m.name()) && l.contains(cell)), cell + "\n" + table);
        }
        assertTrue(table.lines().filter(l -> l.startsWith(r.staticModel().name())).noneMatch(l -> l.contains(" of ")),
                table);
    }
}
