package org.laudnet.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.ChannelMaskPlacement;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.ExecutionReport;
import org.laudnet.core.exec.ExecutorOptions;
import org.laudnet.core.exec.GateOverride;
import org.laudnet.core.exec.GateReport;
import org.laudnet.core.exec.HostExecution;
import org.laudnet.core.exec.NetworkExecutor;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.gate.ChannelMaskerKind;
import org.laudnet.core.plan.InferencePlan;
import org.laudnet.cuda.check.SeededPlans;

/**
 * Seeded ResNet-50 and RegNetY-400MF networks (32 x 32 inputs, every gate mode) through {@link PlanRuntime} on the
 * oneDNN backend and on the pure-Java reference (its sparse paths): logits within {@code 1e-4} (relative to the
 * largest logit) at batch 1 and 8, under the SPARSE and DENSE policies, at an imposed density of 0.5 (and at batch 1
 * also with the maskers' own decisions, when both sides decided alike), the SPARSE runs taking the same kinds of
 * paths; the spatial variants also with the WINDOWS and ROWS schedules forced, the channel variants (both channel
 * mask placements) also with each channel path forced: one sub-batch per pattern, and the union of the batch's
 * patterns masked per sample. The SPARSE runs of the spatial and channel variants must take
 * sparse paths, so that the patch primitives and weight slices are exercised.
 */
class OneDnnEquivalenceTest {

    private static final int SIZE = 32;
    private static final long SEED = 2026;
    private static final int CLASSES = 10;

    @BeforeAll
    static void natives() {
        assertTrue(OneDnn.status().available(), OneDnn.status().reason());
    }

    static Stream<Arguments> networks() {
        List<Arguments> a = new ArrayList<>();
        GateSpec[] none = stages(GateSpec.none());
        a.add(Arguments.of("ResNet-50 static", resnet(none)));
        a.add(Arguments.of("ResNet-50 spatial S=4-4-2-1", resnet(new GateSpec[] {GateSpec.spatial(4),
            GateSpec.spatial(4), GateSpec.spatial(2), GateSpec.spatial(1)})));
        a.add(Arguments.of("ResNet-50 channel G=4", resnet(stages(GateSpec.channel(4)))));
        a.add(Arguments.of("ResNet-50 channel G=4 reference placement", resnet(stages(GateSpec.channel(4)
                .withChannelMaskPlacement(ChannelMaskPlacement.BEFORE_NORM)))));
        a.add(Arguments.of("ResNet-50 both S=2-2-1-1 G=4", resnet(new GateSpec[] {GateSpec.both(2, 4),
            GateSpec.both(2, 4), GateSpec.both(1, 4), GateSpec.both(1, 4)})));
        a.add(Arguments.of("ResNet-50 layer", resnet(stages(GateSpec.layer()))));
        a.add(Arguments.of("RegNetY-400MF static", regnet(none)));
        a.add(Arguments.of("RegNetY-400MF spatial S=2-2-1-1", regnet(new GateSpec[] {GateSpec.spatial(2),
            GateSpec.spatial(2), GateSpec.spatial(1), GateSpec.spatial(1)})));
        a.add(Arguments.of("RegNetY-400MF channel G=2 MLP-1",
                regnet(stages(GateSpec.channel(2).withMaskerKind(ChannelMaskerKind.MLP_1)))));
        a.add(Arguments.of("RegNetY-400MF both S=1 G=4", regnet(stages(GateSpec.both(1, 4)))));
        a.add(Arguments.of("RegNetY-400MF layer", regnet(stages(GateSpec.layer()))));
        return a.stream();
    }

    private static InferencePlan resnet(GateSpec[] gates) {
        return SeededPlans.resNet(SeededPlans.ResNetShape.R50, SEED, SIZE, CLASSES, gates);
    }

