package org.laudnet.models.resnet;

import java.util.List;
import org.laudnet.core.block.BlockType;

/**
 * The standard ResNet depths and their stage tables (He et al., 2016): block family and number of blocks per stage.
 * Stage widths are 64, 128, 256, 512; bottleneck stages output {@code 4 x width} channels.
 */
public enum ResNetDepth {
    /** ResNet-18: basic blocks, 2-2-2-2. */
    RESNET18(BlockType.BASIC, List.of(2, 2, 2, 2)),
    /** ResNet-34: basic blocks, 3-4-6-3. */
    RESNET34(BlockType.BASIC, List.of(3, 4, 6, 3)),
    /** ResNet-50: bottlenecks, 3-4-6-3. */
    RESNET50(BlockType.BOTTLENECK, List.of(3, 4, 6, 3)),
    /** ResNet-101: bottlenecks, 3-4-23-3. */
    RESNET101(BlockType.BOTTLENECK, List.of(3, 4, 23, 3));

    /** Inner width of each stage. */
    public static final List<Integer> WIDTHS = List.of(64, 128, 256, 512);

    private final BlockType blockType;
    private final List<Integer> blocksPerStage;

    ResNetDepth(BlockType blockType, List<Integer> blocksPerStage) {
        this.blockType = blockType;
        this.blocksPerStage = blocksPerStage;
    }

    /** Returns the block family. */
    public BlockType blockType() {
        return blockType;
    }

    /** Returns the number of blocks of each of the four stages. */
    public List<Integer> blocksPerStage() {
        return blocksPerStage;
    }

    /** Returns the channel expansion of a block's output over its width (4 for bottlenecks, 1 for basic blocks). */
    public int expansion() {
        return blockType == BlockType.BOTTLENECK ? 4 : 1;
    }

    /**
     * Looks a depth up by its number.
     *
     * @param layers 18, 34, 50 or 101
     * @return the depth
     * @throws IllegalArgumentException for any other number
     */
    public static ResNetDepth of(int layers) {
        return switch (layers) {
            case 18 -> RESNET18;
            case 34 -> RESNET34;
            case 50 -> RESNET50;
            case 101 -> RESNET101;
            default -> throw new IllegalArgumentException("layers must be 18, 34, 50 or 101, got " + layers);
        };
    }
}
