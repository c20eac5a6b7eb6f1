package org.laudnet.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.ExecutorOptions;
import org.laudnet.core.exec.GateOverride;
import org.laudnet.core.exec.HostExecution;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.cuda.check.SeededPlans;

/**
 * The ROWS schedule forced ({@link PathPolicy#SPATIAL_ROWS}) on seeded networks against the reference backend's
 * masked-dense forward ({@link PathPolicy#DENSE}): logits within {@code 1e-4} (relative to the largest logit) for
 * imposed spatial masks (random, every cell, none, a single cell per sample, the cells of the top and left (or bottom and right) border, one sample of the batch
 * without cells) at batch 1 and 3, on ResNet-50 (stride-2 first blocks, cells that do not divide the map at a 40 x 40
 * input, both gates) and RegNetY-400MF (grouped conv2, squeeze-excitation). The engine runs a block whose cells are
 * all open densely and skips one whose cells are all closed, so those two patterns check the results only.
 */
class OneDnnRowsNetworkTest {

    private static final long SEED = 2027;
    private static final int CLASSES = 10;

    @BeforeAll
    static void natives() {
        assertTrue(OneDnn.status().available(), OneDnn.status().reason());
    }

    static Stream<Arguments> networks() {
        GateSpec s4 = GateSpec.spatial(4);
        GateSpec s2 = GateSpec.spatial(2);
        GateSpec s1 = GateSpec.spatial(1);
        return Stream.of(
                Arguments.of("ResNet-50 spatial S=4-4-2-1, 32 x 32",
                        SeededPlans.resNet(SeededPlans.ResNetShape.R50, SEED, 32, CLASSES,
                                new GateSpec[] {s4, s4, s2, s1}), 32),
                Arguments.of("ResNet-50 spatial S=4-4-2-1, 40 x 40 (uneven cells)",
                        SeededPlans.resNet(SeededPlans.ResNetShape.R50, SEED, 40, CLASSES,
                                new GateSpec[] {s4, s4, s2, s1}), 40),
                Arguments.of("ResNet-50 both S=2-2-1-1 G=4, 32 x 32",
                        SeededPlans.resNet(SeededPlans.ResNetShape.R50, SEED, 32, CLASSES, new GateSpec[] {
                            GateSpec.both(2, 4), GateSpec.both(2, 4), GateSpec.both(1, 4), GateSpec.both(1, 4)}), 32),
                Arguments.of("RegNetY-400MF spatial S=2-2-1-1, 32 x 32",
                        SeededPlans.regNetY(SeededPlans.RegNetShape.Y_400MF, SEED, 32, CLASSES,
                                new GateSpec[] {s2, s2, s1, s1}), 32));
    }

    /** The imposed spatial masks. */
    enum Pattern { RANDOM, FULL, EMPTY, SINGLE, BORDER, SAMPLE_WITHOUT_CELLS }

    @ParameterizedTest(name = "{0}")
    @MethodSource("networks")
    void rowsMatchesTheMaskedDenseReference(String label, InferencePlan plan, int size) {
        try (PlanRuntime<?> ref = PlanRuntime.create(plan, new ReferenceBackend());
                PlanRuntime<?> dnn = PlanRuntime.create(plan, OneDnnBackend.create())) {
            for (int batch : new int[] {1, 3}) {
                float[] x = TestTensors.images(batch, size, 17 + batch);
                for (Pattern pattern : Pattern.values()) {
                    if (pattern == Pattern.SAMPLE_WITHOUT_CELLS && batch == 1) {
                        continue;
                    }
                    HostExecution want = run(ref, x, batch, PathPolicy.DENSE, pattern);
                    HostExecution got = run(dnn, x, batch, PathPolicy.SPATIAL_ROWS, pattern);
                    assertEquals(batch * CLASSES, got.logits().length);
                    double err = OneDnnEquivalenceTest.error(want.logits(), got.logits());
                    String what = label + ", batch " + batch + ", " + pattern;
                    assertTrue(err <= 1e-4, what + ": relative error " + err + "; paths " + got.report().paths());
                    if (pattern != Pattern.EMPTY && pattern != Pattern.FULL) { // no cell, or every cell: dense
                        assertTrue(got.report().paths().contains(ExecutionPath.SPATIAL_ROWS),
                                what + ": no ROWS path taken: " + got.report().paths());
                    }
                }
            }
        }
    }

    private static HostExecution run(PlanRuntime<?> rt, float[] x, int batch, PathPolicy policy, Pattern pattern) {
        try (NetworkExecutor ex = rt.newExecutor(ExecutorOptions.defaults().withPolicy(policy))) {
            ex.setGateOverride(new Masks(pattern));
            return ex.run(x, batch);
        }
    }

    /** Imposes one {@link Pattern} on every spatial gate; channel decisions stay the gates' own. */
    private static final class Masks implements GateOverride {
        private final Pattern pattern;
        private final Random random = new Random(5);

        Masks(Pattern pattern) {
            this.pattern = pattern;
        }

        @Override
        public float[] spatial(int block, BlockPlan plan, int batch, float[] cells) {
            float[] r = new float[cells.length];
            int groups = Math.max(1, plan.spatialGroups());
            int per = cells.length / batch / groups;
            int m = (int) Math.round(Math.sqrt(per));
            for (int b = 0; b < batch; b++) {
                for (int g = 0; g < groups; g++) {
                    int base = (b * groups + g) * per;
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < m; j++) {
                            r[base + i * m + j] = open(b, i, j, m) ? 1f : 0f;
                        }
                    }
                }
            }
            return r;
        }

        private boolean open(int b, int i, int j, int m) {
            return switch (pattern) {
                case RANDOM -> random.nextBoolean() || i == 0 && j == 0;
                case FULL -> true;
                case EMPTY -> false;
                case SINGLE -> b % 3 == 0 ? i == 0 && j == 0 : b % 3 == 1 ? i == m - 1 && j == m - 1
                        : i == m / 2 && j == m / 2;
                case BORDER -> b % 2 == 0 ? i == 0 || j == 0 : i == m - 1 || j == m - 1;
                case SAMPLE_WITHOUT_CELLS -> b != 1 && (random.nextBoolean() || i == 0 && j == 0);
            };
        }

        @Override
        public float[] channel(int block, BlockPlan plan, int batch, float[] groups) {
            return groups;
        }
    }
}
