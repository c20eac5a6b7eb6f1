package org.laudnet.models.io;

import org.laudnet.core.net.GatedBackbone;

/**
 * A network read from a model file, with what the file records about it.
 *
 * @param network the initialised network with its parameters (its family says the architecture)
 * @param metadata the preprocessing and class names the file records ({@link ModelMetadata#none()} when none)
 */
public record LoadedNetwork(GatedBackbone network, ModelMetadata metadata) {

    /** Validates the fields. */
    public LoadedNetwork {
        if (network == null || metadata == null) {
            throw new IllegalArgumentException("network and metadata must not be null");
        }
    }

    /** Returns the architecture id of the network ({@code network().getFamily().id()}). */
    public String architecture() {
        return network.getFamily().id();
    }
}
