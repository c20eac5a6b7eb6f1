package org.laudnet.core.exec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A small least-recently-used cache of what a backend derives from a {@link PatchPlan} (its gather and scatter index
 * tables), keyed by the plan's content (batch, geometry, patch list): the primitives of one block call, and repeated
 * calls with the same mask, build each entry once. The plan last asked for is answered without hashing. Evicted and
 * cleared entries are handed to the release action.
 *
 * <p>Not thread-safe: one kernels object owns a cache.
 *
 * @param <V> the cached value
 */
public final class PlanIndexCache<V> {

    private final Function<PatchPlan, V> build;
    private final Consumer<V> release;
    private final Map<Key, V> entries;
    private PatchPlan lastPlan;
    private V lastValue;

    /**
     * Creates an empty cache.
     *
     * @param capacity the most plans kept, at least 1
     * @param build builds the value of a plan on a miss
     * @param release called with each evicted or cleared value (e.g. to free uploaded arrays)
     * @throws IllegalArgumentException if {@code capacity < 1} or an argument is null
     */
    public PlanIndexCache(int capacity, Function<PatchPlan, V> build, Consumer<V> release) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        if (build == null || release == null) {
            throw new IllegalArgumentException("build and release must not be null");
        }
        this.build = build;
        this.release = release;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, V> eldest) {
                if (size() > capacity) {
                    release.accept(eldest.getValue());
                    return true;
                }
                return false;
            }
        };
    }

    /**
     * Returns the value of a plan, building it on a miss.
     *
     * @param plan the plan
     * @return its value (valid until evicted: use it within one primitive)
     */
    public V of(PatchPlan plan) {
        if (plan == lastPlan && lastValue != null) {
            return lastValue;
        }
        Key key = new Key(plan.batch(), plan.geometry(), plan.patches());
        V value = entries.get(key);
        if (value == null) {
            value = build.apply(plan);
            entries.put(key, value);
        }
        lastPlan = plan;
        lastValue = value;
        return value;
    }

    /** Releases and drops every cached value. */
    public void clear() {
        List<V> values = new ArrayList<>(entries.values());
        entries.clear();
        lastPlan = null;
        lastValue = null;
        values.forEach(release);
    }

    /** The content of a plan. */
    private record Key(int batch, SpatialGeometry geometry, int[] patches, int hash) {

        Key(int batch, SpatialGeometry geometry, int[] patches) {
            this(batch, geometry, patches, (31 * batch + geometry.hashCode()) * 31 + Arrays.hashCode(patches));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && k.batch == batch && k.geometry.equals(geometry)
                    && Arrays.equals(k.patches, patches);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
