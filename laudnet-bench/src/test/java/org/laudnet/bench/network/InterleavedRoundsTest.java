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
    void aContenderThatCountsItsPrimitivesSettlesUntilEightCallsCreateNone() {
        int[] calls = new int[3];
        // a: creates a primitive in each of its first 5 calls; b: in every call; c: cannot tell
        InterleavedRounds.Contender a = new InterleavedRounds.Contender(() -> { }, () -> calls[0]++, () -> { },
                () -> Math.min(calls[0], 5));
        InterleavedRounds.Contender b = new InterleavedRounds.Contender(() -> { }, () -> calls[1]++, () -> { },
                () -> calls[1]);
        InterleavedRounds.Contender c = InterleavedRounds.Contender.of(() -> calls[2]++);
        assertEquals(5 + InterleavedRounds.STEADY_CALLS, a.settle());
        assertEquals(InterleavedRounds.MAX_SETTLING_CALLS, b.settle());
        assertEquals(0, c.settle());
        assertEquals(0, calls[2]);
        int[] before = calls.clone();
        InterleavedRounds.run(List.of(a, b, c), 0, 2);
        // settling (a: already steady, 8 calls; b: 64), then one round: primer and 2 timed calls each
        assertEquals(InterleavedRounds.STEADY_CALLS + 3, calls[0] - before[0]);
        assertEquals(InterleavedRounds.MAX_SETTLING_CALLS + 3, calls[1] - before[1]);
        assertEquals(3, calls[2] - before[2]);
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
