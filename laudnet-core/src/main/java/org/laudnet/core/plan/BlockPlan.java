package org.laudnet.core.plan;

import ai.djl.training.ParameterStore;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockGeometry;

/**
 * One gated residual block of an {@link InferencePlan}: geometry, gate, and every layer with its BatchNorm folded
 * (method sections 1 and 4). The computation it describes, on {@code x (B, Cin, Hin, Win)}:
 *
 * <pre>
 *   identity = downsample == null ? x : downsample(x)
 *   bottleneck: h1 = ReLU(conv1(x)) * cm;  h2 = ReLU(conv2(h1)) * cm;  [h2 = h2 * SE(pool_M2(h2))];  z = conv3(h2)
 *   basic:      h1 = ReLU(conv1(x)) * cm;  z = conv2(h1)
 *   y = ReLU(identity + z * M3)
 * </pre>
 *
 * with the channel mask {@code cm} and the spatial mask {@code M3} from the maskers. Null fields are absent layers:
 * {@code conv3} for basic blocks, {@code downsample} without projection, {@code squeezeExcitation} without one, each
 * masker when the mode has none. Immutable and thread-safe.
 *
 * @param geometry the block's shape
 * @param gate how the block is gated
 * @param conv1 the first convolution (1x1 for a bottleneck, 3x3 for a basic block)
 * @param conv2 the 3x3 convolution (grouped for RegNetY)
 * @param conv3 the last 1x1 convolution of a bottleneck, or null
 * @param downsample the projection of the identity, or null
 * @param squeezeExcitation the squeeze-excitation between conv2 and conv3, or null
 * @param spatialMasker the spatial (or layer) masker, or null
 * @param channelMasker the channel masker, or null
 * @param cost the block's MAC terms (maskers and squeeze-excitation included)
 * @param stage the index (from 0) of the network stage the block belongs to
 */
