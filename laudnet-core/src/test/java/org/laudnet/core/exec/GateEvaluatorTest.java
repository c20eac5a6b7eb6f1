package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.StridePlacement;
import org.laudnet.core.cost.BlockCost;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.ChannelMasker;
import org.laudnet.core.plan.FoldedConv;
import org.laudnet.core.plan.SpatialMasker;
import org.laudnet.core.testing.ManagedTest;

/**
 * The gates pooled on the host ({@link Kernels#poolToHost}, the maskers' layers on the pooled cells) against the
 * maskers run as backend primitives ({@code avgPool(conv1x1(x))}, the backend mean), on the reference and the DJL
 * backend, batch 1 and 3: the same decisions, and spatial logits within {@code 1e-5}. Blocks: spatial with even bins,
 * uneven (overlapping) bins, stride 2 (pooled from the larger input), two mask groups; layer; MLP and conv-linear
 * channel maskers; spatial and channel together.
 */
class GateEvaluatorTest extends ManagedTest {

    static Stream<Arguments> blocks() {
        GateSpec s4 = GateSpec.spatial(4);
        GateSpec s2 = GateSpec.spatial(2);
        return Stream.of(
                Arguments.of("spatial S=4, 28 x 28 (even bins of 4)", basic(16, 16, 28, 1, s4)),
                Arguments.of("spatial S=2, stride 2, 28 -> 14 (bins of 4 of the input)", basic(16, 32, 28, 2, s2)),
                Arguments.of("spatial S=4, 30 x 30 (uneven bins)", basic(8, 8, 30, 1, s4)),
                Arguments.of("spatial S=2, stride 2, 30 -> 15 (uneven bins)", basic(8, 16, 30, 2, s2)),
                Arguments.of("spatial S=1, 7 x 7 (one pixel per cell)", basic(24, 24, 7, 1, GateSpec.spatial(1))),
                Arguments.of("spatial S=2, two mask groups", basic(8, 8, 12, 1,
                        new GateSpec(GateMode.SPATIAL, 2, 2, 1, ChannelMaskerKind.MLP_2))),
                Arguments.of("layer", basic(16, 16, 14, 1, GateSpec.layer())),
                Arguments.of("channel MLP-2, G = 4", basic(16, 16, 14, 1, GateSpec.channel(4))),
                Arguments.of("channel MLP-1, G = 2", basic(16, 16, 14, 1,
                        new GateSpec(GateMode.CHANNEL, 1, 1, 2, ChannelMaskerKind.MLP_1))),
                Arguments.of("channel conv-linear, G = 4", basic(16, 16, 14, 1,
                        new GateSpec(GateMode.CHANNEL, 1, 1, 4, ChannelMaskerKind.CONV_LINEAR))),
                Arguments.of("both S=2 G=4, bottleneck", bottleneck(16, 8, 32, 12, GateSpec.both(2, 4))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("blocks")
    void hostPoolingDecidesAsTheBackendMaskers(String label, BlockPlan plan) {
        for (Backend<?> backend : new Backend<?>[] {new ReferenceBackend(), DjlBackend.create(m)}) {
            try (backend) {
                compare(label + " on " + backend.id(), plan, backend);
            }
        }
    }

    private static <T> void compare(String what, BlockPlan plan, Backend<T> backend) {
        BlockWeights w = new BlockWeights(plan, backend);
        BlockGeometry g = plan.geometry();
        try (Kernels<T> k = backend.newKernels(); Kernels.Scope<T> scope = k.openScope()) {
            for (int batch : new int[] {1, 3}) {
                Nchw xs = new Nchw(batch, g.inChannels(), g.inHeight(), g.inWidth());
                float[] x = random(xs.size(), 101L * batch + g.inHeight());
                T t = k.importHost(x, xs);
                Masks host = GateEvaluator.evaluate(k, w, t, xs, true);
                Masks device = GateEvaluator.evaluate(k, w, t, xs, false);
                Masks chosen = GateEvaluator.evaluate(k, w, t, xs);
                String at = what + ", batch " + batch;
                if (plan.spatialMasker() != null) {
                    assertArrayEquals(device.cells.cells(), host.cells.cells(), at + ": spatial decisions");
                    assertArrayEquals(device.cells.cells(), chosen.cells.cells(), at + ": spatial decisions");
                    SpatialMasker sm = plan.spatialMasker();
                    if (sm.maskSize() > 1) {
                        float[] cells = host.cells.cells();
                        float open = 0;
                        for (float c : cells) {
                            open += c;
                        }
                        assertTrue(open > 0 && open < cells.length, at + ": the random gate should mix decisions");
                        assertLogitsClose(k, w, t, xs, at);
                    }
                }
                if (plan.channelMasker() != null) {
                    assertArrayEquals(device.channels, host.channels, at + ": channel decisions");
                    assertArrayEquals(device.channels, chosen.channels, at + ": channel decisions");
                }
            }
        }
    }

    /** The host logits {@code conv1x1(pool(x))} against the backend's {@code conv1x1(x)} pooled in double. */
    private static <T> void assertLogitsClose(Kernels<T> k, BlockWeights w, T t, Nchw xs, String at) {
        SpatialMasker sm = w.plan.spatialMasker();
        int m = sm.maskSize();
        int outs = 2 * sm.groups();
        float[] host = sm.logitsFromPooled(k.poolToHost(t, xs, m), xs.batch());
        Nchw ls = xs.withChannels(outs);
        float[] full = k.exportHost(k.conv(t, xs, w.spatialMasker, null, false), ls.size());
        float[] want = HostPoolingTest.naive(full, xs.batch() * outs, xs.height(), xs.width(), m);
        assertEquals(want.length, host.length, at + ": logits");
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], host[i], 1e-5 * Math.max(1, Math.abs(want[i])), at + ": logit " + i);
        }
    }

