package org.laudnet.core.exec;

import java.util.Arrays;
import java.util.Random;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.util.Checks;

/**
 * Replaces the gates' decisions after the maskers ran (benchmarks and checks that measure a network at imposed
 * densities; the maskers' cost is still paid). Returning the given decisions unchanged leaves a block as its gates
 * decided. Called on the thread of the executor it is set on; an override shared by executors of several threads
 * must be thread-safe (the {@link #density} override is, but it must not be shared by executors that run at the same
 * time: its choices then depend on the calls' interleaving, and a layer gate's share per call is tracked by block
 * index).
 */
public interface GateOverride {

    /**
     * Returns the spatial (or layer) decisions a block uses.
     *
     * @param block the block index
     * @param plan the block
     * @param batch the batch size
     * @param cells the gates' decisions, 0/1 {@code (B, gs, m, m)}; for uneven cells ({@link BlockPlan#evenCells()}
     *     false) the per-pixel grid {@code (B, gs, Hout, Hout)} that the executors run
     *     ({@link BlockPlan#executionGridSize()})
     * @return the decisions to use, same length
     */
    float[] spatial(int block, BlockPlan plan, int batch, float[] cells);

    /**
     * Returns the channel decisions a block uses.
     *
     * @param block the block index
     * @param plan the block
     * @param batch the batch size
     * @param groups the gates' decisions, 0/1 {@code (B, G)}
     * @return the decisions to use, same length
     */
    float[] channel(int block, BlockPlan plan, int batch, float[] groups);

    /**
     * Imposes a density on every gated block: each sample opens {@code round(density * units)} of its units (at least
     * one), chosen at random from a seed. A layer gate decides whole samples, so a per-block rounding would open every
     * block at batch 1 and density 0.5; instead the open (sample, block) pairs of one network call are spread over its
     * layer-gated blocks: the {@code k}-th such block of a call opens
     * {@code floor(u + (k + 1) d B) - floor(u + k d B)} samples (at random), with {@code u} drawn uniformly in
     * {@code [0, 1)} per call, so a call opens {@code d B} samples per block on average over its blocks (exactly
     * {@code d B} in every block when that is a whole number, e.g. 4 of 8 at density 0.5) and at batch 1 density 0.5
     * runs every other layer-gated block. A call starts when a block index is not above the previous one.
     *
     * @param density the fraction of open units, in {@code [0, 1]}
     * @param seed the seed of the random choice
     * @return the override
     */
    static GateOverride density(double density, long seed) {
        Checks.inRange("density", density, 0, 1);
        return new GateOverride() {
            private final Random random = new Random(seed);
            /** The previous block index of the current call; a call starts at an index not above it. */
            private int lastBlock = Integer.MAX_VALUE;
            /** The layer-gated blocks of the current call so far. */
            private int layerBlocks;
            /** The current call's offset {@code u}. */
            private double offset;

            @Override
            public synchronized float[] spatial(int block, BlockPlan plan, int batch, float[] cells) {
                track(block);
                int per = cells.length / batch;
                return plan.maskSize() == 1 ? openSamples(batch, per) : openUnits(batch, per);
            }

            @Override
            public synchronized float[] channel(int block, BlockPlan plan, int batch, float[] groups) {
                track(block);
                return openUnits(batch, groups.length / batch);
            }

            private void track(int block) {
                if (block <= lastBlock) {
                    layerBlocks = 0;
                    offset = random.nextDouble();
                }
                lastBlock = block;
            }

            /** Each sample opens max(1, round(density * per)) of its units. */
            private float[] openUnits(int batch, int per) {
                float[] r = new float[batch * per];
                int n = Math.max(1, (int) Math.round(density * per));
                for (int b = 0; b < batch; b++) {
                    int[] order = shuffled(per);
                    for (int i = 0; i < n; i++) {
                        r[b * per + order[i]] = 1f;
                    }
                }
                return r;
            }

            /** The call's next share of open samples (a layer gate) open every unit, the others none. */
            private float[] openSamples(int batch, int per) {
                float[] r = new float[batch * per];
                int[] order = shuffled(batch);
                double perBlock = density * batch;
                int k = layerBlocks++;
                int n = (int) (Math.floor(offset + (k + 1) * perBlock + 1e-9) - Math.floor(offset + k * perBlock
                        + 1e-9));
                for (int i = 0; i < n; i++) {
                    Arrays.fill(r, order[i] * per, (order[i] + 1) * per, 1f);
                }
                return r;
            }

            private int[] shuffled(int n) {
                return Permutations.shuffled(n, random);
            }
        };
    }
}
