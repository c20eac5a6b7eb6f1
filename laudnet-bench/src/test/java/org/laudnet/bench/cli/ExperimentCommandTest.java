package org.laudnet.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.GateMode;

/** Parsing of the experiment's {@code --modes} and {@code --latency-modes}. */
class ExperimentCommandTest {

    @Test
    void latencyModesParseInAnyCaseAndNoneMeansNoVariant() {
        assertEquals(List.of(GateMode.LAYER, GateMode.CHANNEL),
                ExperimentCommand.FashionMnist.parseModes("--modes", List.of("layer", "Channel")));
        assertEquals(List.of(), ExperimentCommand.FashionMnist.parseModes("--latency-modes", List.of("none")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExperimentCommand.FashionMnist.parseModes("--latency-modes", List.of("layers")));
        assertTrue(e.getMessage().contains("--latency-modes") && e.getMessage().contains("'layers'"), e.getMessage());
    }
}
