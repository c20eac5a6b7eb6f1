/**
 * LAUD-RegNetY: RegNetY-400MF and 800MF as a {@link org.laudnet.core.net.GatedBackbone} of gated RegNetY blocks.
 *
 * <p>{@link GatedRegNetYBlock} is an {@link org.laudnet.core.block.AbstractGatedBlock} bottleneck with bottleneck
 * ratio 1, a grouped 3x3 convolution ({@code g = w / groupWidth}) that carries the stride, and a squeeze-excitation of
 * width {@code q = round(seRatio * Cin)}:
 *
 * <pre>
 *   h = ReLU(BN1(conv1(x))) * cm;  h = ReLU(BN2(conv2_3x3_s_g(h))) * cm
 *   h = h * sigmoid(fc2(ReLU(fc1(pool_M2(h)))));  y = ReLU(BN3(conv3(h)) * M3 + identity)
 * </pre>
 *
 * Under a spatial mask the squeeze averages over the positions the block computes ({@code M2}), which sparse
 * execution reproduces exactly; this is the project's choice. {@link LaudRegNet} is the factory (3x3/2 stem with 32
 * channels), {@link RegNetVariant} the torchvision stage tables, {@link RegNetYFamily} the block family and
 * {@link RegNetYArchitectureFactory} its model-file description (id {@code "regnety"}).
 *
 * <p>Families and factories are immutable and thread-safe; networks as every DJL block.
 */
package org.laudnet.models.regnet;
