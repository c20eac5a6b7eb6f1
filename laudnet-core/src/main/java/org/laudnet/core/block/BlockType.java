package org.laudnet.core.block;

/**
 * The residual block family.
 *
 * <ul>
 *   <li>{@link #BOTTLENECK}: {@code conv1 1x1 (Cin->w) -> conv2 3x3 (w->w, groups g) -> conv3 1x1 (w->Cout)}, each
 *       followed by BatchNorm, ReLU after the first two (ResNet-50/101, and RegNetY with squeeze-excitation).
 *   <li>{@link #BASIC}: {@code conv1 3x3 (Cin->w) -> conv2 3x3 (w->Cout)} (ResNet-18/34), where {@code w = Cout}.
 * </ul>
 */
public enum BlockType {
    /** Three-convolution bottleneck block. */
    BOTTLENECK,
    /** Two-convolution basic block. */
    BASIC
}
