/**
 * Model files and the architecture registry: how a trained {@link org.laudnet.core.net.GatedNetwork} (gates
 * included) is stored and rebuilt.
 *
 * <p>{@link LaudModelFile} writes and reads the versioned {@code .laud} format: magic, version, a JSON header (the
 * architecture id and its family settings, stem, stage and gate specs, input size, classes, BatchNorm epsilon, seed,
 * and optionally the {@link ModelMetadata}: image preprocessing and class names), DJL's parameter stream, and a CRC-32.
 * Writes are atomic; reads check the magic, version, lengths and checksum before parsing, compare the parameter stream
 * with the rebuilt network's own ({@link ParameterStreamCheck}: structure, every length field, finite values) before
 * DJL reads it, and every failure is a {@link org.laudnet.models.weights.WeightFileException} naming the file (and the
 * parameter concerned). A load returns a {@link LoadedNetwork}.
 *
 * <p>Architectures are pluggable: an {@link ArchitectureFactory} writes a {@link org.laudnet.core.net.BlockFamily}'s
 * settings and rebuilds the family from them; an {@link ArchitectureRegistry} finds factories by id (the built-in
 * {@code "resnet"} and {@code "regnety"}, plus extensions found through {@link java.util.ServiceLoader}), and the
 * network is rebuilt with {@link org.laudnet.core.net.GatedBackbone#builder}. {@link JsonFields} are the strict header
 * field readers factories use.
 *
 * <p>Stateless and thread-safe; registries are immutable.
 */
package org.laudnet.models.io;
