package org.laudnet.models.resnet;

import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.net.BlockFamily;
import org.laudnet.core.net.BlockSlot;

/**
 * The ResNet block family: basic blocks (ResNet-18/34) or bottlenecks (ResNet-50/101) as {@link GatedResidualBlock}s.
 *
 * @param blockType bottleneck or basic
 * @param stridePlacement where a downsampling bottleneck strides: torchvision "v1.5" on the 3x3 convolution, the
 *     original/Keras "v1" on the first 1x1
 * @param convBias whether every convolution (stem included) has a bias (Keras weights have them)
 */
public record ResNetFamily(BlockType blockType, StridePlacement stridePlacement, boolean convBias)
        implements BlockFamily {

    /** The architecture identifier model files record. */
    public static final String ID = "resnet";

    /** Validates the fields. */
    public ResNetFamily {
        if (blockType == null || stridePlacement == null) {
            throw new IllegalArgumentException("blockType and stridePlacement must not be null");
        }
    }

    /** {@inheritDoc} */
    @Override
    public String id() {
        return ID;
    }

    /** {@inheritDoc} */
    @Override
    public boolean stemConvBias() {
        return convBias;
    }

    /** {@inheritDoc} */
    @Override
    public AbstractGatedBlock newBlock(BlockSlot slot) {
        BlockGeometry g = new BlockGeometry(blockType, slot.inChannels(), slot.spec().width(),
                slot.spec().outChannels(), slot.inSize(), slot.inSize(), slot.stride(), 1, stridePlacement);
        return slot.configure(GatedResidualBlock.builder()
                        .setGeometry(g)
                        .optGateSpec(slot.spec().gate())
                        .optConvBias(convBias))
                .build();
    }
}