    // ------------------------------------------------------------------------------------------------ plans

    private static BlockPlan basic(int in, int out, int size, int stride, GateSpec gate) {
        Random r = new Random(in * 131L + out * 17L + size + gate.hashCode());
        BlockGeometry g = new BlockGeometry(BlockType.BASIC, in, out, out, size, size, stride, 1,
                StridePlacement.CONV2);
        return plan(r, g, gate, conv(r, out, in, 3, stride), conv(r, out, out, 3, 1), null);
    }

    private static BlockPlan bottleneck(int in, int width, int out, int size, GateSpec gate) {
        Random r = new Random(in * 7L + width + out + size);
        BlockGeometry g = new BlockGeometry(BlockType.BOTTLENECK, in, width, out, size, size, 1, 1,
                StridePlacement.CONV2);
        return plan(r, g, gate, conv(r, width, in, 1, 1), conv(r, width, width, 3, 1), conv(r, out, width, 1, 1));
    }

    private static BlockPlan plan(Random r, BlockGeometry g, GateSpec gate, FoldedConv c1, FoldedConv c2,
            FoldedConv c3) {
        int cin = g.inChannels();
        FoldedConv down = g.hasDownsample() ? conv(r, g.outChannels(), cin, 1, g.stride()) : null;
        SpatialMasker spatial = null;
        if (gate.mode().hasSpatialGate()) {
            int gs = gate.spatialGroups();
            // a bias that opens about half the cells of a zero-mean input
            spatial = new SpatialMasker(linear(r, 2 * gs, cin, 1f), gate.maskSize(g.outHeight()), gs);
        }
        ChannelMasker channel = null;
        if (gate.mode().hasChannelGate()) {
            int groups = gate.channelGroups();
            channel = switch (gate.maskerKind()) {
                case MLP_1 -> new ChannelMasker(ChannelMaskerKind.MLP_1, groups, linear(r, 2 * groups, cin, 1f), null);
                case MLP_2 -> new ChannelMasker(ChannelMaskerKind.MLP_2, groups, linear(r, 8, cin, 1f),
                        linear(r, 2 * groups, 8, 1f));
                case CONV_LINEAR -> new ChannelMasker(ChannelMaskerKind.CONV_LINEAR, groups, linear(r, 8, cin, 1f),
                        linear(r, 2 * groups, 8, 1f));
            };
        }
        return new BlockPlan(g, gate, c1, c2, c3, down, null, spatial, channel, BlockCost.of(g, 0, 0), 0);
    }

    private static FoldedConv conv(Random r, int out, int in, int k, int stride) {
        float std = (float) Math.sqrt(2.0 / (in * k * k));
        return new FoldedConv(out, in, k, stride, k / 2, 1, gaussian(r, out * in * k * k, std), gaussian(r, out,
                0.05f));
    }

    private static FoldedConv linear(Random r, int out, int in, float scale) {
        return FoldedConv.linear(out, in, gaussian(r, out * in, scale * (float) Math.sqrt(1.0 / in)),
                gaussian(r, out, 0.05f));
    }

    private static float[] gaussian(Random r, int n, float std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * std);
        }
        return a;
    }

    private static float[] random(int n, long seed) {
        return HostPoolingTest.random(n, seed);
    }
}
