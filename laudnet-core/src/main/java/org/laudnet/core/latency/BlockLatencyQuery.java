package org.laudnet.core.latency;

import org.laudnet.core.block.GateMode;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.util.Checks;

/**
 * What the latency of a gated block depends on: its geometry, its gate mode and granularities, the densities it runs
 * at, and the batch size.
 *
 * <p>Meaning of the densities per mode: {@code density} is the fraction of active {@code S x S} output patches
 * ({@code SPATIAL}, {@code BOTH}) or of samples that run the residual branch ({@code LAYER}); it is ignored by {@code
 * NONE} and {@code CHANNEL}. {@code channelDensity} is the fraction of active channel groups ({@code CHANNEL}, {@code
 * BOTH}); it is ignored by the other modes. Ignored fields are still range-checked.
 *
 * <p>The query has no spatial mask groups: the latency models assume one spatial group ({@code gs = 1}, the paper's
 * configuration) wherever the engine's rules depend on it ({@link org.laudnet.core.plan.BlockPlan#spatialPathsExist}).
 *
 * @param geometry the block shape
 * @param mode the gate mode
 * @param spatialGranularity {@code S}, output pixels per patch side; must divide {@code Hout} and {@code Wout} (pass 1
 *     when unused)
 * @param channelGroups {@code G}, channel groups of the block width; must divide {@code width} (pass 1 when unused)
 * @param density spatial or layer density {@code rho} in {@code [0, 1]}
 * @param channelDensity channel density {@code dc} in {@code [0, 1]}
 * @param batchSize {@code N}, positive
 */
public record BlockLatencyQuery(
        BlockGeometry geometry,
        GateMode mode,
        int spatialGranularity,
        int channelGroups,
        double density,
        double channelDensity,
        int batchSize) {

    /** Validates every field; messages name the offending field and value. */
    public BlockLatencyQuery {
        if (geometry == null) {
            throw new IllegalArgumentException("geometry must not be null");
        }
        if (mode == null) {
            throw new IllegalArgumentException("mode must not be null");
        }
        Checks.divides("spatialGranularity", spatialGranularity, "outHeight", geometry.outHeight());
        Checks.divides("spatialGranularity", spatialGranularity, "outWidth", geometry.outWidth());
        Checks.divides("channelGroups", channelGroups, "width", geometry.width());
        Checks.inRange("density", density, 0, 1);
        Checks.inRange("channelDensity", channelDensity, 0, 1);
        Checks.positive("batchSize", batchSize);
    }

    /**
     * The query of the static block.
     *
     * @param geometry the block
     * @param batchSize {@code N}
     * @return a query with mode {@code NONE} and every density 1
     */
    public static BlockLatencyQuery staticBlock(BlockGeometry geometry, int batchSize) {
        return new BlockLatencyQuery(geometry, GateMode.NONE, 1, 1, 1, 1, batchSize);
    }

    /**
     * Builds a query from the densities of the MAC accounting: the spatial (or layer) density is {@code d3}, the
     * density of the block's output mask, and the channel density is {@code dc}.
     *
     * @param geometry the block
     * @param mode the gate mode
     * @param spatialGranularity {@code S}
     * @param channelGroups {@code G}
     * @param densities the block's densities
     * @param batchSize {@code N}
     * @return the query
     */
    public static BlockLatencyQuery of(
            BlockGeometry geometry,
            GateMode mode,
            int spatialGranularity,
            int channelGroups,
            BlockDensities densities,
            int batchSize) {
        if (densities == null) {
            throw new IllegalArgumentException("densities must not be null");
        }
        return new BlockLatencyQuery(
                geometry, mode, spatialGranularity, channelGroups, densities.d3(), densities.dc(), batchSize);
    }

    /**
     * Returns this query with another spatial or layer density.
     *
     * @param rho the density
     * @return the modified query
     */
    public BlockLatencyQuery withDensity(double rho) {
        return new BlockLatencyQuery(geometry, mode, spatialGranularity, channelGroups, rho, channelDensity, batchSize);
    }

    /**
     * Returns this query with another channel density.
     *
     * @param dc the channel density
     * @return the modified query
     */
    public BlockLatencyQuery withChannelDensity(double dc) {
        return new BlockLatencyQuery(geometry, mode, spatialGranularity, channelGroups, density, dc, batchSize);
    }

    /** Returns the number of mask cells per side, {@code m = Hout / S} ({@code 1} for {@code LAYER}). */
    public int maskSide() {
        return mode == GateMode.LAYER ? 1 : geometry.outHeight() / spatialGranularity;
    }

    /**
     * Returns the active patches per image, {@code n_p = ceil(rho * ceil(Ho/S) * ceil(Wo/S))} (a relative slack of
     * {@code 1e-12} absorbs rounding, so {@code rho = 0.3} of 100 cells gives 30, not 31).
     */
    public long activePatchesPerImage() {
        long cells = (long) (geometry.outHeight() / spatialGranularity) * (geometry.outWidth() / spatialGranularity);
        return Math.min(cells, (long) Math.ceil(density * cells * (1 - 1e-12)));
    }
}
