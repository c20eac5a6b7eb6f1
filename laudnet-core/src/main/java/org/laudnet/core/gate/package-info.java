/**
 * The gates of LAUDNet (method sections 1 and 2): maskers that decide per input which output patches, channel groups
 * or whole residual branches a block computes.
 *
 * <ul>
 *   <li>{@link SpatialGate}: {@code avgPool(x)} to {@code m x m}, a 1x1 convolution to {@code 2 gs} keep/skip logits,
 *       mask {@code (B, gs, m, m)}; each cell covers {@code S x S} output pixels. With {@code m = 1} it is the layer
 *       gate ({@link SpatialGate#layerGate}).
 *   <li>{@link ChannelGate}: a {@link ChannelMaskerKind} masker (MLP-1, MLP-2, conv-linear) on the block input, mask
 *       {@code (B, G)} over contiguous groups of {@code w / G} channels.
 *   <li>{@link GumbelSoftmax}: hard Gumbel-softmax over the keep/skip axis with a straight-through gradient in
 *       training ({@code y = y_hard - stopGradient(y_soft) + y_soft}); the deterministic rule {@code keep >= skip} in
 *       evaluation.
 *   <li>{@link GumbelTemperature} (the temperature and noise scale a network's gates share, driven per update) and
 *       {@link ExponentialTemperatureTracker} ({@code tau(t) = tau0 (tau1 / tau0)^(min(t, T) / T)}).
 *   <li>{@link KeepSkipBiasInitializer}: the last masker layer starts with zero weights and a keep bias above the skip
 *       bias, so fresh gates are open and a network with fresh gates computes its static function.
 * </ul>
 *
 * Gates, gated blocks and backbones are configured through builders that extend the self-typed {@link NoiseBuilder}
 * (noise seed, shared temperature). A gate returns the named NDList of a {@link GateResult} (mask, logits, masker MACs). {@link SpatialGate#toMasker}
 * and {@link ChannelGate#toMasker} give the eval-mode maskers of an inference plan.
 *
 * <p>Thread safety: gates are DJL blocks, immutable after build except for their noise generator, which
 * training-mode calls advance; evaluation is deterministic and may run on many threads.
 */
package org.laudnet.core.gate;
