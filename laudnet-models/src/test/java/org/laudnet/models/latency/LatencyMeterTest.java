package org.laudnet.models.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The interleaved measurement: warm-up by rounds and by time, the order of the timed calls, the medians, errors. */
class LatencyMeterTest {

    @Test
    void warmsUpTheGivenRoundsThenAlternatesWhichRunsFirst() {
        List<String> calls = new ArrayList<>();
        LatencyMeter.Pair p = LatencyMeter.interleaved(() -> calls.add("a"), () -> calls.add("b"), 3, 4);
        assertEquals(3, p.warmupRounds());
        assertEquals(4, p.runs());
        assertEquals(List.of("a", "b", "a", "b", "a", "b", // warm-up
                "a", "b", "b", "a", "a", "b", "b", "a"), calls);
    }

    @Test
    void warmsUpAtLeastTheGivenTimeAndTheGivenRounds() {
        List<Long> starts = new ArrayList<>();
        Runnable sleepy = () -> {
            starts.add(System.nanoTime());
            sleep(2);
        };
        long t0 = System.nanoTime();
        LatencyMeter.Pair p = LatencyMeter.interleaved(sleepy, sleepy, 1, 2, Duration.ofMillis(60));
        // every call sleeps 2 ms, so 60 ms of warm-up take more than the one round asked for
        assertTrue(p.warmupRounds() > 1, "warm-up rounds " + p.warmupRounds());
        assertEquals(2 * (p.warmupRounds() + 2), starts.size());
        long firstTimed = starts.get(2 * p.warmupRounds());
        assertTrue(firstTimed - t0 >= 60_000_000L, "timed calls began after " + (firstTimed - t0) / 1e6 + " ms");

        // a duration shorter than the rounds asked for changes nothing
        assertEquals(5, LatencyMeter.interleaved(() -> { }, () -> { }, 5, 1, Duration.ofNanos(1)).warmupRounds());
    }

    @Test
    void theMediansAndTheirRatioReflectTheTwoComputations() {
        LatencyMeter.Pair p = LatencyMeter.interleaved(() -> sleep(2), () -> sleep(8), 1, 5);
        assertTrue(p.medianA() >= 2 && p.medianB() >= 8, p.toString());
        assertTrue(p.ratio() > 1.5, "ratio " + p.ratio());
        assertEquals(p.medianB() / p.medianA(), p.ratio(), 1e-12);
    }

    @Test
    void badArgumentsAreRefusedByName() {
        Runnable r = () -> { };
        assertThrows(IllegalArgumentException.class, () -> LatencyMeter.interleaved(null, r, 1, 1));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LatencyMeter.interleaved(r, r, -1, 1))
                .getMessage().contains("warmup"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LatencyMeter.interleaved(r, r, 1, 0))
                .getMessage().contains("runs"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> LatencyMeter.interleaved(r, r, 1, 1, Duration.ofMillis(-1))).getMessage().contains("PT-0.001S"));
        assertThrows(IllegalArgumentException.class, () -> LatencyMeter.interleaved(r, r, 1, 1, null));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
