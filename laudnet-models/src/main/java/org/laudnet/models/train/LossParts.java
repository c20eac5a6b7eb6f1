package org.laudnet.models.train;

import ai.djl.ndarray.NDArray;

/**
 * The terms of the {@link LaudLoss} for one batch, all scalar arrays (differentiable where noted).
 *
 * @param total {@code w_ce * ce + a * T^2 * kd + lambda * cost} with {@code w_ce = 1} (reference form) or
 *     {@code 1 - a} ({@link DistillationWeighting#CONVEX}); {@code ce + lambda * cost} without a teacher;
 *     differentiable
 * @param ce cross entropy (with label smoothing if configured)
 * @param kd {@code KL(softmax(z_teacher / T) || softmax(z / T))}, batch mean, without the {@code T^2} factor; 0 without
 *     a teacher
 * @param cost {@code L_cost}
 * @param ratio the network ratio {@code F_dyn / F_static} under the cost model
 * @param hasTeacher whether teacher logits were present
 */
public record LossParts(NDArray total, NDArray ce, NDArray kd, NDArray cost, NDArray ratio, boolean hasTeacher) {}
