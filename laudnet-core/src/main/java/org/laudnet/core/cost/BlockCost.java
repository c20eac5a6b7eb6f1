package org.laudnet.core.cost;

import ai.djl.ndarray.NDArray;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.util.ScalarOps;

/**
 * Multiply-accumulate counts of one (gated) residual block, per method section 3.
 *
 * <p>For a bottleneck, with {@code px(.)} the pixels at a resolution:
 *
 * <pre>
 *   conv1 = Cin * w * px(conv1 out) * dc * d1
 *   conv2 = w * w * 9 / g * px(Hout) * dc^2 * d2
 *   conv3 = w * Cout * px(Hout) * dc * d3
 *   downsample = Cin * Cout * px(Hout)              (always dense, if present)
 *   squeeze-excitation = 2 w q * dc                 (RegNetY blocks; its pooling reads are not counted)
 *   maskers = pooling reads + masker convolutions   (always paid)
 * </pre>
 *
 * For a basic block: {@code conv1 = Cin * w * 9 * px(Hout) * dc * d1}, {@code conv2 = w * Cout * 9 * px(Hout) * dc *
 * d2} (the channel gate thins conv1's outputs, hence conv2's inputs), no conv3.
 *
 * <p>{@link #denseMacs()} is the static block (every density 1, no maskers); {@link #dynamicMacs(BlockDensities)}
 * includes the maskers. The block ratio of the training loss is {@link #ratio(BlockDensities, BlockRatioForm)}:
 * {@code r_b = dynamic / (dense + maskers)} as in the reference implementation, or {@code dynamic / dense}.
 * {@link #ratio(BlockDensities)} is the ratio against the static block that execution reports show.
 *
 * @param type the block family
 * @param conv1Macs dense MACs of conv1
 * @param conv2Macs dense MACs of conv2
 * @param conv3Macs dense MACs of conv3 (0 for basic blocks)
 * @param downsampleMacs MACs of the downsample convolution (0 without one)
 * @param maskerMacs MACs of the gates' maskers, pooling reads included (0 for a static block)
 * @param seMacs dense MACs of the squeeze-excitation's two fully connected layers, {@code 2 w q} (0 without one)
 */
public record BlockCost(
        BlockType type, long conv1Macs, long conv2Macs, long conv3Macs, long downsampleMacs, long maskerMacs,
        long seMacs) {

    /** Validates that every term is non-negative. */
    public BlockCost {
        if (type == null) {
            throw new IllegalArgumentException("type must not be null");
        }
        if (conv1Macs < 0 || conv2Macs < 0 || conv3Macs < 0 || downsampleMacs < 0 || maskerMacs < 0 || seMacs < 0) {
            throw new IllegalArgumentException("MAC terms must be non-negative, got conv1 " + conv1Macs + ", conv2 "
                    + conv2Macs + ", conv3 " + conv3Macs + ", downsample " + downsampleMacs + ", maskers "
                    + maskerMacs + ", squeeze-excitation " + seMacs);
        }
    }

    /**
     * Computes the dense MAC terms of a block without squeeze-excitation.
     *
     * @param g the block geometry
     * @param maskerMacs the MACs of its gates' maskers; 0 for a static block
     * @return the cost terms
     */
    public static BlockCost of(BlockGeometry g, long maskerMacs) {
        return of(g, maskerMacs, 0);
    }

    /**
     * Computes the dense MAC terms of a block.
     *
     * @param g the block geometry
     * @param maskerMacs the MACs of its gates' maskers (see {@code SpatialGate.maskerMacs}, {@code
     *     ChannelGate.maskerMacs}); 0 for a static block
     * @param seMacs the squeeze-excitation's {@code 2 w q} (0 without one)
     * @return the cost terms
     */
    public static BlockCost of(BlockGeometry g, long maskerMacs, long seMacs) {
        long ds = g.hasDownsample() ? (long) g.inChannels() * g.outChannels() * g.outPixels() : 0;
        if (g.type() == BlockType.BOTTLENECK) {
            long c1 = (long) g.inChannels() * g.width() * g.conv1Pixels();
            long c2 = (long) g.width() * g.width() * 9 / g.convGroups() * g.outPixels();
            long c3 = (long) g.width() * g.outChannels() * g.outPixels();
            return new BlockCost(g.type(), c1, c2, c3, ds, maskerMacs, seMacs);
        }
        long c1 = (long) g.inChannels() * g.width() * 9 * g.outPixels();
        long c2 = (long) g.width() * g.outChannels() * 9 * g.outPixels();
        return new BlockCost(g.type(), c1, c2, 0, ds, maskerMacs, seMacs);
    }

    /** Returns the MACs of the static block: all convolutions (and the squeeze-excitation) dense, no maskers. */
    public long denseMacs() {
        return conv1Macs + conv2Macs + conv3Macs + downsampleMacs + seMacs;
    }

    /**
     * Returns the MACs the gated block performs at the given densities, maskers included.
     *
     * @param d the densities
     * @return the dynamic MACs
     */
    public double dynamicMacs(BlockDensities d) {
        double dc = d.dc();
        double conv2ChannelFactor = type == BlockType.BOTTLENECK ? dc * dc : dc;
        return conv1Macs * dc * d.d1()
                + conv2Macs * conv2ChannelFactor * d.d2()
                + conv3Macs * dc * d.d3()
                + seMacs * dc
                + downsampleMacs
                + maskerMacs;
    }

    /**
     * The differentiable form of {@link #dynamicMacs(BlockDensities)} used by the training loss: the same formula on
     * scalar arrays, so gradients flow to the gates through the densities.
     *
     * @param d1 scalar density of {@code M1}
     * @param d2 scalar density of {@code M2}
     * @param d3 scalar density of {@code M3}
     * @param dc scalar channel density
     * @return a scalar array with the dynamic MACs
     */
    public NDArray dynamicMacs(NDArray d1, NDArray d2, NDArray d3, NDArray dc) {
        NDArray conv2ChannelFactor = type == BlockType.BOTTLENECK ? dc.mul(dc) : dc;
        return ScalarOps.mul(dc.mul(d1), conv1Macs)
                .add(ScalarOps.mul(conv2ChannelFactor.mul(d2), conv2Macs))
                .add(ScalarOps.mul(dc.mul(d3), conv3Macs))
                .add(ScalarOps.mul(dc, seMacs))
                .add(downsampleMacs + maskerMacs);
    }

    /**
     * Returns the block ratio in the given form: {@code dynamic / (dense + maskers)} for
     * {@link BlockRatioForm#MASKERS_IN_BOTH}, {@code dynamic / dense} for {@link BlockRatioForm#DENSE_DENOMINATOR}.
     *
     * @param d the densities
     * @param form the denominator's form
     * @return the block's MACs ratio
     */
    public double ratio(BlockDensities d, BlockRatioForm form) {
        return dynamicMacs(d) / form.denominator(denseMacs(), maskerMacs);
    }

    /**
     * Returns {@code dynamic / dense}: the ratio against the static block, as execution reports show it.
     *
     * @param d the densities
     * @return the block's MACs ratio
     */
    public double ratio(BlockDensities d) {
        return dynamicMacs(d) / denseMacs();
    }
}
