/**
 * The gated residual block in training form (method section 1): the one block class every LAUD backbone is made of,
 * computed densely and multiplied by its gates' masks so that gradients reach the gates.
 *
 * <p>{@link AbstractGatedBlock} holds the layers (conv1, conv2, optional conv3, optional downsample, optional
 * squeeze-excitation), the gates ({@link org.laudnet.core.gate.SpatialGate}, {@link org.laudnet.core.gate.ChannelGate})
 * and the computation once; subclasses only choose the block's shape through the self-typed
 * {@link AbstractGatedBlock.BaseBuilder}, which extends {@link BatchNormBuilder} (BatchNorm epsilon) and
 * {@link org.laudnet.core.gate.NoiseBuilder} (gate seed and Gumbel temperature), the settings that gated blocks and
 * backbones share. {@link GatedResidualBlock} is the ResNet basic block and bottleneck; the
 * RegNetY block with squeeze-excitation ({@code org.laudnet.models.regnet.GatedRegNetYBlock}) lives in laudnet-models.
 * A bottleneck on {@code x (B, Cin, Hin, Win)}:
 *
 * <pre>
 *   identity = downsample ? BN_d(conv1x1_s(x)) : x
 *   h = ReLU(BN1(conv1(x)))         * cm                  cm: channel mask (B, G) over groups of w / G channels
 *   h = ReLU(BN2(conv2_3x3_g(h)))   * cm
 *   h = h * sigmoid(fc2(ReLU(fc1(pool_M2(h)))))           squeeze-excitation only
 *   h = BN3(conv3(h))               * M3                  M3: spatial mask (B, gs, m, m) upsampled to Hout x Wout
 *   y = ReLU(h + identity)                                (B, Cout, Hout, Wout)
 * </pre>
 *
 * How a block is gated is a {@link GateSpec} (a {@link GateMode}: NONE, SPATIAL, CHANNEL, BOTH or LAYER, with the
 * spatial granularity {@code S}, mask groups {@code gs}, channel groups {@code G} and the channel masker kind);
 * {@link BlockType} and {@link StridePlacement} fix the block family and where a downsampling bottleneck strides. A
 * block's {@code forward} returns the named NDList of a {@link BlockResult} (output first, masks, densities
 * {@code d1, d2, d3, dc} and the differentiable dynamic MACs of {@link org.laudnet.core.cost.BlockCost}).
 *
 * <p>Thread safety: blocks are immutable after build; as every DJL block, their parameters may be read by many threads
 * (eval-mode forward) and trained by one.
 */
package org.laudnet.core.block;