public record BlockPlan(
        BlockGeometry geometry,
        GateSpec gate,
        FoldedConv conv1,
        FoldedConv conv2,
        FoldedConv conv3,
        FoldedConv downsample,
        SqueezeExcitationPlan squeezeExcitation,
        SpatialMasker spatialMasker,
        ChannelMasker channelMasker,
        BlockCost cost,
        int stage) {

    /**
     * Validates that the layers present are those the geometry and the gate call for, with matching channels, and
     * that every layer has the kernel, stride, padding and groups the executors rely on: conv1 a 1x1 (bottleneck) or
     * 3x3 (basic) ungrouped convolution with padding {@code k / 2} and stride {@code conv1Stride}; conv2 a 3x3
     * convolution with padding 1, stride {@code conv2Stride} and {@code convGroups} groups; the downsample an ungrouped
     * 1x1 convolution with stride {@code stride} and no padding; conv3 and every layer of the squeeze-excitation and
     * the maskers pointwise (ungrouped 1x1, stride 1, no padding).
     *
     * @throws IllegalArgumentException naming the first missing, superfluous or mis-shaped layer and the value found
     */
    public BlockPlan {
        if (geometry == null || gate == null || conv1 == null || conv2 == null || cost == null) {
            throw new IllegalArgumentException("geometry, gate, conv1, conv2 and cost must not be null, got geometry "
                    + geometry + ", gate " + gate + ", conv1 " + conv1 + ", conv2 " + conv2 + ", cost " + cost);
        }
        if (stage < 0) {
            throw new IllegalArgumentException("stage must be non-negative, got " + stage);
        }
        boolean bottleneck = geometry.type() == BlockType.BOTTLENECK;
        require((conv3 != null) == bottleneck, "conv3 must be present exactly for a bottleneck, type is "
                + geometry.type() + ", got conv3 " + conv3);
        require((downsample != null) == geometry.hasDownsample(), "downsample must be present exactly when the"
                + " geometry has one (stride != 1 or inChannels != outChannels), geometry " + geometry
                + ", got downsample " + downsample);
        require(squeezeExcitation == null || bottleneck, "squeeze-excitation needs a bottleneck, type is "
                + geometry.type() + ", got " + squeezeExcitation);
        GateMode mode = gate.mode();
        require((spatialMasker != null) == mode.hasSpatialGate(), "spatialMasker must be present exactly for mode "
                + "SPATIAL, BOTH or LAYER, mode is " + mode + ", got spatialMasker " + spatialMasker);
        require((channelMasker != null) == mode.hasChannelGate(), "channelMasker must be present exactly for mode "
                + "CHANNEL or BOTH, mode is " + mode + ", got channelMasker " + channelMasker);
        int inner = bottleneck ? geometry.width() : geometry.outChannels();
        require(conv1.inChannels() == geometry.inChannels() && conv1.outChannels() == geometry.width(),
                "conv1 must map " + geometry.inChannels() + " -> " + geometry.width() + " channels, got " + conv1);
        int k1 = bottleneck ? 1 : 3;
        FoldedConv.requireLayout("conv1", conv1, k1, geometry.conv1Stride(), k1 / 2, 1);
        require(conv2.inChannels() == geometry.width() && conv2.outChannels() == inner,
                "conv2 must map " + geometry.width() + " -> " + inner + " channels, got " + conv2);
        FoldedConv.requireLayout("conv2", conv2, 3, geometry.conv2Stride(), 1, geometry.convGroups());
        if (conv3 != null) {
            require(conv3.inChannels() == geometry.width() && conv3.outChannels() == geometry.outChannels(),
                    "conv3 must map " + geometry.width() + " -> " + geometry.outChannels() + " channels, got "
                    + conv3);
            FoldedConv.requirePointwise("conv3", conv3);
        }
        if (downsample != null) {
            require(downsample.inChannels() == geometry.inChannels()
                    && downsample.outChannels() == geometry.outChannels(), "downsample must map "
                    + geometry.inChannels() + " -> " + geometry.outChannels() + " channels, got " + downsample);
            FoldedConv.requireLayout("downsample", downsample, 1, geometry.stride(), 0, 1);
        }
        if (squeezeExcitation != null) {
            require(squeezeExcitation.channels() == geometry.width(), "the squeeze-excitation must rescale "
                    + geometry.width() + " channels, got " + squeezeExcitation.channels());
        }
        if (spatialMasker != null) {
            int m = gate.maskSize(geometry.outHeight());
            require(spatialMasker.inChannels() == geometry.inChannels() && spatialMasker.maskSize() == m
                    && spatialMasker.groups() == gate.spatialGroups(), "the spatial masker must read "
                    + geometry.inChannels() + " channels into a " + m + "^2 mask of " + gate.spatialGroups()
                    + " groups, got " + spatialMasker);
            require(evenCells() || geometry.outHeight() == geometry.outWidth(), "uneven mask cells (spatial"
                    + " granularity " + gate.spatialGranularity() + " not dividing the output) need a square output,"
                    + " got " + geometry.outHeight() + "x" + geometry.outWidth());
        }
        if (channelMasker != null && gate.channelMaskPlacement() == ChannelMaskPlacement.BEFORE_NORM) {
            require(conv2.groups() == 1 && squeezeExcitation == null, "channelMaskPlacement BEFORE_NORM needs an"
                    + " ungrouped 3x3 convolution and no squeeze-excitation, got conv2 groups " + conv2.groups()
                    + (squeezeExcitation == null ? "" : " and a squeeze-excitation"));
        }
        if (channelMasker != null) {
            require(channelMasker.inChannels() == geometry.inChannels()
                    && channelMasker.groups() == gate.channelGroups(), "the channel masker must read "
                    + geometry.inChannels() + " channels into " + gate.channelGroups() + " groups, got "
                    + channelMasker);
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * Folds an initialised block's layers into a plan block (eval-mode semantics: running statistics, deterministic
     * gates).
     *
     * @param block the block
     * @param stage the index of the network stage it belongs to (0 for a block alone)
     * @param ps the parameter store its layers are read through
     * @return the plan block
     * @throws IllegalArgumentException if the block is not initialised
     */
    public static BlockPlan of(AbstractGatedBlock block, int stage, ParameterStore ps) {
        BlockGeometry g = block.getGeometry();
        return new BlockPlan(
                g,
                block.getGateSpec(),
                fold(block.getConv1(), ps, g.conv1Stride(), 1),
                fold(block.getConv2(), ps, g.conv2Stride(), g.convGroups()),
                block.getConv3().map(c -> fold(c, ps, 1, 1)).orElse(null),
                block.getDownsample().map(c -> fold(c, ps, g.stride(), 1)).orElse(null),
                block.getSqueezeExcitation()
                        .map(se -> new SqueezeExcitationPlan(FoldedConv.of(se.fc1(), 1, 1),
                                FoldedConv.of(se.fc2(), 1, 1)))
                        .orElse(null),
                block.getSpatialGate().map(s -> s.toMasker()).orElse(null),
                block.getChannelGate().map(c -> c.toMasker(ps)).orElse(null),
                block.getCost(),
                stage);
    }

    private static FoldedConv fold(AbstractGatedBlock.ConvBn c, ParameterStore ps, int stride, int groups) {
        return FoldedConv.fold(c.conv(), c.bn(), ps, stride, groups);
    }

    /** Returns whether the block is a bottleneck. */
    public boolean bottleneck() {
        return geometry.type() == BlockType.BOTTLENECK;
    }

    /** Returns the gate mode. */
    public GateMode mode() {
        return gate.mode();
    }

    /** Returns the mask side {@code m} of the spatial (or layer) gate, 0 without one. */
    public int maskSize() {
        return spatialMasker == null ? 0 : spatialMasker.maskSize();
    }

    /** Returns the spatial mask groups {@code gs} (1 without a spatial gate). */
    public int spatialGroups() {
        return spatialMasker == null ? 1 : spatialMasker.groups();
    }

    /** Returns the channel groups {@code G} (1 without a channel gate). */
    public int channelGroups() {
        return channelMasker == null ? 1 : channelMasker.groups();
    }

    /**
     * Returns the output pixels per cell side of the grid the executors run on: {@code Hout / m} when the cells are
     * even ({@link #evenCells()}); 1 when they are not, for then the gate's {@code m x m} decisions are expanded to a
     * per-pixel grid by nearest interpolation before execution (0 without a spatial gate).
     */
    public int granularity() {
        if (spatialMasker == null) {
            return 0;
        }
        return evenCells() ? geometry.outHeight() / spatialMasker.maskSize() : 1;
    }

    /**
     * Returns whether every mask cell covers the same number of output pixels: {@code m} divides {@code Hout} and
     * {@code Wout} (always true without a spatial gate and for a layer gate). When false the gate's spatial
     * granularity does not divide the output, as the reference implementation allows (adaptive pooling, nearest
     * interpolation, see {@link GateSpec#maskSize}).
     */
    public boolean evenCells() {
        if (spatialMasker == null) {
            return true;
        }
        int m = spatialMasker.maskSize();
        return geometry.outHeight() % m == 0 && geometry.outWidth() % m == 0;
    }

    /** Returns the side of the executors' cell grid: {@code m} for even cells, {@code Hout} otherwise (0 without). */
    public int executionGridSize() {
        if (spatialMasker == null) {
            return 0;
        }
        return evenCells() ? spatialMasker.maskSize() : geometry.outHeight();
    }

    /** Returns the channels of the branch's last convolution's input ({@code w}) that a channel gate thins. */
    public int width() {
        return geometry.width();
    }

    /**
     * Returns whether the spatial gate can run as gather-conv-scatter over patches: a SPATIAL or BOTH bottleneck whose
     * conv1 does not stride, with one mask group. Other spatially gated blocks run masked dense.
     */
    public boolean spatialSparse() {
        return spatialSparse(geometry, mode(), spatialGroups());
    }

    /**
     * Whether a block of this shape and gating can run its spatial gate sparsely (see {@link #spatialSparse()}); the
     * engine's rule, shared with the latency models.
     *
     * @param geometry the block's shape
     * @param mode its gate mode
     * @param spatialGroups its spatial mask groups
     * @return whether spatial gather-conv-scatter paths exist for it
     */
    public static boolean spatialSparse(BlockGeometry geometry, GateMode mode, int spatialGroups) {
        return (mode == GateMode.SPATIAL || mode == GateMode.BOTH) && geometry.type() == BlockType.BOTTLENECK
                && geometry.conv1Stride() == 1 && spatialGroups == 1;
    }

    /**
     * Returns whether the block has sparse spatial paths (gather-conv-scatter schedules): a SPATIAL or BOTH block
     * whose spatial gate runs sparsely ({@link #spatialSparse()}) and, in BOTH mode, whose channel patterns run with
     * weight slices ({@link #channelSlicing()}). Other spatially gated blocks run masked dense.
     */
    public boolean spatialPathsExist() {
        return spatialPathsExist(geometry, mode(), spatialGroups(), channelGroups());
    }

    /**
     * Whether a block of this shape and gating has sparse spatial paths (see {@link #spatialPathsExist()}); the
     * engine's rule, shared with the latency models.
     *
     * @param geometry the block's shape
     * @param mode its gate mode
     * @param spatialGroups its spatial mask groups {@code gs}
     * @param channelGroups its channel gate's groups {@code G} (only read in BOTH mode)
     * @return whether the SPATIAL or BOTH block's gather-conv-scatter schedules exist
     */
    public static boolean spatialPathsExist(BlockGeometry geometry, GateMode mode, int spatialGroups,
            int channelGroups) {
        return spatialSparse(geometry, mode, spatialGroups)
                && (mode == GateMode.SPATIAL || channelSlicing(geometry, channelGroups));
    }

    /**
     * Returns whether channel patterns can run with weight slices: an ungrouped conv2, or a bottleneck whose every
     * channel-gate group consists of whole convolution groups ({@code (w / G) % groupWidth == 0}). Otherwise channel
     * gates run masked dense.
     */
    public boolean channelSlicing() {
        return channelMasker != null && channelSlicing(geometry, channelMasker.groups());
    }

    /**
     * Whether channel patterns of a block of this shape can run with weight slices (see {@link #channelSlicing()}); the
     * engine's rule, shared with the latency models.
     *
     * @param geometry the block's shape
     * @param channelGroups the channel gate's groups {@code G}
     * @return whether the CHANNEL path (and BOTH's per-pattern slices) exist for it
     */
    public static boolean channelSlicing(BlockGeometry geometry, int channelGroups) {
        int groupWidth = geometry.width() / geometry.convGroups();
        return geometry.convGroups() == 1
                || (geometry.type() == BlockType.BOTTLENECK && (geometry.width() / channelGroups) % groupWidth == 0);
    }
}
