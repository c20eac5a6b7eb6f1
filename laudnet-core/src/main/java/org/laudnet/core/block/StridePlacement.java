package org.laudnet.core.block;

/**
 * Where a downsampling bottleneck places its stride.
 *
 * <ul>
 *   <li>{@link #CONV2}: on the 3x3 convolution (torchvision "v1.5"); conv1 runs at the input resolution.
 *   <li>{@link #CONV1}: on the first 1x1 convolution (original/Keras "v1"); conv1 already runs at the output
 *       resolution and conv2 has stride 1.
 * </ul>
 *
 * <p>Basic blocks always stride on their first (3x3) convolution; for them the placement is ignored.
 */
public enum StridePlacement {
    /** Stride on the 3x3 convolution (torchvision ResNet v1.5). */
    CONV2,
    /** Stride on the first 1x1 convolution (Keras ResNet v1). */
    CONV1
}
