package org.laudnet.models.train;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.MaskerMacsConvention;
import org.laudnet.core.net.GatedNetwork;

/**
 * The multiply-accumulate cost model of method section 3: a block's dense cost is {@link BlockCost#denseMacs()}, its
 * dynamic cost {@link BlockCost#dynamicMacs(NDArray, NDArray, NDArray, NDArray)} (maskers included), the fixed cost the
 * stem and head MACs. Squeeze-excitations (RegNetY) are part of the block costs. Immutable and thread-safe.
 */
public final class MacsCostModel implements CostModel {

    private final List<BlockCost> costs;
    private final double fixed;

    /**
     * Creates the model from explicit block costs.
     *
     * @param costs per-block cost terms in network order
     * @param fixedMacs MACs outside the blocks (stem, head), non-negative
     */
    public MacsCostModel(List<BlockCost> costs, long fixedMacs) {
        if (costs == null) {
            throw new IllegalArgumentException("costs must not be null");
        }
        if (fixedMacs < 0) {
            throw new IllegalArgumentException("fixedMacs must be non-negative, got " + fixedMacs);
        }
        for (int i = 0; i < costs.size(); i++) {
            if (costs.get(i).denseMacs() <= 0) {
                throw new IllegalArgumentException("block " + i + " has non-positive dense MACs");
            }
        }
        this.costs = List.copyOf(costs);
        this.fixed = fixedMacs;
    }

    /**
     * Creates the model of a network.
     *
     * @param net the network
     * @return its MACs cost model
     */
    public static MacsCostModel of(GatedNetwork net) {
        return of(net, MaskerMacsConvention.PHYSICAL);
    }

    /**
     * Creates the model of a network with the maskers counted under a convention.
     *
     * @param net the network
     * @param convention how masker MACs are counted
     * @return its MACs cost model
     */
    public static MacsCostModel of(GatedNetwork net, MaskerMacsConvention convention) {
        if (convention == null) {
            throw new IllegalArgumentException("convention must not be null");
        }
        return new MacsCostModel(net.getBlocks().stream().map(b -> b.getCost(convention)).toList(),
                net.stemMacs() + net.headMacs());
    }

    /** {@inheritDoc} */
    @Override
    public int numBlocks() {
        return costs.size();
    }

    /** {@inheritDoc} */
    @Override
    public double denseCost(int block) {
        return costs.get(block).denseMacs();
    }

    /** {@inheritDoc} */
    @Override
    public NDArray dynamicCost(int block, NDArray d1, NDArray d2, NDArray d3, NDArray dc) {
        return costs.get(block).dynamicMacs(d1, d2, d3, dc);
    }

    /** {@inheritDoc} */
    @Override
    public double maskerCost(int block) {
        return costs.get(block).maskerMacs();
    }

    /** {@inheritDoc} */
    @Override
    public double fixedCost() {
        return fixed;
    }
}
