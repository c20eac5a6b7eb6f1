package org.laudnet.core.plan;

import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.net.GatedNetwork;
import org.laudnet.core.net.StemSpec;

/**
 * A whole gated network as an engine-independent inference plan: the stem convolution (BatchNorm folded), an optional
 * 3x3 stride-2 max pool, the gated residual blocks ({@link BlockPlan}) and the classifier, as plain host arrays.
 * Every executor backend (DJL/PyTorch, the pure-Java reference, CUDA) runs plans; a model's executors share one plan,
 * so its folded weights exist once per model on the host.
 *
 * <pre>
 *   x (B, inputChannels, inputSize, inputSize) -> ReLU(stem(x)) [-> maxPool 3x3/2, padding maxPoolPadding]
 *     -> blocks -> global average pool (B, C) -> head (B, classes)
 * </pre>
 *
 * {@link PlanFile} writes and reads plans in a versioned binary format. Immutable and thread-safe.
 *
 * @param architecture the architecture identifier of the network it was built from (e.g. {@code "resnet"})
 * @param inputChannels image channels
 * @param inputSize image side
 * @param stem stem convolution (folded), followed by ReLU
 * @param maxPool whether a 3x3 stride-2 max pool follows the stem
 * @param maxPoolPadding padding of that max pool ({@code -inf} padding), 0 without it
 * @param blocks the residual blocks in order
 * @param head the classifier, a linear layer {@code (classes, C)}
 */
