package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.testing.ManagedTest;

/**
 * The per-sample tables of {@link Masks} (densities, open cells, dilated-mask pixels, the union mask) and the work
 * features built from them equal a direct per-pixel recomputation, for spatial, grouped, BOTH and LAYER gates.
 */
class MasksTest extends ManagedTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(BlockGeometry.bottleneck(64, 16, 8, 1), GateSpec.spatial(2)),
                Arguments.of(BlockGeometry.bottleneck(32, 16, 16, 2), GateSpec.spatial(4)),
                Arguments.of(BlockGeometry.bottleneck(64, 16, 14, 1), GateSpec.spatial(7)),
                Arguments.of(BlockGeometry.bottleneck(64, 16, 8, 1), GateSpec.spatial(2).withSpatialGroups(4)),
                Arguments.of(BlockGeometry.bottleneck(64, 16, 8, 1), GateSpec.both(2, 4)),
                Arguments.of(BlockGeometry.basic(16, 32, 16, 2), GateSpec.spatial(4)),
                Arguments.of(BlockGeometry.bottleneck(64, 16, 8, 1), GateSpec.layer()),
                Arguments.of(BlockGeometry.bottleneck(64, 16, 8, 1), GateSpec.channel(4)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void tablesEqualADirectRecomputation(BlockGeometry g, GateSpec spec) {
        BlockPlan plan = plan(g, spec);
        Random r = new Random(spec.hashCode());
        int batch = 5;
        for (double density : new double[] {0, 0.2, 0.6, 1}) {
            int gs = plan.spatialGroups();
            int mm = plan.maskSize() * plan.maskSize();
            float[] cells = spec.mode().hasSpatialGate() ? random(r, batch * gs * mm, density) : null;
            float[] channels = spec.mode() == GateMode.CHANNEL || spec.mode() == GateMode.BOTH
                    ? random(r, batch * plan.channelGroups(), Math.max(density, 0.5)) : null;
            Masks mk = new Masks(plan, batch, cells, channels);
            String what = spec.mode() + " density " + density;
            List<BlockDensities> perSample = mk.sampleDensities();
            assertSame(perSample, mk.sampleDensities(), "the list is built once");
            double c1 = 0;
            for (int b = 0; b < batch; b++) {
                double dc = channelDensity(plan, channels, b);
                int m1 = cells == null ? (int) conv1Pixels(plan) : 0;
                double d1 = 1;
                double d2 = 1;
                double d3 = 1;
                if (cells != null) {
                    int open = 0;
                    for (int c = 0; c < gs * mm; c++) {
                        open += cells[b * gs * mm + c] != 0f ? 1 : 0;
                    }
                    d3 = open / (double) (gs * mm);
                    // conv1 and conv2 run on the union over mask groups (as the reference counts them)
                    float[] unionCells = new float[batch * mm];
                    int union = 0;
                    for (int c = 0; c < mm; c++) {
                        boolean any = false;
                        for (int q = 0; q < gs; q++) {
                            any |= cells[(b * gs + q) * mm + c] != 0f;
                        }
                        union += any ? 1 : 0;
                        unionCells[b * mm + c] = any ? 1f : 0f;
                    }
                    d2 = union / (double) mm;
                    m1 = dilated(plan, unionCells, 1, b, 0);
                    d1 = spec.mode() == GateMode.LAYER ? d2 : Math.min(1, m1 / (double) conv1Pixels(plan));
                    assertEquals(union, mk.openCells(b), what + " open cells of sample " + b);
                }
                assertEquals(new BlockDensities(d1, d2, d3, dc), perSample.get(b), what + " sample " + b);
                assertEquals(m1, mk.m1Pixels(b), what + " M1 pixels of sample " + b);
                c1 += m1 * (double) g.inChannels() * g.width() * dc;
            }
            if (cells != null) {
                assertArrayEquals(new SpatialCells(cells, batch, gs, plan.maskSize(), plan.granularity()).union(),
                        mk.cellMask(null), what + " union");
                int[] some = mk.cellMask(new int[] {1, 3});
                for (int b = 0; b < batch; b++) {
                    for (int c = 0; c < mm; c++) {
                        int expected = b == 1 || b == 3 ? mk.cellMask(null)[b * mm + c] : 0;
                        assertEquals(expected, some[b * mm + c], what + " restricted union");
                    }
                }
            }
            if (spec.mode() == GateMode.SPATIAL || spec.mode() == GateMode.BOTH) {
                double[] windows = PathFeatures.of(ExecutionPath.SPATIAL_WINDOWS, mk);
                double[] m1 = PathFeatures.of(ExecutionPath.SPATIAL_M1, mk);
                int at = channels == null ? 0 : 1;
                assertEquals(windows.length + 1, m1.length, what + " M1 has the conv1 rows feature");
                assertEquals(windows[at], m1[at], what + " same patch work");
                assertEquals(c1, m1[at + 1], 1e-9 * Math.max(1, c1), what + " conv1 rows");
            }
        }
    }

    private static float[] random(Random r, int n, double density) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextDouble() < density ? 1f : 0f;
        }
        return v;
    }

    private static double channelDensity(BlockPlan plan, float[] channels, int b) {
        if (channels == null) {
            return 1;
        }
        int g = plan.channelGroups();
        int on = 0;
        for (int q = 0; q < g; q++) {
            on += channels[b * g + q] != 0f ? 1 : 0;
        }
        return on / (double) g;
    }

    private static long conv1Pixels(BlockPlan plan) {
        BlockGeometry g = plan.geometry();
        return plan.bottleneck() ? g.conv1Pixels() : g.outPixels();
    }

    static Stream<Arguments> unevenCases() {
        return Stream.of(
                Arguments.of(BlockGeometry.bottleneck(64, 16, 14, 1), GateSpec.spatial(4)),
                Arguments.of(BlockGeometry.bottleneck(32, 16, 13, 2), GateSpec.spatial(3)),
                Arguments.of(BlockGeometry.basic(16, 16, 7, 1), GateSpec.spatial(2)),
                Arguments.of(BlockGeometry.basic(16, 16, 10, 1), GateSpec.spatial(3).withSpatialGroups(2)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("unevenCases")
    void unevenCellsCountTheDilatedPixelsOfTheirPerPixelGrid(BlockGeometry g, GateSpec spec) {
        BlockPlan plan = plan(g, spec);
        assertFalse(plan.evenCells(), "the case needs uneven cells");
        Random r = new Random(spec.hashCode() + 7);
        int batch = 4;
        int gs = plan.spatialGroups();
        for (double density : new double[] {0, 0.15, 0.5, 0.85, 1}) {
            float[] cells = random(r, batch * gs * plan.maskSize() * plan.maskSize(), density);
            Masks mk = new Masks(plan, batch, cells, null);
            SpatialCells grid = mk.cells;
            assertEquals(1, grid.cellSize(), "the per-pixel grid");
            int h = grid.maskSize();
            int[] union = grid.union();
            float[] unionCells = new float[union.length];
            for (int i = 0; i < union.length; i++) {
                unionCells[i] = union[i];
            }
            for (int b = 0; b < batch; b++) {
                assertEquals(dilated(plan, unionCells, h, 1, 1, b, 0), mk.m1Pixels(b),
                        "density " + density + ", M1 pixels of sample " + b);
            }
        }
    }

    /** The plan of a freshly initialised block (fresh gates, whose decisions the tests impose). */
    private BlockPlan plan(BlockGeometry g, GateSpec spec) {
        GatedResidualBlock block = GatedResidualBlock.builder().setGeometry(g).optGateSpec(spec).build();
        block.initialize(m, DataType.FLOAT32, new Shape(1, g.inChannels(), g.inHeight(), g.inWidth()));
        return BlockPlan.of(block, 0, new ParameterStore(m, false));
    }

    /** conv1 outputs conv2 reads for one sample and group of {@code groups}, marked pixel by pixel. */
    private static int dilated(BlockPlan plan, float[] cells, int groups, int b, int q) {
        return dilated(plan, cells, plan.maskSize(), plan.granularity(), groups, b, q);
    }

    /** As above on a grid of {@code m x m} cells of side {@code s}. */
    private static int dilated(BlockPlan plan, float[] cells, int m, int s, int groups, int b, int q) {
        BlockGeometry g = plan.geometry();
        int s2 = plan.bottleneck() ? g.conv2Stride() : 1;
        int h1 = plan.bottleneck() ? g.conv1OutHeight() : g.outHeight();
        int w1 = plan.bottleneck() ? g.conv1OutWidth() : g.outWidth();
        boolean[] needed = new boolean[h1 * w1];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                if (cells[((b * groups + q) * m + i) * m + j] == 0f) {
                    continue;
                }
                for (int y = i * s; y < (i + 1) * s; y++) {
                    for (int x = j * s; x < (j + 1) * s; x++) {
                        for (int dy = -1; dy <= 1; dy++) {
                            for (int dx = -1; dx <= 1; dx++) {
                                int yy = s2 * y + dy;
                                int xx = s2 * x + dx;
                                if (yy >= 0 && yy < h1 && xx >= 0 && xx < w1) {
                                    needed[yy * w1 + xx] = true;
                                }
                            }
                        }
                    }
                }
            }
        }
        int n = 0;
        for (boolean v : needed) {
            n += v ? 1 : 0;
        }
        return n;
    }
}
