/**
 * LAUD-ResNet: ResNet-18/34/50/101 as a {@link org.laudnet.core.net.GatedBackbone} of gated residual blocks.
 *
 * <p>{@link LaudResNet} is the factory (a builder over the backbone's, with one
 * {@link org.laudnet.core.net.StageSpec} per stage and per-stage gates); {@link ResNetDepth} holds the standard stage
 * tables (widths 64, 128, 256, 512; bottleneck stages output {@code 4 w} channels); {@link ResNetFamily} is the block
 * family: basic blocks or bottlenecks as {@link org.laudnet.core.block.GatedResidualBlock}s, with the stride of a
 * downsampling bottleneck on the 3x3 convolution (torchvision "v1.5") or on the first 1x1 (Keras "v1"), and optional
 * convolution biases (Keras weights). {@link ResNetArchitectureFactory} describes the family to model files (id
 * {@code "resnet"}).
 *
 * <p>With every stage {@code NONE} the network is the static ResNet; with fresh (open) gates it computes the static
 * network's function. Families and factories are immutable and thread-safe; networks as every DJL block.
 */
package org.laudnet.models.resnet;
