package org.laudnet.models.io;

import com.google.gson.JsonObject;
import org.laudnet.core.net.BlockFamily;

/**
 * Describes one architecture (one kind of {@link BlockFamily}) to model files: how its family's settings are written
 * into a file header and how a family is rebuilt from them. {@link LaudModelFile} records a network's
 * {@link BlockFamily#id()} and {@link #settings} and, when loading, looks the id up in an
 * {@link ArchitectureRegistry} and rebuilds the backbone with {@link #family}.
 *
 * <p>The built-in factories cover {@code "resnet"} and {@code "regnety"}; further architectures are added by
 * implementing this interface and listing the class in
 * {@code META-INF/services/org.laudnet.models.io.ArchitectureFactory} (a public no-argument constructor is required).
 * Implementations must be stateless and thread-safe.
 */
public interface ArchitectureFactory {

    /**
     * Returns the architecture identifier, equal to the {@link BlockFamily#id()} of the families this factory
     * describes (lower case, stable; lookups ignore case).
     *
     * @return the identifier
     */
    String id();

    /**
     * Returns a family's settings as a JSON object (every field needed to rebuild it with {@link #family}).
     *
     * @param family a family whose {@link BlockFamily#id()} is {@link #id()}
     * @return a new JSON object
     * @throws IllegalArgumentException if the family is not one this factory describes
     */
    JsonObject settings(BlockFamily family);

    /**
     * Rebuilds a family from settings written by {@link #settings}.
     *
     * @param settings the JSON object
     * @return the family
     * @throws IllegalArgumentException naming the missing or invalid field
     */
    BlockFamily family(JsonObject settings);
}
