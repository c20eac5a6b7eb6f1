/**
 * The engine-independent inference plan: a gated network in eval mode as plain host arrays, with every BatchNorm
 * folded, which every backend of {@link org.laudnet.core.exec} runs and which a plan file stores.
 *
 * <ul>
 *   <li>{@link InferencePlan} ({@link InferencePlan#of(org.laudnet.core.net.GatedNetwork)}): the folded stem, the
 *       optional max pool, one {@link BlockPlan} per block and the classifier.
 *   <li>{@link BlockPlan}: geometry, gate spec, folded conv1/conv2/conv3/downsample, optional
 *       {@link SqueezeExcitationPlan}, the block's {@link org.laudnet.core.cost.BlockCost} and its stage;
 *       {@code y = ReLU(identity + z * M3)} with the branch {@code z} computed under the channel mask.
 *   <li>{@link FoldedConv}: one convolution (a fully connected layer is a 1x1 convolution) with its eval-mode
 *       BatchNorm folded, {@code w' = w * scale}, {@code b' = b * scale + shift}; the project's only BatchNorm fold.
 *       Also the channel slices ({@link FoldedConv#slice}, {@link FoldedConv#sliceGroups}) that channel-gated paths
 *       run with.
 *   <li>{@link SpatialMasker} and {@link ChannelMasker}: the eval-mode maskers; a cell or group is kept when
 *       {@code keep >= skip} (method section 1).
 *   <li>{@link PlanFile}: the versioned, checksummed little-endian binary plan format ({@code "LAUDPLAN"}), read as
 *       untrusted input; failures are {@link PlanFormatException}s naming the source, position and value.
 * </ul>
 *
 * <p>Thread safety: plans are immutable and shared by every executor of a model, so their folded weights exist once
 * per model on the host. The arrays that {@link FoldedConv#weight()} and {@link FoldedConv#bias()} return are the
 * object's own storage and must not be modified.
 */
package org.laudnet.core.plan;
