/**
 * Mask algebra of method section 1 ("Mask expansion") on NDArrays, differentiable with respect to the masks:
 * {@link MaskOps}.
 *
 * <ul>
 *   <li>{@code M3 = upsampleNearest(mask)}: the gate grid {@code (B, gs, m, m)} repeated to the block output
 *       {@code Hout x Wout};
 *   <li>{@code M1 = expandForConv3x3(M2, s)}: the input positions a 3x3 convolution with padding 1 and stride
 *       {@code s} reads for the kept outputs (placement on the stride grid, then a 3x3 max dilation);
 *   <li>{@code applySpatial} and {@code applyChannel}: features times a spatial mask whose groups cover contiguous
 *       channel blocks, or times a channel-group mask {@code (B, G)}.
 * </ul>
 *
 * Masks hold 0/1 float values. Stateless and thread-safe.
 */
package org.laudnet.core.mask;
