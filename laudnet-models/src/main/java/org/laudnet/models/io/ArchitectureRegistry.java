package org.laudnet.models.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.laudnet.models.regnet.RegNetYArchitectureFactory;
import org.laudnet.models.resnet.ResNetArchitectureFactory;
import org.laudnet.models.weights.WeightFileException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The architectures model files can hold: {@link ArchitectureFactory}s looked up by their id, ignoring case.
 *
 * <p>{@link #standard()} holds the built-in factories ({@code "resnet"}, {@code "regnety"}) plus every factory that
 * {@link ServiceLoader} finds for {@link ArchitectureFactory} (extensions list their class in
 * {@code META-INF/services/org.laudnet.models.io.ArchitectureFactory}). A built-in id cannot be replaced by an
 * extension; an extension that fails to load or repeats an id is skipped with a warning. Registries are immutable and
 * thread-safe.
 */
public final class ArchitectureRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(ArchitectureRegistry.class);

    private final Map<String, ArchitectureFactory> byId;

    private ArchitectureRegistry(Map<String, ArchitectureFactory> byId) {
        this.byId = Collections.unmodifiableMap(new LinkedHashMap<>(byId));
    }

    /** Lazily built standard registry (the service lookup runs once). */
    private static final class Standard {
        static final ArchitectureRegistry INSTANCE = load();

        private static ArchitectureRegistry load() {
            Map<String, ArchitectureFactory> map = new LinkedHashMap<>();
            for (ArchitectureFactory f : builtIns()) {
                map.put(key(f.id()), f);
            }
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            if (loader == null) {
                loader = ArchitectureRegistry.class.getClassLoader();
            }
            Iterator<ArchitectureFactory> it = ServiceLoader.load(ArchitectureFactory.class, loader).iterator();
            while (true) {
                ArchitectureFactory f;
                try {
                    if (!it.hasNext()) {
                        break;
                    }
                    f = it.next();
                } catch (ServiceConfigurationError e) {
                    LOG.warn("skipping an architecture factory that cannot be loaded: {}", e.getMessage());
                    continue;
                }
                String id = f.id();
                if (id == null || id.isBlank()) {
                    LOG.warn("skipping architecture factory {}: it has no id", f.getClass().getName());
                } else if (map.containsKey(key(id))) {
                    LOG.warn("skipping architecture factory {}: id '{}' is already registered by {}",
                            f.getClass().getName(), id, map.get(key(id)).getClass().getName());
                } else {
                    map.put(key(id), f);
                }
            }
            return new ArchitectureRegistry(map);
        }
    }

    private static List<ArchitectureFactory> builtIns() {
        return List.of(new ResNetArchitectureFactory(), new RegNetYArchitectureFactory());
    }

    /**
     * Returns the registry of the built-in architectures and of every {@link ServiceLoader} extension (looked up once,
     * with the calling thread's context class loader at the first call).
     *
     * @return the standard registry
     */
    public static ArchitectureRegistry standard() {
        return Standard.INSTANCE;
    }

    /**
     * Returns a registry of the built-in architectures only ({@code "resnet"}, {@code "regnety"}).
     *
     * @return the registry
     */
    public static ArchitectureRegistry builtIn() {
        return of(builtIns());
    }

    /**
     * Returns a registry of the given factories.
     *
     * @param factories the factories, with distinct ids (ignoring case)
     * @return the registry
     * @throws IllegalArgumentException if a factory is null, has no id, or two share an id
     */
    public static ArchitectureRegistry of(Collection<? extends ArchitectureFactory> factories) {
        if (factories == null) {
            throw new IllegalArgumentException("factories must not be null");
        }
        Map<String, ArchitectureFactory> map = new LinkedHashMap<>();
        for (ArchitectureFactory f : factories) {
            if (f == null || f.id() == null || f.id().isBlank()) {
                throw new IllegalArgumentException("every factory must be non-null and have an id, got " + f);
            }
            if (map.put(key(f.id()), f) != null) {
                throw new IllegalArgumentException("architecture id '" + f.id() + "' is registered twice");
            }
        }
        return new ArchitectureRegistry(map);
    }

    /**
     * Returns this registry with one more factory.
     *
     * @param factory the factory, whose id is not registered yet
     * @return a new registry
     * @throws IllegalArgumentException if the id is already registered
     */
    public ArchitectureRegistry with(ArchitectureFactory factory) {
        List<ArchitectureFactory> list = new ArrayList<>(byId.values());
        list.add(factory);
        return of(list);
    }

    private static String key(String id) {
        return id.toLowerCase(Locale.ROOT);
    }

    /** Returns the registered ids, in registration order. */
    public List<String> ids() {
        return byId.values().stream().map(ArchitectureFactory::id).toList();
    }

    /**
     * Looks a factory up by id, ignoring case.
     *
     * @param id the architecture id
     * @return the factory, or empty
     */
    public Optional<ArchitectureFactory> find(String id) {
        return id == null ? Optional.empty() : Optional.ofNullable(byId.get(key(id)));
    }

    /**
     * Looks a factory up by id for a model file, ignoring case.
     *
     * @param id the architecture id
     * @param file the file being read or written (named in the error)
     * @return the factory
     * @throws WeightFileException naming the file, the unknown id and the known ones
     */
    public ArchitectureFactory require(String id, Path file) throws WeightFileException {
        Optional<ArchitectureFactory> f = find(id);
        if (f.isEmpty()) {
            String shown = id == null ? "null" : id.length() <= 100 ? id : id.substring(0, 100) + "...";
            throw new WeightFileException(file, "unknown architecture '" + shown + "' (known architectures: "
                    + String.join(", ", ids()) + ")");
        }
        return f.get();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "ArchitectureRegistry" + ids();
    }
}