    private static InferencePlan regnet(GateSpec[] gates) {
        return SeededPlans.regNetY(SeededPlans.RegNetShape.Y_400MF, SEED, SIZE, CLASSES, gates);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("networks")
    void oneDnnMatchesTheReference(String label, InferencePlan plan) {
        boolean gated = plan.blocks().stream().anyMatch(b -> b.mode() != GateMode.NONE);
        try (PlanRuntime<?> ref = PlanRuntime.create(plan, new ReferenceBackend());
                PlanRuntime<?> dnn = PlanRuntime.create(plan, OneDnnBackend.create())) {
            for (int batch : new int[] {1, 8}) {
                float[] x = images(batch, 11 + batch);
                double[] densities = !gated ? new double[] {Double.NaN}
                        : batch == 1 ? new double[] {0.5, Double.NaN} : new double[] {0.5};
                for (double d : densities) {
                    // the reference's sparse paths equal its masked-dense forward (checked in laudnet-cuda's tests)
                    HostExecution want = run(ref, x, batch, PathPolicy.SPARSE, d);
                    for (PathPolicy policy : new PathPolicy[] {PathPolicy.SPARSE, PathPolicy.DENSE}) {
                        HostExecution got = run(dnn, x, batch, policy, d);
                        assertEquals(batch * CLASSES, got.logits().length);
                        if (!Double.isNaN(d) || sameDecisions(want.report(), got.report())) {
                            double err = error(want.logits(), got.logits());
                            assertTrue(err <= 1e-4, label + ", batch " + batch + ", density " + d + ", " + policy
                                    + ": relative error " + err + "; paths " + want.report().paths() + " / "
                                    + got.report().paths());
                            if (policy == PathPolicy.SPARSE) {
                                assertEquals(kinds(want.report()), kinds(got.report()), label + " paths");
                            }
                        }
                        if (label.contains("spatial") && policy == PathPolicy.SPARSE && !Double.isNaN(d)) {
                            for (PathPolicy forced : new PathPolicy[] {PathPolicy.SPATIAL_WINDOWS,
                                PathPolicy.SPATIAL_ROWS}) {
                                HostExecution scheduled = run(dnn, x, batch, forced, d);
                                double err = error(want.logits(), scheduled.logits());
                                assertTrue(err <= 1e-4, label + ", batch " + batch + ", " + forced
                                        + ": relative error " + err);
                                ExecutionPath path = forced == PathPolicy.SPATIAL_ROWS ? ExecutionPath.SPATIAL_ROWS
                                        : ExecutionPath.SPATIAL_WINDOWS;
                                assertTrue(scheduled.report().paths().contains(path),
                                        forced + ": " + scheduled.report().paths());
                            }
                        }
                        if (label.contains("channel") && policy == PathPolicy.SPARSE && !Double.isNaN(d)) {
                            // both channel paths, forced: one sub-batch per pattern, and the batch as one union
                            // masked per sample (at batch 8 the samples' patterns differ)
                            for (PathPolicy forced : new PathPolicy[] {PathPolicy.CHANNEL, PathPolicy.CHANNEL_UNION}) {
                                HostExecution f = run(dnn, x, batch, forced, d);
                                double err = error(want.logits(), f.logits());
                                assertTrue(err <= 1e-4, label + ", batch " + batch + ", " + forced
                                        + ": relative error " + err);
                                ExecutionPath path = ExecutionPath.valueOf(forced.name());
                                assertTrue(f.report().paths().contains(path), label + ", " + forced + ": "
                                        + f.report().paths());
                            }
                        }
                        if ((label.contains("spatial") || label.contains("channel")) && policy == PathPolicy.SPARSE
                                && !Double.isNaN(d)) {
                            assertTrue(got.report().paths().stream().anyMatch(p -> p != ExecutionPath.DENSE),
                                    label + ": the sparse policy took no sparse path: " + got.report().paths());
                        }
                    }
                }
            }
        }
    }

    static HostExecution run(PlanRuntime<?> rt, float[] x, int batch, PathPolicy policy, double density) {
        try (NetworkExecutor ex = rt.newExecutor(ExecutorOptions.defaults().withPolicy(policy))) {
            if (!Double.isNaN(density)) {
                ex.setGateOverride(GateOverride.density(density, 5));
            }
            return ex.run(x, batch);
        }
    }

    /** The paths with the spatial schedule left out (the reference has HALO only, oneDNN also WINDOWS). */
    static List<String> kinds(GateReport r) {
        return r.paths().stream().map(p -> p.name().startsWith("SPATIAL") ? "SPATIAL" : p.name()).toList();
    }

    static boolean sameDecisions(GateReport a, GateReport b) {
        if (a.blocks().size() != b.blocks().size()) {
            return false;
        }
        for (int i = 0; i < a.blocks().size(); i++) {
            ExecutionReport p = a.blocks().get(i);
            ExecutionReport q = b.blocks().get(i);
            if (p.activeUnits() != q.activeUnits() || !p.sampleDensities().equals(q.sampleDensities())) {
                return false;
            }
        }
        return true;
    }

    /** {@code max |got - ref| / max |ref|}; infinite on a length mismatch or a non-finite value. */
    static double error(float[] ref, float[] got) {
        if (ref.length != got.length) {
            return Double.POSITIVE_INFINITY;
        }
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < ref.length; i++) {
            if (!Float.isFinite(got[i]) || !Float.isFinite(ref[i])) {
                return Double.POSITIVE_INFINITY;
            }
            diff = Math.max(diff, Math.abs((double) got[i] - ref[i]));
            scale = Math.max(scale, Math.abs(ref[i]));
        }
        return diff / Math.max(scale, 1e-12);
    }

    static float[] images(int batch, long seed) {
        Random r = new Random(seed);
        float[] x = new float[batch * 3 * SIZE * SIZE];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    private static GateSpec[] stages(GateSpec g) {
        return new GateSpec[] {g, g, g, g};
    }
}
