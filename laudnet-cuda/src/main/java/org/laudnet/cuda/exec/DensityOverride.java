package org.laudnet.cuda.exec;

import java.util.Random;
import org.laudnet.cuda.plan.PlanBlock;

/**
 * A {@link GateOverride} with a fixed target density {@code d}: each sample keeps exactly {@code round(d m^2)} (at
 * least one) randomly chosen cells of a spatial mask and {@code round(d G)} (at least one) channel groups; layer gates
 * keep sample {@code b} of block {@code j} when {@code floor((jB + b + 1) d) > floor((jB + b) d)}, which spreads exactly
 * a fraction {@code d} of the (block, sample) pairs evenly over the network. Choices depend only on the seed, the block
 * index and the batch, so repeated calls apply identical masks.
 */
public final class DensityOverride implements GateOverride {

    private final double density;
    private final long seed;

    /**
     * Creates the override.
     *
     * @param density target density in {@code (0, 1]}
     * @param seed seed of the random choices
     */
    public DensityOverride(double density, long seed) {
        if (!(density > 0 && density <= 1)) {
            throw new IllegalArgumentException("density must be in (0, 1], got " + density);
        }
        this.density = density;
        this.seed = seed;
    }

    /** Returns the target density. */
    public double density() {
        return density;
    }

    /** {@inheritDoc} */
    @Override
    public int[] spatialMask(int blockIndex, PlanBlock block, int batch, int[] computed) {
        int cells = computed.length / batch;
        int[] mask = new int[computed.length];
        if (cells == 1) {
            for (int b = 0; b < batch; b++) {
                long k = (long) blockIndex * batch + b;
                mask[b] = Math.floor((k + 1) * density) > Math.floor(k * density) ? 1 : 0;
            }
            return mask;
        }
        Random r = new Random(seed * 31 + blockIndex);
        int keep = Math.max(1, (int) Math.round(density * cells));
        for (int b = 0; b < batch; b++) {
            choose(r, cells, keep, mask, b * cells);
        }
        return mask;
    }

    /** {@inheritDoc} */
    @Override
    public int[] channelMask(int blockIndex, PlanBlock block, int batch, int[] computed) {
        int groups = computed.length / batch;
        int[] mask = new int[computed.length];
        Random r = new Random(seed * 37 + blockIndex + 1_000_003L);
        int keep = Math.max(1, (int) Math.round(density * groups));
        for (int b = 0; b < batch; b++) {
            choose(r, groups, keep, mask, b * groups);
        }
        return mask;
    }

    private static void choose(Random r, int n, int keep, int[] mask, int offset) {
        int[] order = new int[n];
        for (int k = 0; k < n; k++) {
            order[k] = k;
        }
        for (int k = n - 1; k > 0; k--) {
            int j = r.nextInt(k + 1);
            int t = order[k];
            order[k] = order[j];
            order[j] = t;
        }
        for (int k = 0; k < keep; k++) {
            mask[offset + order[k]] = 1;
        }
    }
}
