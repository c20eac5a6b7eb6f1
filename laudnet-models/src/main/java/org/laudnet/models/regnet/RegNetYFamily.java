package org.laudnet.models.regnet;

import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.net.BlockFamily;
import org.laudnet.core.net.BlockSlot;
import org.laudnet.core.util.Checks;

/**
 * The RegNetY block family: {@link GatedRegNetYBlock}s (bottleneck ratio 1, grouped 3x3 convolution carrying the
 * stride, squeeze-excitation), no convolution biases.
 *
 * @param groupWidth channels per group of the 3x3 convolutions (capped at a stage's width)
 * @param seRatio squeeze-excitation width relative to the block input channels, in {@code (0, 1]}
 */
public record RegNetYFamily(int groupWidth, double seRatio) implements BlockFamily {

    /** The architecture identifier model files record. */
    public static final String ID = "regnety";

    /** Validates the fields. */
    public RegNetYFamily {
        Checks.positive("groupWidth", groupWidth);
        if (!(seRatio > 0 && seRatio <= 1)) {
            throw new IllegalArgumentException("seRatio must be in (0, 1], got " + seRatio);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String id() {
        return ID;
    }


    /** {@inheritDoc} */
    @Override
    public AbstractGatedBlock newBlock(BlockSlot slot) {
        return slot.configure(GatedRegNetYBlock.builder()
                        .setChannels(slot.inChannels(), slot.spec().width(), slot.spec().outChannels())
                        .setInput(slot.inSize(), slot.stride())
                        .setGroupWidth(Math.min(groupWidth, slot.spec().width()))
                        .optSeRatio(seRatio)
                        .optGateSpec(slot.spec().gate()))
                .build();
    }
}
