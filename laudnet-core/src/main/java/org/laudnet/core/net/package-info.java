/**
 * Whole LAUD backbones in training form: a stem, stages of gated residual blocks and a classification head.
 *
 * <pre>
 *   x (B, C, S, S) -> stem (conv k/s + BN + ReLU [+ maxPool 3x3/2]) -> stage 1 .. stage n of gated blocks
 *                  -> global average pool -> Linear(classes) -> logits (B, classes)
 *   F_dyn = stemMacs + headMacs + sum_b blockDynamicMacs(b, d_b)                    (method section 3)
 * </pre>
 *
 * {@link GatedNetwork} is the interface that training, the cost models, latency estimation, inference plans and model
 * files work on; {@link GatedBackbone} is its one implementation, configured by a {@link BlockFamily} (how the blocks
 * of each {@link BlockSlot} are built: ResNet and RegNetY in laudnet-models), a {@link StemSpec} and one
 * {@link StageSpec} per stage (blocks, width, output channels, stride, gate spec). Architectures offer builders that
 * extend the self-typed {@link GatedBackbone.BaseBuilder}; {@link GatedBackbone#builder} builds any family (model
 * files rebuild networks this way). As a DJL block a network's
 * {@code forward} returns the logits only, so it works in a DJL {@code Model} and {@code Predictor};
 * {@link GatedNetwork#run} returns the typed {@link NetworkResult} (logits, per-block densities, dynamic MACs) that
 * training needs.
 *
 * <p>Thread safety: networks are immutable after build and, as every DJL block, read by many threads and trained by
 * one.
 */
package org.laudnet.core.net;
