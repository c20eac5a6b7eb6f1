/**
 * Cost accounting of gated residual blocks (method section 3): static shapes, densities and multiply-accumulate
 * counts.
 *
 * <p>{@link BlockGeometry} is the static shape of a block (family, {@code Cin}, width {@code w}, {@code Cout}, input
 * size, stride, 3x3 groups {@code g}, stride placement) with {@code Hout = (Hin - 1) / s + 1};
 * {@link BlockDensities} holds the fraction of work per convolution ({@code d1} of the dilated mask {@code M1},
 * {@code d2} and {@code d3} of {@code M3}, channel density {@code dc}); {@link BlockCost} turns them into MACs. For a
 * bottleneck:
 *
 * <pre>
 *   F_dyn = conv1 * dc * d1 + conv2 * dc^2 * d2 + conv3 * dc * d3 + se * dc + downsample + maskers
 *   conv1 = Cin w px(H1),  conv2 = 9 w^2 / g px(Hout),  conv3 = w Cout px(Hout),  se = 2 w q
 * </pre>
 *
 * (a basic block has two 3x3 convolutions and {@code conv2 * dc * d2}). {@link BlockCost#denseMacs()} is the static
 * block (no maskers); the block ratio of the training loss is {@code r_b = dynamic / (dense + maskers)}
 * ({@link BlockRatioForm}; the masker count follows a {@link MaskerMacsConvention}), available on doubles and, for the
 * loss, on scalar arrays so that gradients reach the gates.
 *
 * <p>Every type is an immutable record or enum; thread-safe.
 */
package org.laudnet.core.cost;
