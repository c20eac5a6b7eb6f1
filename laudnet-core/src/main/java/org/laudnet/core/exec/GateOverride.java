package org.laudnet.core.exec;

import java.util.Arrays;
import java.util.Random;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.util.Checks;

/**
 * Replaces the gates' decisions after the maskers ran (benchmarks and checks that measure a network at imposed
 * densities; the maskers' cost is still paid). Returning the given decisions unchanged leaves a block as its gates
 * decided. Called on the thread of the executor it is set on; an override shared by executors of several threads
 * must be thread-safe (the {@link #density} override is, though its random choices then depend on the calls' order).
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
     * one), chosen at random from a seed (for a layer gate, {@code round(density * B)} samples of the batch).
     *
     * @param density the fraction of open units, in {@code [0, 1]}
     * @param seed the seed of the random choice
     * @return the override
     */
    static GateOverride density(double density, long seed) {
        Checks.inRange("density", density, 0, 1);
        return new GateOverride() {
            private final Random random = new Random(seed);

            @Override
            public float[] spatial(int block, BlockPlan plan, int batch, float[] cells) {
                int per = cells.length / batch;
                return plan.maskSize() == 1 ? openSamples(batch, per) : openUnits(batch, per);
            }

            @Override
            public float[] channel(int block, BlockPlan plan, int batch, float[] groups) {
                return openUnits(batch, groups.length / batch);
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

            /** round(density * batch) samples open every unit (a layer gate), the others none. */
            private float[] openSamples(int batch, int per) {
                float[] r = new float[batch * per];
                int[] order = shuffled(batch);
                int n = (int) Math.round(density * batch);
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
