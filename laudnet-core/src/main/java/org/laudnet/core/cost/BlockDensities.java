package org.laudnet.core.cost;

import org.laudnet.core.util.Checks;

/**
 * The fraction of work a gated block performs, per convolution (method section 1, "Mask expansion").
 *
 * @param d1 density of conv1's computed output positions (the dilated mask {@code M1})
 * @param d2 density of conv2's computed output positions ({@code M2 = M3})
 * @param d3 density of conv3's computed output positions ({@code M3}); unused by basic blocks
 * @param dc channel density (mean of the channel mask), 1 without a channel gate
 */
public record BlockDensities(double d1, double d2, double d3, double dc) {

    /** Every density 1: the static block. */
    public static final BlockDensities FULL = new BlockDensities(1, 1, 1, 1);

    /** Validates that every density lies in {@code [0, 1]}. */
    public BlockDensities {
        Checks.inRange("d1", d1, 0, 1);
        Checks.inRange("d2", d2, 0, 1);
        Checks.inRange("d3", d3, 0, 1);
        Checks.inRange("dc", dc, 0, 1);
    }

    /**
     * Densities of a block with only a spatial gate.
     *
     * @param d1 density of the dilated mask {@code M1}
     * @param d3 density of the output mask {@code M3} (also {@code d2})
     * @return the densities with {@code dc = 1}
     */
    public static BlockDensities spatial(double d1, double d3) {
        return new BlockDensities(d1, d3, d3, 1);
    }

    /**
     * Densities of a block with only a channel gate.
     *
     * @param dc the channel density
     * @return the densities with all spatial densities 1
     */
    public static BlockDensities channel(double dc) {
        return new BlockDensities(1, 1, 1, dc);
    }

    /**
     * Densities of a block whose whole branch runs for a fraction of the samples.
     *
     * @param rho fraction of executed samples
     * @return the densities with {@code d1 = d2 = d3 = rho}
     */
    public static BlockDensities layer(double rho) {
        return new BlockDensities(rho, rho, rho, 1);
    }
}
