/**
 * CPU benchmarks of single blocks ({@code laudnet bench blocks}): {@link BlockBenchmark} times the static folded
 * ResNet-50 bottleneck of each stage against the gated {@link org.laudnet.core.exec.BlockExecutor} (path policy
 * {@code AUTO}, maskers included) per batch size, gate mode and density, interleaved, under seeded masks with exactly
 * {@code round(d * units)} open units; {@link BlockProfile} splits a block call into its execution phases with a
 * {@link org.laudnet.core.exec.PhaseTimer}.
 */
package org.laudnet.bench.blocks;
