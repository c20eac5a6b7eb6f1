package org.laudnet.spark;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.laudnet.models.inference.LaudModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models of this JVM (an executor, or the driver in local mode), one per {@link ModelSource#key()}: the first
 * task that needs a model loads it, every later task of the JVM shares it through the thread-safe {@link LaudModel} API
 * (each task thread makes its own predictor). Every use holds a {@link Lease}; a model without leases stays loaded for
 * the next task, and {@link #evictIdle()} closes such models on request. A shutdown hook, registered with the first
 * load, closes every model when the JVM exits.
 *
 * <p>{@link #loads()} and {@link #loads(String)} count the loads, so that tests and operators can check that a model
 * was loaded once per JVM. Thread-safe: loading is serialised per cache (a second task asking for a model being loaded
 * waits for it instead of loading it again).
 */
public final class LaudModelCache {

    private static final Logger LOG = LoggerFactory.getLogger(LaudModelCache.class);

    private static final LaudModelCache JVM = new LaudModelCache();

    private final Map<String, Entry> entries = new HashMap<>();
    private final Map<String, AtomicLong> loadsByKey = new HashMap<>();
    private final AtomicLong loads = new AtomicLong();
    private boolean hookInstalled;
    private boolean closed;

    /** One cached model with its count of leases. */
    private static final class Entry {
        final LaudModel model;
        int leases;

        Entry(LaudModel model) {
            this.model = model;
        }
    }

    /** A task's use of a cached model; closing it returns the model to the cache (it stays loaded). */
    public final class Lease implements AutoCloseable {
        private final String key;
        private final LaudModel model;
        private boolean released;

        private Lease(String key, LaudModel model) {
            this.key = key;
            this.model = model;
        }

        /** Returns the shared model: create predictors from it, never close it. */
        public LaudModel model() {
            return model;
        }

        /** Releases the lease (once; later calls do nothing). */
        @Override
        public void close() {
            synchronized (LaudModelCache.this) {
                if (released) {
                    return;
                }
                released = true;
                Entry e = entries.get(key);
                if (e != null && e.model == model) {
                    e.leases--;
                }
            }
        }
    }

    /** Creates an empty cache (the JVM's is {@link #jvm()}; separate caches are for tests). */
    LaudModelCache() {}

    /** Returns the cache of this JVM. */
    public static LaudModelCache jvm() {
        return JVM;
    }

    /**
     * Returns a lease on the model of a source, loading it if this cache does not hold it.
     *
     * @param source the model and device
     * @return the lease; the caller closes it when its task is done
     * @throws IOException if the model cannot be loaded ({@link ModelSource#load()})
     * @throws IllegalStateException if the cache has been closed (the JVM is shutting down)
     */
    public synchronized Lease acquire(ModelSource source) throws IOException {
        if (source == null) {
            throw new IllegalArgumentException("source must not be null");
        }
        if (closed) {
            throw new IllegalStateException("the model cache is closed (the JVM is shutting down)");
        }
        String key = source.key();
        Entry e = entries.get(key);
        if (e == null) {
            long start = System.nanoTime();
            LaudModel model = source.load();
            e = new Entry(model);
            entries.put(key, e);
            loads.incrementAndGet();
            loadsByKey.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
            installHook();
            LOG.info("loaded model {} in {} ms", key, (System.nanoTime() - start) / 1_000_000);
        }
        e.leases++;
        return new Lease(key, e.model);
    }

    /** Returns how many models this cache has loaded since the JVM started. */
    public long loads() {
        return loads.get();
    }

    /**
     * Returns how many times this cache has loaded one key's model.
     *
     * @param key a {@link ModelSource#key()}
     * @return the count, 0 if never
     */
    public synchronized long loads(String key) {
        AtomicLong n = loadsByKey.get(key);
        return n == null ? 0 : n.get();
    }

    /** Returns the keys of the models held now. */
    public synchronized java.util.Set<String> keys() {
        return java.util.Set.copyOf(entries.keySet());
    }

    /**
     * Returns the number of leases held on a key's model.
     *
     * @param key a {@link ModelSource#key()}
     * @return the leases, 0 if the model is not held
     */
    public synchronized int leases(String key) {
        Entry e = entries.get(key);
        return e == null ? 0 : e.leases;
    }

    /**
     * Closes the models no task holds; the next task that needs one loads it again.
     *
     * @return the number of models closed
     */
    public synchronized int evictIdle() {
        int n = 0;
        for (var it = entries.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Entry> e = it.next();
            if (e.getValue().leases == 0) {
                close(e.getKey(), e.getValue());
                it.remove();
                n++;
            }
        }
        return n;
    }

    /** Closes every model, leased or not, and refuses further loads (the shutdown hook's work). */
    public synchronized void closeAll() {
        closed = true;
        entries.forEach(LaudModelCache::close);
        entries.clear();
    }

    private static void close(String key, Entry e) {
        if (e.leases > 0) {
            LOG.warn("closing model {} with {} leases still held", key, e.leases);
        }
        try {
            e.model.close();
            LOG.debug("closed model {}", key);
        } catch (RuntimeException ex) {
            LOG.warn("closing model {} failed: {}", key, ex.toString());
        }
    }

    private void installHook() {
        if (!hookInstalled && this == JVM) {
            hookInstalled = true;
            Runtime.getRuntime().addShutdownHook(new Thread(this::closeAll, "laudnet-model-cache-shutdown"));
        }
    }
}
