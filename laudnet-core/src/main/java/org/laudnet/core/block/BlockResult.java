package org.laudnet.core.block;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.Optional;

/**
 * What a gated residual block computes for one batch, with named parts instead of positional arrays.
 *
 * <p>In NDList form (what the DJL block returns) the arrays carry the names of the constants below; the first array
 * is always the block output, so blocks can be chained. Absent gates leave their mask out of the list.
 *
 * @param output block output {@code (B, Cout, Hout, Wout)}
 * @param spatialMask the spatial (or layer) gate's mask {@code (B, gs, m, m)}, absent without a spatial gate
 * @param channelMask the channel gate's mask {@code (B, G)}, absent without a channel gate
 * @param d1 scalar density of conv1's computed positions ({@code M1})
 * @param d2 scalar density of conv2's computed positions ({@code M2})
 * @param d3 scalar density of conv3's computed positions ({@code M3})
 * @param dc scalar channel density
 * @param dynamicMacs scalar MACs of the block at these densities, maskers included (differentiable)
 */
public record BlockResult(
        NDArray output,
        Optional<NDArray> spatialMask,
        Optional<NDArray> channelMask,
        NDArray d1,
        NDArray d2,
        NDArray d3,
        NDArray dc,
        NDArray dynamicMacs) {

    /** Name of the block output. */
    public static final String OUTPUT = "output";
    /** Name of the spatial gate mask. */
    public static final String SPATIAL_MASK = "spatial_mask";
    /** Name of the channel gate mask. */
    public static final String CHANNEL_MASK = "channel_mask";
    /** Name of the conv1 density. */
    public static final String D1 = "d1";
    /** Name of the conv2 density. */
    public static final String D2 = "d2";
    /** Name of the conv3 density. */
    public static final String D3 = "d3";
    /** Name of the channel density. */
    public static final String DC = "dc";
    /** Name of the dynamic MACs. */
    public static final String DYNAMIC_MACS = "dynamic_macs";

    /**
     * Returns the named NDList form (output first).
     *
     * @return the list
     */
    public NDList toNDList() {
        NDList list = new NDList();
        addNamed(list, output, OUTPUT);
        spatialMask.ifPresent(m -> addNamed(list, m, SPATIAL_MASK));
        channelMask.ifPresent(m -> addNamed(list, m, CHANNEL_MASK));
        addNamed(list, d1, D1);
        addNamed(list, d2, D2);
        addNamed(list, d3, D3);
        addNamed(list, dc, DC);
        addNamed(list, dynamicMacs, DYNAMIC_MACS);
        return list;
    }

    /**
     * Reads a result from the NDList a gated block returned.
     *
     * @param list the block output
     * @return the typed result
     * @throws IllegalArgumentException if a required name is missing
     */
    public static BlockResult fromNDList(NDList list) {
        return new BlockResult(
                required(list, OUTPUT),
                Optional.ofNullable(list.get(SPATIAL_MASK)),
                Optional.ofNullable(list.get(CHANNEL_MASK)),
                required(list, D1),
                required(list, D2),
                required(list, D3),
                required(list, DC),
                required(list, DYNAMIC_MACS));
    }

    private static NDArray required(NDList list, String name) {
        NDArray a = list.get(name);
        if (a == null) {
            throw new IllegalArgumentException("block output has no array named '" + name + "'");
        }
        return a;
    }

    /**
     * Adds {@code a} to a named NDList under {@code name}. An array already in the list (e.g. {@code d2 == d3}) is
     * added as a differentiable alias (a same-shape view), so that both names carry their gradient back to the
     * gates: a copy by {@code duplicate()} would be detached from the autograd graph.
     *
     * @param list the list
     * @param a the array
     * @param name its name in the list
     */
    public static void addNamed(NDList list, NDArray a, String name) {
        boolean present = list.stream().anyMatch(existing -> existing == a);
        NDArray named = present ? a.reshape(a.getShape()) : a;
        named.setName(name);
        list.add(named);
    }
}
