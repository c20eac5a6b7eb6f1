package org.laudnet.core.latency.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TimingProtocolTest {

    /** A clock that each call advances by its alternative's cost, so that times are exact and known. */
    private static final class FakeClock {
        long now;
    }

    private record Alt(String name, long costNanos, List<String> log, FakeClock clock, String label)
            implements TimingProtocol.Call {
        @Override
        public String run() {
            log.add(name);
            clock.now += costNanos;
            return label;
        }
    }

    @Test
    void everyTimedCallFollowsAnUntimedCallOfTheSameAlternative() {
        FakeClock clock = new FakeClock();
        List<String> log = new ArrayList<>();
        List<Alt> alts = List.of(new Alt("a", 2_000_000, log, clock, "DENSE"),
                new Alt("b", 5_000_000, log, clock, null));
        // budget 0: exactly `runs` timed runs
        TimingProtocol p = new TimingProtocol(3, 2, 0);
        List<TimingProtocol.Result> r = p.measure(alts, () -> clock.now);
        // 2 warm-up rounds, then 3 rounds of (primer, timed) per alternative
        assertEquals(List.of("a", "b", "a", "b", "a", "a", "b", "b", "a", "a", "b", "b", "a", "a", "b", "b"), log);
        assertEquals(2.0, r.get(0).medianMs(), 1e-12);
        assertEquals(5.0, r.get(1).medianMs(), 1e-12);
        assertArrayEquals(new double[] {2, 2, 2}, r.get(0).timesMs(), 1e-12);
        assertEquals(Map.of("DENSE", 3), r.get(0).labels());
        assertEquals("DENSE", r.get(0).mostFrequentLabel());
        assertNull(r.get(1).mostFrequentLabel());
    }

    @Test
    void everyRunFollowsItsUntimedPreparation() {
        FakeClock clock = new FakeClock();
        List<String> log = new ArrayList<>();
        Alt a = new Alt("a", 2_000_000, log, clock, null);
        // the preparation costs 7 ms on the same clock, and never shows in the timings
        TimingProtocol.Call prepared = TimingProtocol.Call.of(() -> {
            log.add("prep");
            clock.now += 7_000_000;
        }, a);
        List<TimingProtocol.Result> r = new TimingProtocol(2, 1, 0).measure(List.of(prepared), () -> clock.now);
        assertEquals(List.of("prep", "a", "prep", "a", "prep", "a", "prep", "a", "prep", "a"), log);
        assertArrayEquals(new double[] {2, 2}, r.get(0).timesMs(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> TimingProtocol.Call.of(null, a));
        assertThrows(IllegalArgumentException.class, () -> TimingProtocol.Call.of(() -> { }, null));
    }

    @Test
    void fastAlternativesGetMoreRunsUpToThreeTimes() {
        TimingProtocol p = new TimingProtocol(5, 1, 100);
        assertEquals(5, p.timedRuns(50));
        assertEquals(10, p.timedRuns(10));
        assertEquals(15, p.timedRuns(0.1));
        assertEquals(5, p.timedRuns(0));
        FakeClock clock = new FakeClock();
        List<String> log = new ArrayList<>();
        // the slowest alternative takes 20 ms: 100 / 20 = 5 runs, so both get 5
        List<TimingProtocol.Result> r = p.measure(List.of(new Alt("a", 1_000_000, log, clock, null),
                new Alt("b", 20_000_000, log, clock, null)), () -> clock.now);
        assertEquals(5, r.get(0).timesMs().length);
        assertEquals(2 + 5 * 4, log.size());
        // zero warm-up rounds still warm up once
        log.clear();
        new TimingProtocol(1, 0, 0).measure(List.of(new Alt("a", 1, log, clock, null)), () -> clock.now);
        assertEquals(List.of("a", "a", "a"), log);
    }

    @Test
    void mediansAndArgumentsAreChecked() {
        assertEquals(2.5, TimingProtocol.median(new double[] {4, 1, 2, 3}), 0);
        assertEquals(3, TimingProtocol.median(new double[] {5, 3, 1}), 0);
        assertThrows(IllegalArgumentException.class, () -> TimingProtocol.median(new double[0]));
        assertThrows(IllegalArgumentException.class, () -> new TimingProtocol(0, 1, 10));
        assertThrows(IllegalArgumentException.class, () -> new TimingProtocol(1, -1, 10));
        assertThrows(IllegalArgumentException.class, () -> new TimingProtocol(1, 1, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new TimingProtocol(1, 1, 10).measure(List.of()));
        // labels count the most frequent; ties keep the first seen
        TimingProtocol.Result res = new TimingProtocol.Result(1, new double[] {1},
                new java.util.LinkedHashMap<>(Map.of("X", 2)));
        assertEquals("X", res.mostFrequentLabel());
    }
}
