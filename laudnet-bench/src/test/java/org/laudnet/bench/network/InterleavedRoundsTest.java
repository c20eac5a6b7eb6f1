package org.laudnet.bench.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rounds' order: primers, timed calls, samples taken, and what each timed call follows. */
class InterleavedRoundsTest {

    @Test
    void everyTimedCallFollowsACallOfItsOwnEngineAndTheSamplesAreCounted() {
        List<String> log = new ArrayList<>();
        List<InterleavedRounds.Contender> contenders = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            contenders.add(new InterleavedRounds.Contender(() -> log.add(name + ":before"), () -> log.add(name),
                    () -> log.add(name + ":after")));
        }
        double[][] ms = InterleavedRounds.run(contenders, 1, 5);
        assertEquals(3, ms.length);
        for (double[] row : ms) {
            assertEquals(5, row.length);
            for (double v : row) {
                assertTrue(v >= 0, "a time: " + v);
            }
        }
        List<String> calls = log.stream().filter(s -> s.length() == 1).toList();
        // warm-up round 3 calls each, rounds of 2 + 2 + 1 timed calls, each round with a primer
        assertEquals(3 * (3 + 3 + 3 + 2), calls.size(), "calls: " + calls);
        assertEquals(3 * calls.size(), log.size(), "every call has its before and after step");
        for (int i = 0; i < calls.size(); i++) {
            String call = calls.get(i);
            // a call that follows another engine is that engine's primer; the next two (or one) follow it
            if (i > 0 && !calls.get(i - 1).equals(call)) {
                assertEquals(call, calls.get(i + 1), "after the primer at " + i + " comes a call of " + call);
            }
        }
        assertEquals(List.of("a", "a", "a", "b", "b", "b", "c", "c", "c"), calls.subList(0, 9));
        assertEquals(List.of("a", "a", "b", "b", "c", "c"), calls.subList(calls.size() - 6, calls.size()),
                "the last round is cut short to the samples asked for");
    }

    @Test
    void roundsAndBadCountsAreChecked() {
        assertEquals(5, InterleavedRounds.rounds(10));
        assertEquals(6, InterleavedRounds.rounds(11));
        assertEquals(1, InterleavedRounds.rounds(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InterleavedRounds.rounds(0));
        assertTrue(e.getMessage().contains("samples"), e.getMessage());
        IllegalArgumentException w = assertThrows(IllegalArgumentException.class,
                () -> InterleavedRounds.run(List.of(InterleavedRounds.Contender.of(() -> { })), -1, 2));
        assertTrue(w.getMessage().contains("warmupRounds"), w.getMessage());
    }
}
