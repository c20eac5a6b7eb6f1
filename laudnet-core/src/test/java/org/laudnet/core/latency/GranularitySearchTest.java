package org.laudnet.core.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.cost.BlockGeometry;

class GranularitySearchTest {

    @Test
    void scoresEveryDivisorAndChannelGroupingOfEachResNet50Stage() {
        GranularitySearch search = new GranularitySearch(new TiledRooflineModel(HardwareSpec.V100));
        List<GranularitySearch.StageChoice> choices = search.search(NetworkSpec.resnet50V15Blocks(), 128, 0.5);
        assertEquals(4, choices.size());
        int[] sizes = {56, 28, 14, 7};
        // divisors of 56: 1 2 4 7 8 14 28 56; of 28: 1 2 4 7 14 28; of 14: 1 2 7 14; of 7: 1 7
        int[] spatialCandidates = {8, 6, 4, 2};
        for (int s = 0; s < 4; s++) {
            GranularitySearch.StageChoice c = choices.get(s);
            assertEquals(sizes[s], c.outSize());
            long spatial = c.candidates().stream().filter(x -> x.mode() != GateMode.CHANNEL).count();
            assertEquals(spatialCandidates[s], spatial, "stage " + (s + 1));
            assertEquals(4, c.candidates().stream().filter(x -> x.mode() == GateMode.CHANNEL).count());
            int size = sizes[s];
            assertEquals(GateMode.LAYER, c.candidates().stream().filter(x -> x.granularity() == size)
                    .findFirst().orElseThrow().mode());
            double min = c.candidates().stream().mapToDouble(GranularitySearch.Candidate::dynamicMs).min()
                    .orElseThrow();
            assertEquals(min, c.best().dynamicMs(), 0);
            assertTrue(c.bestSpatial().dynamicMs() >= c.best().dynamicMs());
            // layer skipping at t = 0.5 costs about half the static branch plus masker and downsample
            GranularitySearch.Candidate layer = c.candidates().stream().filter(x -> x.mode() == GateMode.LAYER)
                    .findFirst().orElseThrow();
            assertTrue(layer.ratio() > 0.45 && layer.ratio() < 0.8, "layer ratio " + layer.ratio());
        }
    }

    @Test
    void stagesSplitWhereOutputChannelsChange() {
        List<List<BlockGeometry>> stages = GranularitySearch.stages(NetworkSpec.resnet50V15Blocks());
        assertEquals(List.of(3, 4, 6, 3), stages.stream().map(List::size).toList());
    }

    @Test
    void badArgumentsAreNamed() {
        GranularitySearch search = new GranularitySearch(new TiledRooflineModel(HardwareSpec.V100));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> search.search(NetworkSpec.resnet50V15Blocks(), 1, 1.5));
        assertTrue(e.getMessage().contains("target") && e.getMessage().contains("1.5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> search.search(List.of(), 1, 0.5));
    }
}
