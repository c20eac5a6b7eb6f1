package org.laudnet.core.block;

/**
 * Where a channel gate's mask multiplies a bottleneck's conv1 and conv2 outputs (a basic block's conv1 output).
 *
 * <ul>
 *   <li>{@link #AFTER_ACTIVATION}: {@code ReLU(BN(conv(x))) * mask}, this project's default. A skipped channel is
 *       exactly 0, which is what skipping its computation yields.
 *   <li>{@link #BEFORE_NORM}: {@code ReLU(BN(conv(x) * mask))}, the reference implementation's placement. A skipped
 *       channel {@code k} carries the constant {@code c_k = ReLU(beta_k - gamma_k mu_k / sqrt(var_k + eps))} into the
 *       next convolution (inside the image; the 3x3 convolution's zero padding stays 0), and in training the
 *       BatchNorm statistics include the masked zeros. The sparse executors run it exactly: the constants enter the
 *       next convolution as per-pattern weights of an extra input channel that is 1 inside the image (conv2) or as a
 *       per-pattern bias (conv3).
 * </ul>
 *
 * The placement needs convolutions without bias where the mask acts (as torchvision and the reference) and an
 * ungrouped 3x3 convolution without squeeze-excitation (ResNets). Immutable; thread-safe.
 */
public enum ChannelMaskPlacement {
    /** {@code ReLU(BN(conv)) * mask}: skipped channels are 0. */
    AFTER_ACTIVATION,
    /** {@code ReLU(BN(conv * mask))}: the reference implementation's placement. */
    BEFORE_NORM
}