public record InferencePlan(
        String architecture,
        int inputChannels,
        int inputSize,
        FoldedConv stem,
        boolean maxPool,
        int maxPoolPadding,
        List<BlockPlan> blocks,
        FoldedConv head) {

    /**
     * Validates that the stem, blocks and head chain (channels and spatial sizes) and that the head is a linear layer
     * (ungrouped 1x1, stride 1, no padding); each {@link BlockPlan} has validated its own layers.
     *
     * @throws IllegalArgumentException naming the first block or layer that does not fit and the value found
     */
    public InferencePlan {
        if (architecture == null || stem == null || head == null || blocks == null) {
            throw new IllegalArgumentException("architecture, stem, blocks and head must not be null");
        }
        if (stem.inChannels() != inputChannels) {
            throw new IllegalArgumentException("stem must read inputChannels = " + inputChannels + ", got "
                    + stem.inChannels());
        }
        if (maxPoolPadding < 0 || maxPoolPadding > 1) {
            throw new IllegalArgumentException("maxPoolPadding must be 0 or 1, got " + maxPoolPadding);
        }
        blocks = List.copyOf(blocks);
        int size = stemOutSize(stem, inputSize, maxPool, maxPoolPadding);
        int channels = stem.outChannels();
        for (int i = 0; i < blocks.size(); i++) {
            BlockPlan b = blocks.get(i);
            if (b.geometry().inChannels() != channels || b.geometry().inHeight() != size
                    || b.geometry().inWidth() != size) {
                throw new IllegalArgumentException("block " + i + " must take (" + channels + ", " + size + ", "
                        + size + "), got (" + b.geometry().inChannels() + ", " + b.geometry().inHeight() + ", "
                        + b.geometry().inWidth() + ")");
            }
            channels = b.geometry().outChannels();
            size = b.geometry().outHeight();
        }
        if (head.inChannels() != channels) {
            throw new IllegalArgumentException("head must be a linear layer on " + channels + " features, got "
                    + head);
        }
        FoldedConv.requirePointwise("head (a linear layer)", head);
    }

    private static int stemOutSize(FoldedConv stem, int inputSize, boolean maxPool, int maxPoolPadding) {
        int size = stem.outSize(inputSize);
        return maxPool ? (size + 2 * maxPoolPadding - 3) / 2 + 1 : size;
    }

    /**
     * Folds an initialised network into a plan (eval-mode semantics: running statistics, deterministic gates).
     * Parameter changes after the call are not seen; build a new plan after training.
     *
     * @param net the network
     * @return the plan
     * @throws IllegalArgumentException if the network is not initialised
     */
    public static InferencePlan of(GatedNetwork net) {
        if (net == null || !net.isInitialized()) {
            throw new IllegalArgumentException("net must be an initialised network");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            ParameterStore ps = new ParameterStore(manager, false);
            StemSpec s = net.getStem();
            FoldedConv stem = FoldedConv.fold(net.getStemConv(), net.getStemBn(), ps, s.stride(), 1);
            List<BlockPlan> blocks = new ArrayList<>();
            int[] stages = net.stageOfBlocks();
            List<AbstractGatedBlock> list = net.getBlocks();
            for (int i = 0; i < list.size(); i++) {
                blocks.add(BlockPlan.of(list.get(i), stages[i], ps));
            }
            FoldedConv head = FoldedConv.of(net.getHead(), 1, 1);
            return new InferencePlan(net.getFamily().id(), s.inChannels(), net.getInputSize(), stem, s.maxPool(),
                    s.maxPool() ? s.maxPoolPadding() : 0, blocks, head);
        }
    }

    /** Returns the number of classes. */
    public int numClasses() {
        return head.outChannels();
    }

    /** Returns the side of the stem's output after the optional max pool (the first block's input side). */
    public int stemOutSize() {
        return stemOutSize(stem, inputSize, maxPool, maxPoolPadding);
    }

    /**
     * Returns the operations of the stem per image: the convolution's MACs plus the max pool's {@code 9 C Hp Wp}
     * (as {@link org.laudnet.core.net.StemSpec#macs(int)}).
     */
    public long stemMacs() {
        int s = stem.outSize(inputSize);
        long conv = stem.macsPerPixel() * s * s;
        return maxPool ? conv + StemSpec.maxPoolMacs(stem.outChannels(), stemOutSize()) : conv;
    }

    /**
     * Returns the operations of the head per image: the global average pool's {@code C H W} reads, the linear layer's
     * {@code C K} MACs and {@code K} bias additions (as {@link org.laudnet.core.net.StemSpec#headMacs}).
     */
    public long headMacs() {
        int side = blocks.isEmpty() ? stemOutSize() : blocks.get(blocks.size() - 1).geometry().outHeight();
        int wide = blocks.isEmpty() ? stemOutSize() : blocks.get(blocks.size() - 1).geometry().outWidth();
        return StemSpec.headMacs(head.inChannels(), side, wide, head.outChannels());
    }

    /** Returns the MACs of the static network per image: stem, every block dense, head (maskers excluded). */
    public long staticMacs() {
        long macs = stemMacs() + headMacs();
        for (BlockPlan b : blocks) {
            macs += b.cost().denseMacs();
        }
        return macs;
    }

    /**
     * Returns the MACs per image at given per-block densities: stem and head dense, every block's dynamic MACs
     * (maskers included).
     *
     * @param densities one entry per block, in order
     * @return the dynamic MACs
     * @throws IllegalArgumentException if the list size differs from the block count
     */
    public double dynamicMacs(List<BlockDensities> densities) {
        if (densities.size() != blocks.size()) {
            throw new IllegalArgumentException("densities must have one entry per block (" + blocks.size()
                    + "), got " + densities.size());
        }
        double macs = stemMacs() + headMacs();
        for (int i = 0; i < blocks.size(); i++) {
            macs += blocks.get(i).cost().dynamicMacs(densities.get(i));
        }
        return macs;
    }

    /**
     * Returns the same network with every block's gates removed (every block static, same weights): the static
     * network the plan's gates save work against.
     *
     * @return the static plan
     */
    public InferencePlan staticVersion() {
        List<BlockPlan> list = new ArrayList<>();
        for (BlockPlan b : blocks) {
            list.add(new BlockPlan(b.geometry(), GateSpec.none(), b.conv1(), b.conv2(), b.conv3(), b.downsample(),
                    b.squeezeExcitation(), null, null, BlockCost.of(b.geometry(), 0, b.cost().seMacs()), b.stage()));
        }
        return new InferencePlan(architecture, inputChannels, inputSize, stem, maxPool, maxPoolPadding, list, head);
    }
}
