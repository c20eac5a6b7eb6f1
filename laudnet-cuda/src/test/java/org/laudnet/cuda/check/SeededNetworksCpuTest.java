package org.laudnet.cuda.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.HostExecution;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.InferencePlan;

/**
 * The GPU check's seeded networks (ResNet-50 and RegNetY with squeeze-excitation and grouped 3x3 convolutions, every
 * gate mode) through {@link PlanRuntime} on the pure-Java reference backend and on the DJL CPU backend: the plans and
 * the algorithm the CUDA backend runs, checked on the CPU. The logits must agree within {@code 1e-4} (relative to the
 * largest logit) under both the SPARSE and the DENSE policy, at imposed densities and with the maskers' own decisions
 * (when both sides decided alike).
 */
class SeededNetworksCpuTest {

    private static final int SIZE = 32;

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    static Stream<Arguments> variants() {
        return Networks.all().stream().map(v -> Arguments.of(v.label(), v));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void referenceAndDjlBackendsAgree(String label, Networks.Variant v) {
        InferencePlan plan = v.plan(SIZE);
        try (PlanRuntime<float[]> ref = PlanRuntime.create(plan, new ReferenceBackend());
                PlanRuntime<?> djl = PlanRuntime.create(plan, DjlBackend.create(manager))) {
            for (int batch : new int[] {1, 2}) {
                float[] x = Networks.images(batch, SIZE, 5 + batch);
                for (double d : v.isStatic() ? new double[] {Double.NaN} : new double[] {0.5, Double.NaN}) {
                    for (PathPolicy policy : new PathPolicy[] {PathPolicy.SPARSE, PathPolicy.DENSE}) {
                        HostExecution want = NetworkCheck.run(ref, x, batch, policy, d);
                        HostExecution got = NetworkCheck.run(djl, x, batch, policy, d);
                        assertTrue(NetworkCheck.allFinite(want.logits()), label);
                        assertEquals(batch * Networks.CLASSES, want.logits().length);
                        if (!Double.isNaN(d) || NetworkCheck.sameDecisions(want.report(), got.report())) {
                            double err = org.laudnet.cuda.check.KernelCheck.error(want.logits(), got.logits());
                            assertTrue(err <= 1e-4, label + ", batch " + batch + ", density " + d + ", " + policy
                                    + ": relative error " + err + "; paths " + want.report().paths() + " / "
                                    + got.report().paths());
                        }
                    }
                }
            }
        }
    }

    @Test
    void seededPlansHaveTheAdvertisedShape() {
        InferencePlan resnet = Networks.resnet50().get(3).plan(224);
        assertEquals(16, resnet.blocks().size());
        assertEquals(2048, resnet.blocks().get(15).geometry().outChannels());
        assertEquals(7, resnet.blocks().get(15).geometry().outHeight());
        assertTrue(Math.abs(resnet.staticMacs() / 1e9 - 4.1) < 0.1, "ResNet-50 GMACs " + resnet.staticMacs() / 1e9);
        InferencePlan regnet = Networks.regNetY().get(3).plan(224);
        assertEquals(14, regnet.blocks().size());
        for (BlockPlan b : regnet.blocks()) {
            assertTrue(b.squeezeExcitation() != null, "RegNetY blocks have squeeze-excitation");
            assertEquals(b.geometry().width() / SeededPlans.REGNETY_GROUP_WIDTH, b.conv2().groups());
            assertEquals(GateMode.BOTH, b.mode());
            assertTrue(b.spatialSparse() && b.channelSlicing(), "BOTH blocks must run sparse");
        }
        assertEquals(768, regnet.blocks().get(13).geometry().outChannels());
        assertEquals(resnet.staticVersion().blocks().get(4).conv2(),
                Networks.resnet50().get(0).plan(224).blocks().get(4).conv2(), "weights do not depend on the gates");
    }

    @Test
    void sparsePolicyTakesTheSparsePathsTheCudaBackendImplements() {
        InferencePlan plan = Networks.regNetY().get(3).plan(64);
        try (PlanRuntime<float[]> ref = PlanRuntime.create(plan, new ReferenceBackend())) {
            HostExecution e = NetworkCheck.run(ref, Networks.images(1, 64, 3), 1, PathPolicy.SPARSE, 0.5);
            assertTrue(e.report().paths().contains(ExecutionPath.SPATIAL_HALO), e.report().paths().toString());
        }
    }
}
