package org.laudnet.core.latency;

import java.util.ArrayList;
import java.util.List;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.util.Checks;

/**
 * A residual network as the latency model sees it: a stem convolution, a stem pooling, a chain of residual blocks, a
 * global pooling and a linear classifier. Shapes exclude the batch.
 *
 * @param name a label
 * @param stem the stem convolution
 * @param stemPool the pooling after the stem
 * @param blocks the residual blocks in order; each block's input must be the previous output
 * @param numClasses classifier outputs
 */
public record NetworkSpec(
        String name, ConvShape stem, PoolShape stemPool, List<BlockGeometry> blocks, int numClasses) {

    /** One stage of a ResNet: bottleneck width, number of blocks, stride of the first block. */
    private record Stage(int width, int depth, int stride) {}

    private static final List<Stage> RESNET50_STAGES =
            List.of(new Stage(64, 3, 1), new Stage(128, 4, 2), new Stage(256, 6, 2), new Stage(512, 3, 2));

    /** Validates the chain of shapes: stem to pool to every block. */
    public NetworkSpec {
        if (name == null || stem == null || stemPool == null) {
            throw new IllegalArgumentException("name, stem and stemPool must not be null");
        }
        if (blocks == null || blocks.isEmpty()) {
            throw new IllegalArgumentException("blocks must not be empty");
        }
        blocks = List.copyOf(blocks);
        Checks.positive("numClasses", numClasses);
        if (stemPool.channels() != stem.outChannels() || stemPool.inHeight() != stem.outHeight()
                || stemPool.inWidth() != stem.outWidth()) {
            throw new IllegalArgumentException("stemPool must take the stem output (" + stem.outChannels() + ", "
                    + stem.outHeight() + ", " + stem.outWidth() + "), got " + stemPool);
        }
        int c = stemPool.channels();
        int h = stemPool.outHeight();
        int w = stemPool.outWidth();
        for (int i = 0; i < blocks.size(); i++) {
            BlockGeometry b = blocks.get(i);
            if (b.inChannels() != c || b.inHeight() != h || b.inWidth() != w) {
                throw new IllegalArgumentException("blocks[" + i + "] must take input (" + c + ", " + h + ", " + w
                        + "), got " + b);
            }
            c = b.outChannels();
            h = b.outHeight();
            w = b.outWidth();
        }
    }

    /**
     * The ResNet-50 v1.5 bottleneck blocks at a {@code 224 x 224} input: stages of widths 64, 128, 256, 512 and depths
     * 3, 4, 6, 3; the first block of stages 2-4 has stride 2 on its 3x3 convolution; {@code Cout = 4 w}.
     *
     * @return the 16 block geometries
     */
    public static List<BlockGeometry> resnet50V15Blocks() {
        List<BlockGeometry> out = new ArrayList<>();
        int channels = 64;
        int size = 56;
        for (Stage stage : RESNET50_STAGES) {
            for (int i = 0; i < stage.depth(); i++) {
                int stride = i == 0 ? stage.stride() : 1;
                BlockGeometry g = BlockGeometry.bottleneck(channels, stage.width(), size, stride);
                out.add(g);
                channels = g.outChannels();
                size = g.outHeight();
            }
        }
        return out;
    }

    /**
     * ResNet-50 v1.5 at {@code 224 x 224}: stem {@code conv 7x7 s2 p3, 3 -> 64} (112 x 112), max pool {@code 3x3 s2 p1}
     * (56 x 56), the blocks of {@link #resnet50V15Blocks()}, global average pool of {@code 2048 x 7 x 7}, linear
     * {@code 2048 -> 1000}.
     *
     * @return the network
     */
    public static NetworkSpec resnet50V15() {
        ConvShape stem = new ConvShape(3, 64, 224, 224, 7, 2, 1, 3);
        PoolShape pool = new PoolShape(64, 112, 112, 56, 56);
        return new NetworkSpec("ResNet-50 v1.5 (224x224)", stem, pool, resnet50V15Blocks(), 1000);
    }

    /** Returns the output of the last block as a global pooling to {@code 1 x 1}. */
    public PoolShape headPool() {
        BlockGeometry last = blocks.get(blocks.size() - 1);
        return PoolShape.global(last.outChannels(), last.outHeight(), last.outWidth());
    }

    /** Returns the classifier {@code Clast -> numClasses} as a {@code 1 x 1} convolution of a {@code 1 x 1} input. */
    public ConvShape classifier() {
        return ConvShape.linear(blocks.get(blocks.size() - 1).outChannels(), numClasses);
    }

    /**
     * Returns one static query per block.
     *
     * @param batchSize {@code N}
     * @return the queries, in block order
     */
    public List<BlockLatencyQuery> staticQueries(int batchSize) {
        List<BlockLatencyQuery> out = new ArrayList<>(blocks.size());
        for (BlockGeometry g : blocks) {
            out.add(BlockLatencyQuery.staticBlock(g, batchSize));
        }
        return out;
    }
}
