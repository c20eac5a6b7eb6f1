package org.laudnet.core.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.block.BlockResult;

/**
 * What a latency-aware network computes for one batch: logits plus the named per-block densities and the network's
 * dynamic MACs (stem and head included, dense).
 *
 * <p>Named NDList form ({@link #toNDList()}, what the training loss and its listeners read; a network's
 * {@code forward} returns only the logits): {@value #LOGITS} first, then {@value #DYNAMIC_MACS}, then for every
 * block {@code i} the arrays {@code block<i>.d1}, {@code .d2}, {@code .d3}, {@code .dc} and {@code .dynamic_macs}.
 *
 * @param logits class scores {@code (B, classes)}
 * @param dynamicMacs scalar MACs of the whole network at this batch's densities, maskers included
 * @param blocks per-block results, in network order (outputs of intermediate blocks are not kept)
 */
public record NetworkResult(NDArray logits, NDArray dynamicMacs, List<BlockDensityResult> blocks) {

    /** Name of the logits. */
    public static final String LOGITS = "logits";
    /** Name of the network's dynamic MACs. */
    public static final String DYNAMIC_MACS = "dynamic_macs";

    /**
     * The densities and dynamic MACs of one block.
     *
     * @param d1 density of conv1's computed positions
     * @param d2 density of conv2's computed positions
     * @param d3 density of conv3's computed positions
     * @param dc channel density
     * @param dynamicMacs the block's dynamic MACs
     */
    public record BlockDensityResult(NDArray d1, NDArray d2, NDArray d3, NDArray dc, NDArray dynamicMacs) {

        /**
         * Extracts the densities of a block result.
         *
         * @param r the block result
         * @return the density part
         */
        public static BlockDensityResult of(BlockResult r) {
            return new BlockDensityResult(r.d1(), r.d2(), r.d3(), r.dc(), r.dynamicMacs());
        }
    }

    /**
     * Returns the named NDList form.
     *
     * @return the list, logits first
     */
    public NDList toNDList() {
        NDList list = new NDList();
        BlockResult.addNamed(list, logits, LOGITS);
        BlockResult.addNamed(list, dynamicMacs, DYNAMIC_MACS);
        for (int i = 0; i < blocks.size(); i++) {
            BlockDensityResult b = blocks.get(i);
            String p = "block" + i + ".";
            BlockResult.addNamed(list, b.d1(), p + BlockResult.D1);
            BlockResult.addNamed(list, b.d2(), p + BlockResult.D2);
            BlockResult.addNamed(list, b.d3(), p + BlockResult.D3);
            BlockResult.addNamed(list, b.dc(), p + BlockResult.DC);
            BlockResult.addNamed(list, b.dynamicMacs(), p + BlockResult.DYNAMIC_MACS);
        }
        return list;
    }

    /**
     * Reads a result from the named NDList a network returned.
     *
     * @param list the network output
     * @return the typed result
     * @throws IllegalArgumentException if a required name is missing
     */
    public static NetworkResult fromNDList(NDList list) {
        List<BlockDensityResult> blocks = new ArrayList<>();
        for (int i = 0; list.get("block" + i + "." + BlockResult.D1) != null; i++) {
            String p = "block" + i + ".";
            blocks.add(new BlockDensityResult(
                    required(list, p + BlockResult.D1),
                    required(list, p + BlockResult.D2),
                    required(list, p + BlockResult.D3),
                    required(list, p + BlockResult.DC),
                    required(list, p + BlockResult.DYNAMIC_MACS)));
        }
        return new NetworkResult(required(list, LOGITS), required(list, DYNAMIC_MACS), List.copyOf(blocks));
    }

    private static NDArray required(NDList list, String name) {
        NDArray a = list.get(name);
        if (a == null) {
            throw new IllegalArgumentException("network output has no array named '" + name + "'");
        }
        return a;
    }
}
