package org.laudnet.core.latency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.cost.BlockGeometry;
import org.junit.jupiter.api.Test;

class LatencyInputsTest {

    private static final BlockGeometry G = BlockGeometry.bottleneck(256, 64, 56, 1);

    private static void assertMessageNames(String field, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(field), "message '" + e.getMessage() + "' should name " + field);
    }

    @Test
    void badQueriesNameTheField() {
        assertMessageNames("density", () -> new BlockLatencyQuery(G, GateMode.SPATIAL, 4, 1, 1.5, 1, 8));
        assertMessageNames("channelDensity", () -> new BlockLatencyQuery(G, GateMode.CHANNEL, 1, 4, 1, -0.1, 8));
        assertMessageNames("spatialGranularity", () -> new BlockLatencyQuery(G, GateMode.SPATIAL, 3, 1, 0.5, 1, 8));
        assertMessageNames("channelGroups", () -> new BlockLatencyQuery(G, GateMode.CHANNEL, 1, 3, 1, 0.5, 8));
        assertMessageNames("batchSize", () -> new BlockLatencyQuery(G, GateMode.SPATIAL, 4, 1, 0.5, 1, 0));
        assertMessageNames("mode", () -> new BlockLatencyQuery(G, null, 4, 1, 0.5, 1, 8));
        TiledRooflineModel m = new TiledRooflineModel(HardwareSpec.V100);
        assertMessageNames("batchSize", () -> m.staticLatencyMs(G, 0));
        assertMessageNames("batchSize", () -> m.convLatencyMs(ConvShape.of(8, 8, 8, 3, 1), 0));
        assertMessageNames("groups", () -> new ConvShape(6, 8, 8, 8, 3, 1, 4, 1));
        assertMessageNames("outDensity", () -> ConvKernel.channelGated(ConvShape.of(8, 8, 8, 1, 1), 1, 1, 0.5, 0));
        assertMessageNames("clockHz", () -> new HardwareSpec("x", 1, 1, -1, 1, 1, 0, 0, 0, 1));
        assertMessageNames("name", () -> HardwareSpec.preset("no-such-gpu"));
    }

    @Test
    void queriesDeriveMaskCellsAndPatches() {
        BlockLatencyQuery q = new BlockLatencyQuery(G, GateMode.SPATIAL, 4, 1, 0.3, 1, 8);
        assertEquals(14, q.maskSide());
        // ceil(0.3 * 196) = ceil(58.8) = 59
        assertEquals(59, q.activePatchesPerImage());
        // 0.25 * 196 = 49 exactly
        assertEquals(49, q.withDensity(0.25).activePatchesPerImage());
        assertEquals(0, q.withDensity(0).activePatchesPerImage());
        BlockLatencyQuery fromDensities = BlockLatencyQuery.of(
                G, GateMode.BOTH, 4, 2, new BlockDensities(0.7, 0.4, 0.4, 0.5), 8);
        assertEquals(0.4, fromDensities.density());
        assertEquals(0.5, fromDensities.channelDensity());
        assertEquals(1, new BlockLatencyQuery(G, GateMode.LAYER, 1, 1, 0.5, 1, 8).maskSide());
    }

    @Test
    void presetsAreValidAndDocumentedNumbersHold() {
        List<HardwareSpec> presets = HardwareSpec.presets();
        assertEquals(8, presets.size());
        Set<String> names = new HashSet<>();
        for (HardwareSpec hw : presets) {
            assertTrue(names.add(hw.name()), "duplicate " + hw.name());
            assertTrue(hw.fp32PeakMacsPerSecond() > 0);
            assertTrue(hw.launchCostSeconds() > 0 && hw.launchCostSeconds() < 1e-4);
            // tensor units, where present, beat the fp32 CUDA cores (2 FLOP per MAC)
            if (hw.fp16TensorFlops() > 0) {
                assertTrue(hw.fp16TensorFlops() > 2 * hw.fp32PeakMacsPerSecond(), hw.name());
            }
            assertSame(hw, HardwareSpec.preset(hw.name()));
            // every preset yields a finite positive prediction
            double t = new TiledRooflineModel(hw).staticLatencyMs(G, hw.defaultBatch());
            assertTrue(t > 0 && Double.isFinite(t), hw.name());
        }
        assertEquals(128, HardwareSpec.V100.defaultBatch());
        assertEquals(128, HardwareSpec.H200.defaultBatch());
        assertEquals(1, HardwareSpec.JETSON_TX2.defaultBatch());
        assertEquals(1, HardwareSpec.JETSON_NANO.defaultBatch());
        assertEquals(1.0, HardwareSpec.RTX3090.l2Factor());
        assertEquals(4.0, HardwareSpec.V100.l2Factor());
        // V100 reference numbers: 80 x 64 lanes at 1.5 GHz, 700 GB/s
        assertEquals(80 * 64 * 1.5e9, HardwareSpec.V100.fp32PeakMacsPerSecond());
        assertEquals(700e9, HardwareSpec.V100.dramBandwidthBytesPerSecond());
        // A100: 108 SMs x 64, 1.41 GHz -> 9.75 T fp32 MAC/s (19.5 TFLOPS datasheet)
        assertEquals(19.5e12, 2 * HardwareSpec.A100.fp32PeakMacsPerSecond(), 0.05e12);
        // H100 SXM5: 132 x 128 at 1.98 GHz -> 66.9 TFLOPS fp32 (datasheet 67)
        assertEquals(67e12, 2 * HardwareSpec.H100.fp32PeakMacsPerSecond(), 0.2e12);
        assertSame(HardwareSpec.JETSON_TX2, HardwareSpec.preset("tx2"));
        assertSame(HardwareSpec.RTX3090, HardwareSpec.preset("3090"));
    }

    @Test
    void resnet50DescriptionHasTheV15Shapes() {
        List<BlockGeometry> blocks = NetworkSpec.resnet50V15Blocks();
        assertEquals(16, blocks.size());
        assertEquals(BlockGeometry.bottleneck(64, 64, 56, 1), blocks.get(0));
        assertEquals(BlockGeometry.bottleneck(256, 128, 56, 2), blocks.get(3));
        assertEquals(BlockGeometry.bottleneck(512, 256, 28, 2), blocks.get(7));
        assertEquals(BlockGeometry.bottleneck(1024, 512, 14, 2), blocks.get(13));
        assertEquals(2048, blocks.get(15).outChannels());
        assertEquals(7, blocks.get(15).outHeight());
        NetworkSpec net = NetworkSpec.resnet50V15();
        assertEquals(112, net.stem().outHeight());
        assertEquals(ConvShape.linear(2048, 1000), net.classifier());
        assertEquals(PoolShape.global(2048, 7, 7), net.headPool());
        // conv MACs of the blocks plus stem and fc: the usual 4.1 G
        long macs = net.stem().macs() + net.classifier().macs();
        for (BlockGeometry g : blocks) {
            for (ConvShape c : TiledRooflineModel.branch(g)) {
                macs += c.macs();
            }
            ConvShape ds = TiledRooflineModel.downsample(g);
            macs += ds == null ? 0 : ds.macs();
        }
        assertEquals(4.1e9, macs, 0.05e9);
    }

    @Test
    void networkInputsAreChecked() {
        NetworkSpec net = NetworkSpec.resnet50V15();
        TiledRooflineModel m = new TiledRooflineModel(HardwareSpec.V100);
        assertMessageNames("blocks", () -> m.networkLatency(net, net.staticQueries(2).subList(0, 3)));
        List<BlockLatencyQuery> mixed = new java.util.ArrayList<>(net.staticQueries(2));
        mixed.set(5, BlockLatencyQuery.staticBlock(net.blocks().get(5), 4));
        assertMessageNames("batchSize", () -> m.networkLatency(net, mixed));
        List<BlockGeometry> broken = new java.util.ArrayList<>(net.blocks());
        broken.remove(3);
        assertMessageNames("blocks[3]", () -> new NetworkSpec("x", net.stem(), net.stemPool(), broken, 1000));
        assertMessageNames("totalMs", () -> new LatencyBreakdown(1, 0, 0, 0, 0, 0, 0, 2));
    }

    @Test
    void channelImbalanceExactCasesMatchHandValues() {
        // 2 tiles of 2 single-channel groups at d = 0.5: P(max >= 1) = 1 - (1/4)^2 = 15/16,
        // P(max >= 2) = 1 - (3/4)^2 = 7/16, E[max] = 22/16, normalised by c_t = 2
        assertEquals(22.0 / 32, ChannelImbalance.expectedMaxTileDensity(4, 2, 1, 0.5), 1e-12);
        // tiles inside groups of 4: all-or-nothing, 1 - (1 - 0.5)^2 over 2 groups
        assertEquals(0.75, ChannelImbalance.expectedMaxTileDensity(8, 2, 4, 0.5), 1e-12);
        // one tile: the mean
        assertEquals(0.3, ChannelImbalance.expectedMaxTileDensity(64, 64, 4, 0.3), 0);
        assertEquals(0, ChannelImbalance.expectedMaxTileDensity(64, 8, 4, 0), 0);
        assertEquals(1, ChannelImbalance.expectedMaxTileDensity(64, 8, 4, 1), 0);
    }

    @Test
    void channelImbalanceSampledCaseIsDeterministicAndMonotone() {
        // groups of 3 straddle tiles of 4: sampled with a fixed seed
        double prev = 0;
        for (int i = 1; i < 20; i++) {
            double d = i / 20.0;
            double v = ChannelImbalance.expectedMaxTileDensity(24, 4, 3, d);
            assertTrue(v >= d && v <= 1, "d " + d + " -> " + v);
            assertTrue(v >= prev, "d " + d + " -> " + v + " < " + prev);
            prev = v;
        }
        assertEquals(ChannelImbalance.expectedMaxTileDensity(24, 4, 3, 0.37),
                ChannelImbalance.expectedMaxTileDensity(24, 4, 3, 0.37), 0);
    }
}
