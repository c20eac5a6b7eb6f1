package org.laudnet.models.train;

import java.util.Arrays;
import java.util.List;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.net.GatedNetwork;

/**
 * Which stage each residual block belongs to, and each block's dense MACs, so that training statistics can be
 * reported per stage.
 *
 * @param stages number of stages
 * @param stageOfBlock stage index (from 0) of every block, in network order
 * @param denseMacs dense MACs of every block ({@code BlockCost.denseMacs()}: the static block, squeeze-excitation
 *     included, maskers excluded)
 */
public record StageLayout(int stages, int[] stageOfBlock, long[] denseMacs) {

    /** Validates and copies. */
    public StageLayout {
        if (stageOfBlock == null || denseMacs == null || stageOfBlock.length != denseMacs.length) {
            throw new IllegalArgumentException("stageOfBlock and denseMacs must have the same length, got "
                    + (stageOfBlock == null ? null : stageOfBlock.length) + " and "
                    + (denseMacs == null ? null : denseMacs.length));
        }
        for (int s : stageOfBlock) {
            if (s < 0 || s >= stages) {
                throw new IllegalArgumentException("stage index must be in [0, " + stages + "), got " + s);
            }
        }
        stageOfBlock = stageOfBlock.clone();
        denseMacs = denseMacs.clone();
    }

    /**
     * The layout of a network: its stages ({@link GatedNetwork#stageOfBlocks()}) and its blocks' dense MACs.
     *
     * @param net the network
     * @return its layout
     */
    public static StageLayout of(GatedNetwork net) {
        List<AbstractGatedBlock> blocks = net.getBlocks();
        long[] macs = new long[blocks.size()];
        for (int b = 0; b < macs.length; b++) {
            macs[b] = blocks.get(b).getCost().denseMacs();
        }
        return new StageLayout(net.getStages().size(), net.stageOfBlocks(), macs);
    }

    /** Returns the number of blocks. */
    public int blocks() {
        return stageOfBlock.length;
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        return o instanceof StageLayout l && l.stages == stages && Arrays.equals(l.stageOfBlock, stageOfBlock)
                && Arrays.equals(l.denseMacs, denseMacs);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return 31 * (31 * stages + Arrays.hashCode(stageOfBlock)) + Arrays.hashCode(denseMacs);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "StageLayout[stages=" + stages + ", stageOfBlock=" + Arrays.toString(stageOfBlock) + ", denseMacs="
                + Arrays.toString(denseMacs) + "]";
    }
}
