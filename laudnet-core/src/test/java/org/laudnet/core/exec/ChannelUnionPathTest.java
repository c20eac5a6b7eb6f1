package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.AbstractGatedBlock;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.mask.MaskOps;
import org.laudnet.core.net.GatedBackbone;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.testing.ManagedTest;
import org.laudnet.core.testing.TestArrays;
import org.laudnet.core.testing.TestNets;

/**
 * {@link ExecutionPath#CHANNEL_UNION} against an independent masked-dense computation of the training form (method
 * section 1, both channel mask placements) within 1e-4: ResNet bottlenecks (v1.5 identity, v1 strided with
 * projection), a basic block, a grouped bottleneck and RegNetY-style squeeze-excitation blocks; random per-sample
 * patterns, every group open, every group closed, one sample closed, one shared pattern; batch 1, 3 and 8; the whole
 * batch as one union, one cluster per pattern and partial merges; on the DJL and the reference backend, through the
 * path itself and through the executor's forced policy.
 */
class ChannelUnionPathTest extends ManagedTest {

    private static final double TOL = 1e-4;

    /** A block to build on the test's manager, by name. */
    record Case(String name, int groups, ChannelMaskPlacement placement,
            Function<ChannelUnionPathTest, AbstractGatedBlock> build) {
        @Override
        public String toString() {
            return name + " G=" + groups + " " + placement;
        }
    }

