package org.laudnet.models.fidelity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.cost.MaskerMacsConvention;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.models.resnet.LaudResNet;
import org.laudnet.models.resnet.ResNetDepth;

/**
 * Cost accounting against the reference implementation's counts (fixture {@code fidelity/reference-costs.properties},
 * written by {@code scripts/fixtures/reference_fidelity.py}): static MACs with the max pool, the average pool and the
 * classifier bias, and the layer gate's masker MACs under both conventions.
 */
class ReferenceCostsTest {

    private static Properties fixture() throws IOException {
        Properties p = new Properties();
        try (InputStream in = ReferenceCostsTest.class.getResourceAsStream(
                "/org/laudnet/models/fidelity/reference-costs.properties")) {
            p.load(in);
        }
        return p;
    }

    @Test
    void staticMacsEqualTheReferenceOperationCounter() throws IOException {
        Properties p = fixture();
        assertEquals(Long.parseLong(p.getProperty("static_macs.resnet50")),
                LaudResNet.builder().setDepth(ResNetDepth.RESNET50).build().staticMacs());
        assertEquals(Long.parseLong(p.getProperty("static_macs.resnet18")),
                LaudResNet.builder().setDepth(ResNetDepth.RESNET18).build().staticMacs());
    }

    @Test
    void layerMaskerMacsUnderBothConventions() throws IOException {
        GatedBackbone net = LaudResNet.builder().setDepth(ResNetDepth.RESNET50)
                .optStageGates(GateSpec.layer(), GateSpec.layer(), GateSpec.layer(), GateSpec.layer()).build();
        long reference = 0;
        long physical = 0;
        for (AbstractGatedBlock b : net.getBlocks()) {
            reference += b.getCost(MaskerMacsConvention.REFERENCE).maskerMacs();
            physical += b.getCost(MaskerMacsConvention.PHYSICAL).maskerMacs();
        }
        Properties p = fixture();
        assertEquals(Integer.parseInt(p.getProperty("layer_masker_blocks.resnet50")), net.getBlocks().size());
        assertEquals(Long.parseLong(p.getProperty("layer_masker_macs.resnet50")), reference);
        // physically: every block pools its whole input (Cin H W reads) and runs a Cin -> 2 linear layer:
        // sum over the 16 blocks of Cin H W = 5,619,712, plus 2 * sum Cin = 26,240
        assertEquals(5_645_952L, physical);
        assertEquals(physical, net.getBlocks().stream().mapToLong(b -> b.getCost().maskerMacs()).sum());
    }
}
