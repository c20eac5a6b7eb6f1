package org.laudnet.models.train;

/**
 * One stage's share of an epoch's statistics (means over the epoch's training samples).
 *
 * @param stage stage index, from 0
 * @param density mean over the stage's gated blocks of {@code d3 * dc} (1 when the stage is not gated)
 * @param macsRatio the stage's MACs ratio {@code sum_b F_b(d) / sum_b F_b(1)} over its blocks (maskers included)
 */
public record StageStats(int stage, double density, double macsRatio) {}
