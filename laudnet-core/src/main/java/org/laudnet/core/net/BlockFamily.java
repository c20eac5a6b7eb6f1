package org.laudnet.core.net;

import org.laudnet.core.block.AbstractGatedBlock;

/**
 * How the blocks of a {@link GatedBackbone} are built: the part of an architecture that differs between ResNet and
 * RegNetY. A family is an immutable value (a record in practice) whose fields are the architecture's settings; model
 * files record its {@link #id()} and settings and rebuild it through a registry of factories.
 */
public interface BlockFamily {

    /**
     * Returns the identifier of the architecture, e.g. {@code "resnet"} or {@code "regnety"}: lower case, stable,
     * recorded in model files.
     *
     * @return the identifier
     */
    String id();

    /** Returns whether the stem convolution has a bias (Keras ResNet-50 weights have one; default false). */
    default boolean stemConvBias() {
        return false;
    }

    /**
     * Builds the block of one slot of the network.
     *
     * @param slot where the block sits and what it must accept
     * @return the (uninitialised) block
     * @throws IllegalArgumentException if the slot's stage spec does not fit the family
     */
    AbstractGatedBlock newBlock(BlockSlot slot);
}
