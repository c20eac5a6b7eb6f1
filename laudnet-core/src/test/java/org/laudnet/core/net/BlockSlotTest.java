package org.laudnet.core.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.gate.GumbelTemperature;
import org.laudnet.core.testing.TestNets;

class BlockSlotTest {

    @Test
    void configureGivesTheBuilderEverySharedSetting() {
        GumbelTemperature tau = GumbelTemperature.constant(0.5f);
        BlockSlot slot = new BlockSlot(0, 0, new StageSpec(1, 8, 32, 1, GateSpec.none()), 16, 8, 1, 1e-3f, 42L, tau);
        GatedResidualBlock.Builder b = GatedResidualBlock.builder();
        assertSame(b, slot.configure(b));
        assertEquals(1e-3f, b.epsilon());
        assertEquals(42L, b.seed());
        assertSame(tau, b.temperature());
    }

    @Test
    void everyTestFamilyHonoursTheNetworkEpsilon() {
        List<StageSpec> stages = TestNets.basicStages(GateSpec.spatial(2), GateSpec.none());
        for (BlockFamily family : List.of(new TestNets.ResidualFamily(BlockType.BASIC, StridePlacement.CONV2),
                new TestNets.SqueezeFamily(8))) {
            GatedBackbone net = GatedBackbone.builder(family, StemSpec.small(3, 16)).setStages(stages)
                    .optInputSize(8).optNumClasses(5).optBatchNormEpsilon(1e-3f).build();
            for (AbstractGatedBlock block : net.getBlocks()) {
                assertEquals(1e-3f, block.getBatchNormEpsilon(), family.id());
            }
        }
    }
}
