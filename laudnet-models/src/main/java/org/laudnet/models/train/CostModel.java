package org.laudnet.models.train;

import ai.djl.ndarray.NDArray;

/**
 * The cost that the training loss budgets: per block a dense cost and a dynamic cost that is a differentiable
 * function of the block's densities, plus the cost that every input pays in full (stem, head).
 *
 * <p>Block ratio {@code r_b = dynamicCost_b / (denseCost_b + maskerCost_b)} (the reference's form;
 * {@code / denseCost_b} with {@link org.laudnet.core.cost.BlockRatioForm#DENSE_DENOMINATOR}); network ratio
 * {@code F_dyn / F_static = (fixedCost + sum_b dynamicCost_b) / (fixedCost + sum_b denseCost_b)}
 * (method section 3). {@link MacsCostModel} counts multiply-accumulates; a latency model plugs in the same way.
 */
public interface CostModel {

    /** Returns the number of residual blocks. */
    int numBlocks();

    /**
     * Returns the dense (static) cost of a block.
     *
     * @param block block index in network order
     * @return a positive cost
     */
    double denseCost(int block);

    /**
     * Returns the dynamic cost of a block at the given densities, as a differentiable scalar array.
     *
     * @param block block index in network order
     * @param d1 scalar density of conv1's computed positions
     * @param d2 scalar density of conv2's computed positions
     * @param d3 scalar density of conv3's computed positions
     * @param dc scalar channel density
     * @return the scalar dynamic cost
     */
    NDArray dynamicCost(int block, NDArray d1, NDArray d2, NDArray d3, NDArray dc);

    /**
     * Returns the part of a block's dynamic cost that its gates' maskers pay whatever they decide; the per-block
     * ratio of {@link org.laudnet.core.cost.BlockRatioForm#MASKERS_IN_BOTH} adds it to the denominator. 0 by default
     * (a cost model whose dense cost already holds the maskers, or that cannot separate them).
     *
     * @param block block index in network order
     * @return a non-negative cost
     */
    default double maskerCost(int block) {
        return 0;
    }

    /** Returns the cost paid densely by every input outside the residual blocks (stem, head). */
    double fixedCost();

    /** Returns the static network's cost {@code fixedCost + sum_b denseCost(b)}. */
    default double staticCost() {
        double s = fixedCost();
        for (int b = 0; b < numBlocks(); b++) {
            s += denseCost(b);
        }
        return s;
    }
}