    static Stream<Arguments> cases() {
        List<Case> c = new ArrayList<>();
        for (ChannelMaskPlacement p : ChannelMaskPlacement.values()) {
            c.add(new Case("bottleneck", 4, p, t -> t.residual(BlockGeometry.bottleneck(32, 16, 6, 1), 4, p)));
            c.add(new Case("bottleneck-v1-s2", 4, p, t -> t.residual(new BlockGeometry(BlockType.BOTTLENECK, 16, 16,
                    32, 7, 7, 2, 1, StridePlacement.CONV1), 4, p)));
            c.add(new Case("basic-s2", 4, p, t -> t.residual(BlockGeometry.basic(8, 16, 7, 2), 4, p)));
        }
        c.add(new Case("grouped", 2, ChannelMaskPlacement.AFTER_ACTIVATION, t -> t.residual(new BlockGeometry(
                BlockType.BOTTLENECK, 32, 16, 32, 6, 6, 1, 4, StridePlacement.CONV2), 2, null)));
        c.add(new Case("regnety-se", 2, ChannelMaskPlacement.AFTER_ACTIVATION, t -> t.squeeze(0)));
        c.add(new Case("regnety-se-s2", 4, ChannelMaskPlacement.AFTER_ACTIVATION, t -> t.squeeze(2)));
        return c.stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void unionPathEqualsTheMaskedDenseBlock(Case bc) {
        AbstractGatedBlock b = bc.build().apply(this);
        assertEquals(bc.placement(), b.getGateSpec().channelMaskPlacement());
        BlockPlan plan = BlockPlan.of(b, 0, ps);
        assertTrue(plan.channelSlicing(), "the block runs channel slices");
        BlockGeometry g = b.getGeometry();
        ChannelClusters.Costs[] clusterings = {ChannelClusters.Costs.ONE_UNION, ChannelClusters.Costs.PER_PATTERN,
            // half a sample's dense branch per sub-batch: merges some patterns and keeps others apart
            new ChannelClusters.Costs(0.5 * plan.cost().denseMacs(), 0)};
        for (int batch : new int[] {1, 3, 8}) {
            NDArray x = TestArrays.randn(m, 3 + batch, new Shape(batch, g.inChannels(), g.inHeight(), g.inWidth()));
            for (Map.Entry<String, float[]> mask : masks(batch, bc.groups(), 11 + batch).entrySet()) {
                NDArray cm = m.create(mask.getValue(), new Shape(batch, bc.groups()));
                float[] expected = reference(b, x, cm).toFloatArray();
                for (Backend<?> backend : List.of(DjlBackend.create(m), new ReferenceBackend())) {
                    try {
                        for (ChannelClusters.Costs costs : clusterings) {
                            float[] got = runPath(backend, plan, x, batch, mask.getValue(), costs);
                            assertClose(expected, got, bc + " batch " + batch + " " + mask.getKey() + " "
                                    + backend.id() + " " + costs);
                        }
                        try (BlockExecutor ex = BlockExecutor.builder().setBlock(b).setManager(m)
                                .optParameterStore(ps).optBackend(backend).build()) {
                            ExecutionResult r = ex.runWithMasks(x, null, cm, PathPolicy.CHANNEL_UNION);
                            assertClose(expected, r.output().toFloatArray(), bc + " executor batch " + batch + " "
                                    + mask.getKey() + " " + backend.id());
                            boolean open = true;
                            for (float v : mask.getValue()) {
                                open &= v == 1f;
                            }
                            assertEquals(open ? ExecutionPath.DENSE : ExecutionPath.CHANNEL_UNION, r.report().path(),
                                    bc + " " + mask.getKey());
                        }
                    } finally {
                        backend.close();
                    }
                }
            }
        }
    }

    /** Random per-sample patterns, all open, all closed, one sample closed (others random), one shared pattern. */
    private static Map<String, float[]> masks(int batch, int groups, long seed) {
        Random r = new Random(seed);
        Map<String, float[]> out = new LinkedHashMap<>();
        float[] random = new float[batch * groups];
        for (int i = 0; i < random.length; i++) {
            random[i] = r.nextBoolean() ? 1 : 0;
        }
        out.put("random", random);
        float[] open = new float[batch * groups];
        Arrays.fill(open, 1);
        out.put("all open", open);
        out.put("all closed", new float[batch * groups]);
        // one sample closes every group; the others keep group 0 open, so that the union is not empty
        float[] oneClosed = random.clone();
        for (int b = 0; b < batch; b++) {
            oneClosed[b * groups] = 1;
        }
        Arrays.fill(oneClosed, (batch / 2) * groups, (batch / 2 + 1) * groups, 0);
        out.put("one sample closed", oneClosed);
        float[] shared = new float[batch * groups];
        for (int b = 0; b < batch; b++) {
            shared[b * groups] = 1;
            shared[b * groups + groups - 1] = 1;
        }
        out.put("shared pattern", shared);
        return out;
    }

    private <T> float[] runPath(Backend<T> backend, BlockPlan plan, NDArray x, int batch, float[] channels,
            ChannelClusters.Costs costs) {
        BlockWeights w = new BlockWeights(plan, backend);
        Nchw xs = new Nchw(batch, plan.geometry().inChannels(), plan.geometry().inHeight(),
                plan.geometry().inWidth());
        Nchw os = new Nchw(batch, plan.geometry().outChannels(), plan.geometry().outHeight(),
                plan.geometry().outWidth());
        try (Kernels<T> k = backend.newKernels(); Kernels.Scope<T> scope = k.openScope()) {
            T in = k.importArray(x, xs);
            Masks mk = new Masks(plan, batch, null, channels);
            T y = ChannelUnionPath.INSTANCE.execute(new BlockCall<>(k, w, in, xs, mk, false, null, costs));
            return k.exportHost(y, os.size());
        }
    }

    private static void assertClose(float[] expected, float[] got, String what) {
        assertEquals(expected.length, got.length, what);
        double scale = 1e-6;
        double diff = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(expected[i] - got[i]));
        }
        assertTrue(diff <= TOL * scale, what + ": max difference " + diff + " at scale " + scale);
    }

    /** The training form with an imposed channel mask, from the block's own layers in eval mode. */
    private NDArray reference(AbstractGatedBlock b, NDArray x, NDArray channel) {
        boolean before = b.getGateSpec().channelMaskPlacement() == ChannelMaskPlacement.BEFORE_NORM;
        NDArray identity = b.getDownsample().map(d -> fwd(d.bn(), fwd(d.conv(), x))).orElse(x);
        NDArray z = fwd(b.getConv1().conv(), x);
        if (before) {
            z = MaskOps.applyChannel(z, channel);
        }
        NDArray h = Activation.relu(fwd(b.getConv1().bn(), z));
        if (!before) {
            h = MaskOps.applyChannel(h, channel);
        }
        z = fwd(b.getConv2().conv(), h);
        if (before && b.getConv3().isPresent()) {
            z = MaskOps.applyChannel(z, channel);
        }
        h = fwd(b.getConv2().bn(), z);
        if (b.getConv3().isPresent()) {
            h = Activation.relu(h);
            if (!before) {
                h = MaskOps.applyChannel(h, channel);
            }
            if (b.getSqueezeExcitation().isPresent()) {
                AbstractGatedBlock.SqueezeExcitation se = b.getSqueezeExcitation().get();
                Shape s = h.getShape();
                NDArray pooled = h.reshape(s.get(0), s.get(1), s.get(2) * s.get(3)).mean(new int[] {2})
                        .reshape(s.get(0), s.get(1), 1, 1);
                NDArray scale = Activation.sigmoid(fwd(se.fc2(), Activation.relu(fwd(se.fc1(), pooled))));
                h = h.mul(scale);
            }
            h = fwd(b.getConv3().get().bn(), fwd(b.getConv3().get().conv(), h));
        }
        return Activation.relu(h.add(identity));
    }

    private NDArray fwd(Block block, NDArray x) {
        return block.forward(ps, new NDList(x), false).head();
    }

    /** A residual block with perturbed BatchNorms; {@code placement} null for the default. */
    private AbstractGatedBlock residual(BlockGeometry g, int groups, ChannelMaskPlacement placement) {
        GateSpec spec = GateSpec.channel(groups);
        if (placement != null) {
            spec = spec.withChannelMaskPlacement(placement);
        }
        GatedResidualBlock b = GatedResidualBlock.builder().setGeometry(g).optGateSpec(spec)
                .optConvBias(false).optBatchNormEpsilon(1e-3f).build();
        b.initialize(m, DataType.FLOAT32, new Shape(1, g.inChannels(), g.inHeight(), g.inWidth()));
        Random r = new Random(groups * 31L + g.inChannels());
        TestArrays.perturbBatchNorm(b.getConv1().bn(), r);
        TestArrays.perturbBatchNorm(b.getConv2().bn(), r);
        b.getConv3().ifPresent(c -> TestArrays.perturbBatchNorm(c.bn(), r));
        b.getDownsample().ifPresent(c -> TestArrays.perturbBatchNorm(c.bn(), r));
        return b;
    }

    /** A squeeze-excitation bottleneck with grouped conv2 (RegNetY-style) of a small test network. */
    private AbstractGatedBlock squeeze(int index) {
        GatedBackbone net = TestNets.network(new TestNets.SqueezeFamily(8), 3, 8,
                TestNets.squeezeStages(GateSpec.channel(2), GateSpec.channel(4)));
        TestNets.initialise(net, m, 23);
        AbstractGatedBlock b = net.getBlocks().get(index);
        assertTrue(b.getSqueezeExcitation().isPresent(), "a squeeze-excitation block");
        return b;
    }
}
