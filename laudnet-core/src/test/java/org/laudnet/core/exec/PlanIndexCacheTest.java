package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link PlanIndexCache}: hits by plan content, least-recently-used eviction, release of evicted and cleared values. */
class PlanIndexCacheTest {

    private static final SpatialGeometry G = SpatialGeometry.of(8, 8, 1, 4);

    private static PatchPlan plan(int... mask) {
        return PatchPlan.fromMask(mask, 1, G);
    }

    @Test
    void equalPlansShareOneValueAndEvictionsAndClearRelease() {
        List<String> released = new ArrayList<>();
        int[] built = {0};
        PlanIndexCache<String> cache = new PlanIndexCache<>(2, p -> "v" + built[0]++, released::add);
        String a = cache.of(plan(1, 0, 0, 0));
        assertSame(a, cache.of(plan(1, 0, 0, 0)), "an equal plan (another object) hits");
        String b = cache.of(plan(0, 1, 0, 0));
        assertNotSame(a, b);
        cache.of(plan(1, 0, 0, 0)); // a is now the most recently used
        cache.of(plan(0, 0, 1, 0)); // evicts b
        assertEquals(List.of("v1"), released);
        assertEquals(3, built[0]);
        cache.clear();
        assertEquals(3, released.size(), "clear releases what was left: " + released);
        assertEquals("v3", cache.of(plan(1, 0, 0, 0)), "after clear a plan is built again");
    }

    @Test
    void badArgumentsAreNamed() {
        assertThrows(IllegalArgumentException.class, () -> new PlanIndexCache<String>(0, p -> "", v -> { }));
        assertThrows(IllegalArgumentException.class, () -> new PlanIndexCache<String>(1, null, v -> { }));
    }
}
