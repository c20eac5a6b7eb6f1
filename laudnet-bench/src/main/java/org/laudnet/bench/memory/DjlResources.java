package org.laudnet.bench.memory;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import java.lang.reflect.Field;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the live DJL resources of an engine: every {@link NDManager} below the engine's system manager (the root of
 * all of its base managers and their sub-managers) and every {@link ai.djl.ndarray.NDArray} they hold.
 *
 * <p>Arrays are counted with DJL's public {@link NDManager#getManagedArrays()} of the system manager, which descends
 * into every sub-manager. DJL has no public way to list a manager's sub-managers, so managers are counted by walking
 * the {@code resources} map of {@link BaseNDManager} (a protected field, read by reflection); where that field cannot
 * be read, the manager count is {@code -1}.
 *
 * <p>Thread-safe: DJL's resource maps are concurrent; a count taken while other threads create or close arrays is a
 * snapshot of some moment during the walk.
 */
public final class DjlResources {

    private static final Logger LOG = LoggerFactory.getLogger(DjlResources.class);

    private final NDManager root;
    private final Field resources;

    /**
     * Live resources at one moment.
     *
     * @param managers NDManagers below the system manager ({@code -1} if they cannot be counted)
     * @param arrays NDArrays held by them
     */
    public record Counts(int managers, int arrays) {}

    private DjlResources(NDManager root, Field resources) {
        this.root = root;
        this.resources = resources;
    }

    /**
     * Creates a counter for an engine.
     *
     * @param engine the engine, e.g. {@code Engine.getEngine("PyTorch")}
     * @return the counter
     */
    public static DjlResources of(Engine engine) {
        NDManager root;
        try (NDManager probe = engine.newBaseManager()) {
            root = probe.getParentManager();
        }
        Field f = null;
        try {
            f = BaseNDManager.class.getDeclaredField("resources");
            f.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot read DJL's manager tree, managers are not counted: {}", e.toString());
            f = null;
        }
        return new DjlResources(root, f);
    }

    /** Returns whether managers are counted (see the class description). */
    public boolean countsManagers() {
        return resources != null;
    }

    /**
     * Counts the live managers and arrays.
     *
     * @return the counts
     */
    public Counts count() {
        int arrays = root.getManagedArrays().size();
        return new Counts(countManagers(), arrays);
    }

    private int countManagers() {
        if (resources == null) {
            return -1;
        }
        int managers = 0;
        Deque<NDManager> todo = new ArrayDeque<>();
        todo.push(root);
        try {
            while (!todo.isEmpty()) {
                NDManager m = todo.pop();
                if (!(m instanceof BaseNDManager)) {
                    continue;
                }
                Map<?, ?> children = (Map<?, ?>) resources.get(m);
                for (Object r : children.values()) {
                    if (r instanceof NDManager child) {
                        managers++;
                        todo.push(child);
                    }
                }
            }
        } catch (IllegalAccessException | RuntimeException e) {
            LOG.warn("cannot read DJL's manager tree: {}", e.toString());
            return -1;
        }
        return managers;
    }
}
