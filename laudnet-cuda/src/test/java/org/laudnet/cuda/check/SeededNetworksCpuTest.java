package org.laudnet.cuda.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.laudnet.core.block.BlockType;
import org.laudnet.core.block.GateMode;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.exec.ExecutionPath;
import org.laudnet.core.exec.HostExecution;
import org.laudnet.core.exec.PathPolicy;
import org.laudnet.core.exec.PlanRuntime;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.core.exec.reference.ReferenceBackend;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.plan.InferencePlan;

/**
 * The seeded networks (ResNet-18/34 with basic blocks, ResNet-50/101, RegNetY-400MF/800MF with squeeze-excitation and
 * grouped 3x3 convolutions; every gate mode) through {@link PlanRuntime} on the pure-Java reference backend and on the
 * DJL CPU backend: the plans and the kernel sequences the CUDA backend runs (the same engine calls the same
 * {@code Kernels} primitives on every backend), checked on the CPU. The logits must agree within {@code 1e-4}
 * (relative to the largest logit) under both the SPARSE and the DENSE policy, at imposed densities and with the
 * maskers' own decisions (when both sides decided alike); on the reference backend the SPARSE paths must equal the
 * masked-dense forward. The GPU check's own pair (ResNet-50, RegNetY-800MF) runs at batches 1 and 2, the other
 * architectures at batch 3.
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

    /**
     * The gated variants of the other architectures, trimmed to keep the reference runs short: every mode of ResNet-18
     * (basic blocks) and RegNetY-400MF, LAYER and BOTH (spatial and channel gates at once) of ResNet-34 and BOTH of
     * ResNet-101 (whose blocks are ResNet-50's), and the extra gate settings. {@code CudaBackendTest} runs them all.
     */
    static Stream<Arguments> otherArchitectures() {
        List<String> checked = Networks.all().stream().map(Networks.Variant::label).toList();
        return Networks.everyArchitecture().stream()
                .filter(v -> !checked.contains(v.label()) && !v.isStatic())
                .filter(v -> switch (v.network()) {
                    case "ResNet-34" -> v.mode() == GateMode.LAYER || v.mode() == GateMode.BOTH;
                    case "ResNet-101" -> v.mode() == GateMode.BOTH;
                    default -> true;
                })
                .map(v -> Arguments.of(v.label(), v));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void referenceAndDjlBackendsAgree(String label, Networks.Variant v) {
        agree(label, v, new int[] {1, 2});
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("otherArchitectures")
    void sparsePathsOfEveryArchitectureEqualTheMaskedDenseForward(String label, Networks.Variant v) {
        int batch = 2;
        float[] x = Networks.images(batch, SIZE, 17);
        try (PlanRuntime<float[]> ref = PlanRuntime.create(v.plan(SIZE), new ReferenceBackend())) {
            HostExecution sparse = NetworkCheck.run(ref, x, batch, PathPolicy.SPARSE, 0.5);
            HostExecution dense = NetworkCheck.run(ref, x, batch, PathPolicy.DENSE, 0.5);
            assertTrue(NetworkCheck.allFinite(dense.logits()), label);
            double err = KernelCheck.error(dense.logits(), sparse.logits());
            assertTrue(err <= 1e-4, label + ": sparse paths " + NetworkCheck.paths(sparse.report())
                    + " vs masked dense: relative error " + err);
            assertEquals(dense.report().macsRatio(), sparse.report().macsRatio(), 1e-9, label + " MACs ratio");
        }
    }

    @Test
    void everyArchitectureAndModeIsCovered() {
        List<Networks.Variant> all = Networks.everyArchitecture();
        for (String network : List.of("ResNet-18", "ResNet-34", "ResNet-50", "ResNet-101", "RegNetY-400MF",
                "RegNetY-800MF")) {
            Set<GateMode> modes = EnumSet.noneOf(GateMode.class);
            all.stream().filter(v -> v.network().equals(network)).forEach(v -> modes.add(v.mode()));
            assertEquals(EnumSet.allOf(GateMode.class), modes, network + " runs in every gate mode");
        }
        InferencePlan r18 = SeededPlans.resNet(SeededPlans.ResNetShape.R18, 1, 224, 10, GateSpec.layer(),
                GateSpec.layer(), GateSpec.layer(), GateSpec.layer());
        assertEquals(8, r18.blocks().size());
        assertEquals(BlockType.BASIC, r18.blocks().get(0).geometry().type());
        assertTrue(Math.abs(r18.staticMacs() / 1e9 - 1.8) < 0.1, "ResNet-18 GMACs " + r18.staticMacs() / 1e9);
        InferencePlan r101 = Networks.resnet101().get(0).plan(64);
        assertEquals(33, r101.blocks().size());
        assertEquals(23, r101.blocks().stream().filter(b -> b.stage() == 2).count());
        InferencePlan y4 = Networks.regNetY(SeededPlans.RegNetShape.Y_400MF).get(0).plan(64);
        assertEquals(16, y4.blocks().size());
        assertEquals(440, y4.blocks().get(15).geometry().outChannels());
    }

    private static void agree(String label, Networks.Variant v, int[] batches) {
        InferencePlan plan = v.plan(SIZE);
        try (PlanRuntime<float[]> ref = PlanRuntime.create(plan, new ReferenceBackend());
                PlanRuntime<?> djl = PlanRuntime.create(plan, DjlBackend.create(manager))) {
            for (int batch : batches) {
                float[] x = Networks.images(batch, SIZE, 5 + batch);
                for (double d : v.isStatic() ? new double[] {Double.NaN} : new double[] {0.5, Double.NaN}) {
                    HostExecution sparse = null;
                    for (PathPolicy policy : new PathPolicy[] {PathPolicy.SPARSE, PathPolicy.DENSE}) {
                        HostExecution want = NetworkCheck.run(ref, x, batch, policy, d);
                        HostExecution got = NetworkCheck.run(djl, x, batch, policy, d);
                        assertTrue(NetworkCheck.allFinite(want.logits()), label);
                        assertEquals(batch * Networks.CLASSES, want.logits().length);
                        if (policy == PathPolicy.SPARSE) {
                            sparse = want;
                        } else if (!Double.isNaN(d)) {
                            double e = KernelCheck.error(want.logits(), sparse.logits());
                            assertTrue(e <= 1e-4, label + ", batch " + batch + ": reference sparse paths "
                                    + sparse.report().paths() + " vs masked dense: relative error " + e);
                        }
                        if (!Double.isNaN(d) || NetworkCheck.sameDecisions(want.report(), got.report())) {
                            double err = KernelCheck.error(want.logits(), got.logits());
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
            assertEquals(b.geometry().width() / SeededPlans.RegNetShape.Y_800MF.groupWidth(), b.conv2().groups());
            assertEquals(GateMode.BOTH, b.mode());
            // G=4 channel groups of 36 (width 144) or 196 (width 784) split the 16-channel convolution groups: those
            // stages run masked dense
            assertEquals((b.geometry().width() / 4) % 16 == 0, b.spatialPathsExist(),
                    "sparse spatial paths of " + b.geometry());
        }
        assertEquals(784, regnet.blocks().get(13).geometry().outChannels());
        assertTrue(Math.abs(regnet.staticMacs() / 1e9 - 0.8) < 0.1, "RegNetY-800MF GMACs " + regnet.staticMacs() / 1e9);
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
