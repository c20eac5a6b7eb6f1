package org.laudnet.bench.memory;

import java.util.Arrays;
import java.util.Random;
import org.laudnet.core.exec.GateOverride;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.util.Checks;

/**
 * Gate decisions drawn at random, for networks whose gates were never trained: every spatial cell and channel group
 * is open with probability {@code density}, every layer gate (a {@code 1 x 1} mask) opens its whole sample with that
 * probability. {@link #reseed} before a call makes its decisions a function of the seed, so a run that reseeds with a
 * repeating sequence repeats its decisions.
 *
 * <p>Not thread-safe: one per executor.
 */
public final class RandomGates implements GateOverride {

    private final double density;
    private final Random random = new Random();

    /**
     * Creates the override.
     *
     * @param density the probability that a unit is open, in {@code [0, 1]}
     */
    public RandomGates(double density) {
        this.density = Checks.inRange("density", density, 0, 1);
    }

    /** Returns the probability that a unit is open. */
    public double density() {
        return density;
    }

    /**
     * Restarts the random decisions from a seed.
     *
     * @param seed the seed
     */
    public void reseed(long seed) {
        random.setSeed(seed);
    }

    /** {@inheritDoc} */
    @Override
    public float[] spatial(int block, BlockPlan plan, int batch, float[] cells) {
        float[] r = new float[cells.length];
        int per = cells.length / batch;
        for (int b = 0; b < batch; b++) {
            if (plan.maskSize() == 1) {
                if (random.nextDouble() < density) {
                    Arrays.fill(r, b * per, (b + 1) * per, 1f);
                }
            } else {
                for (int i = 0; i < per; i++) {
                    r[b * per + i] = random.nextDouble() < density ? 1f : 0f;
                }
            }
        }
        return r;
    }

    /** {@inheritDoc} */
    @Override
    public float[] channel(int block, BlockPlan plan, int batch, float[] groups) {
        float[] r = new float[groups.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = random.nextDouble() < density ? 1f : 0f;
        }
        return r;
    }
}
