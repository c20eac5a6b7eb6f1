package org.laudnet.core.exec;

import org.laudnet.core.block.ChannelMaskPlacement;

/**
 * {@link ExecutionPath#DENSE}: the whole branch on the whole batch, gates applied by multiplication (the masked-dense
 * form; the static block when every gate is open). Channel masks multiply conv1's and conv2's activated outputs; closed
 * spatial cells then output {@code ReLU(identity)}:
 *
 * <pre>
 *   y = ReLU(identity + branch_cm(x))        at kept elements
 *   y = ReLU(identity)                       at elements whose cell is closed
 * </pre>
 *
 * which equals {@code ReLU(identity + branch * M3)}. The squeeze-excitation pools over the computed positions. Under
 * the reference's channel mask placement ({@link ChannelMaskPlacement#BEFORE_NORM}) a skipped channel is a constant,
 * not a product, so the branch runs once on every position with the weights of the union of the batch's channel
 * patterns, each sample's skipped channels carrying their constants ({@link BranchWeights#unionBeforeNorm}), instead.
 */
final class DensePath implements BlockPath {

    static final DensePath INSTANCE = new DensePath();

    private DensePath() {}

    @Override
    public ExecutionPath path() {
        return ExecutionPath.DENSE;
    }

    @Override
    public <T> T execute(BlockCall<T> c) {
        Masks m = c.masks;
        if (!m.allChannelsOpen() && c.plan.gate().channelMaskPlacement() == ChannelMaskPlacement.BEFORE_NORM) {
            // the reference's placement is no multiplication of the activations: run the branch of the union of the
            // batch's patterns once, each sample's skipped channels carrying their constants, on all positions, then
            // close the closed cells
            T y = ChannelUnionPath.execute(c, ChannelClusters.Costs.ONE_UNION);
            if (!m.allCellsOpen()) {
                fillClosedCells(c, c.identity(), y);
            }
            return y;
        }
        T cm = null;
        if (!m.allChannelsOpen()) {
            int w = c.plan.width();
            int g = c.plan.channelGroups();
            int per = w / g;
            float[] v = new float[m.batch * w];
            for (int b = 0; b < m.batch; b++) {
                for (int ch = 0; ch < w; ch++) {
                    v[b * w + ch] = m.channels[b * g + ch / per];
                }
            }
            cm = c.k.importHost(v, new Nchw(m.batch, w, 1, 1));
        }
        boolean spatial = !m.allCellsOpen();
        T identity = c.identity();
        // with every cell open the identity is not read again: conv3 may add into it where the call owns it
        T y = Branch.run(c, c.x, c.xs, c.w.full, cm, spatial ? m.cells : null, identity, true,
                !spatial && c.identityWritable());
        if (spatial) {
            fillClosedCells(c, identity, y);
        }
        return y;
    }

    /** Writes {@code ReLU(identity)} into the closed cells of {@code y}. */
    private static <T> void fillClosedCells(BlockCall<T> c, T identity, T y) {
        if (c.reuse) {
            // the handed-over input is the identity and a ReLU output: its closed cells are copied as they are
            c.k.fillInactiveNonNegative(identity, c.outShape, c.masks.cells, y);
        } else {
            c.k.fillInactiveRelu(identity, c.outShape, c.masks.cells, y);
        }
        c.lap("scatter");
    }
}
