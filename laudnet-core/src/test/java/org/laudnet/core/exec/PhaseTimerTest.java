package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PhaseTimerTest {

    @Test
    void lapsAccumulatePerPhaseInFirstSeenOrder() throws InterruptedException {
        PhaseTimer t = new PhaseTimer();
        t.start();
        Thread.sleep(2);
        t.lap("gate");
        Thread.sleep(2);
        t.lap("conv1");
        Thread.sleep(2);
        t.lap("gate");
        Map<String, Double> ms = t.millis();
        assertEquals(List.of("gate", "conv1"), List.copyOf(ms.keySet()));
        assertTrue(ms.get("gate") >= 4.0, "gate accumulates two laps: " + ms);
        assertTrue(ms.get("conv1") >= 2.0, "conv1: " + ms);
        t.reset();
        assertTrue(t.millis().isEmpty());
    }
}
