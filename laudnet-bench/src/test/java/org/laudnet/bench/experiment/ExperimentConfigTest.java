package org.laudnet.bench.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.GateMode;

/** The experiment's variants: MACs grid first, then the latency-cost variants, and the validation of both lists. */
class ExperimentConfigTest {

    private static final Path DIR = Path.of("data");
    private static final Path OUT = Path.of("out");

    @Test
    void fullRunTrainsTheMacsGridThenTheLatencyVariant() {
        List<ExperimentConfig.Variant> v = ExperimentConfig.full(DIR, OUT, 7, 10).variants();
        assertEquals(10, v.size());
        assertEquals(new ExperimentConfig.Variant(GateMode.SPATIAL, 0.25f, TrainingCost.MACS), v.get(0));
        assertEquals(new ExperimentConfig.Variant(GateMode.LAYER, 0.75f, TrainingCost.MACS), v.get(8));
        assertEquals(new ExperimentConfig.Variant(GateMode.LAYER, 0.5f, TrainingCost.LATENCY), v.get(9));
        assertEquals("layer t=0.50 (latency cost)", v.get(9).name());
        assertEquals("spatial t=0.25", v.get(0).name());
        assertTrue(ExperimentConfig.demo(DIR, OUT).latencyModes().isEmpty(), "the demo trains MACs variants only");
    }

    @Test
    void latencyMeasurementsWarmUpForAtLeastATimeThatGrowsWithTheirRuns() {
        assertEquals(Duration.ofSeconds(3), FashionMnistExperiment.latencyWarmup(
                ExperimentConfig.demo(DIR, OUT).latencyRuns()));
        assertEquals(Duration.ofSeconds(5), FashionMnistExperiment.latencyWarmup(
                ExperimentConfig.full(DIR, OUT, 7, 10).latencyRuns()), "capped at 5 s");
        assertEquals(Duration.ofMillis(600), FashionMnistExperiment.latencyWarmup(
                ExperimentConfig.quick(DIR, OUT).latencyRuns()));
        assertEquals(Duration.ofMillis(300), FashionMnistExperiment.latencyWarmup(1), "at least 0.3 s");
    }

    @Test
    void latencyVariantsCanBeReplacedOrDropped() {
        ExperimentConfig c = ExperimentConfig.full(DIR, OUT, 7, 10)
                .withVariants(List.of(GateMode.CHANNEL), List.of(0.5f))
                .withLatencyVariants(List.of(GateMode.LAYER, GateMode.CHANNEL), List.of(0.4f));
        assertEquals(List.of("channel t=0.50", "layer t=0.40 (latency cost)", "channel t=0.40 (latency cost)"),
                c.variants().stream().map(ExperimentConfig.Variant::name).toList());
        assertEquals(1, c.withLatencyVariants(List.of(), List.of()).variants().size());
        assertEquals(List.of("layer t=0.40 (latency cost)", "channel t=0.40 (latency cost)"),
                c.withVariants(List.of(), List.of()).variants().stream().map(ExperimentConfig.Variant::name).toList());
    }

    @Test
    void invalidLatencyVariantsNameTheField() {
        ExperimentConfig c = ExperimentConfig.full(DIR, OUT, 7, 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.withLatencyVariants(List.of(), List.of()).withVariants(List.of(), List.of(0.5f)));
        assertTrue(e.getMessage().contains("nothing to fine-tune"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> c.withLatencyVariants(List.of(GateMode.LAYER), List.of()));
        assertTrue(e.getMessage().contains("latencyTargets"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> c.withLatencyVariants(List.of(GateMode.NONE), List.of(0.5f)));
        assertTrue(e.getMessage().contains("latencyModes") && e.getMessage().contains("NONE"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> c.withLatencyVariants(List.of(GateMode.LAYER), List.of(1.5f)));
        assertTrue(e.getMessage().contains("latencyTargets") && e.getMessage().contains("1.5"), e.getMessage());
    }
}
