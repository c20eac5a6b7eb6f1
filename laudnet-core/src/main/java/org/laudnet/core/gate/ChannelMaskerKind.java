package org.laudnet.core.gate;

/**
 * The masker architecture of a channel gate (method section 1, "Channel gate").
 *
 * <ul>
 *   <li>{@link #MLP_1}: global average pool, then {@code Linear(Cin -> 2G)}.
 *   <li>{@link #MLP_2}: global average pool, {@code Linear(Cin -> h)}, ReLU, {@code Linear(h -> 2G)} with
 *       {@code h = max(G / reduction, 16)}.
 *   <li>{@link #CONV_LINEAR}: {@code conv1x1(Cin -> Cin / reduction)} + BatchNorm + ReLU, global average pool,
 *       {@code Linear -> 2G}.
 * </ul>
 */
public enum ChannelMaskerKind {
    /** One linear layer on pooled features. */
    MLP_1,
    /** Two linear layers with a ReLU on pooled features. */
    MLP_2,
    /** A 1x1 convolution with BatchNorm and ReLU, pooling, then a linear layer. */
    CONV_LINEAR
}
