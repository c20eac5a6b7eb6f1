package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.laudnet.core.block.BlockResult;
import org.laudnet.core.block.GateSpec;
import org.laudnet.core.block.GatedResidualBlock;
import org.laudnet.core.cost.BlockDensities;
import org.laudnet.core.cost.BlockGeometry;
import org.laudnet.core.plan.BlockPlan;
import org.laudnet.core.testing.ManagedTest;

/**
 * With several spatial mask groups, conv1 and conv2 compute every position that some group keeps: {@code d2} and
 * {@code d1} are the densities of the union over groups, {@code d3} the mean over groups. Expected values come from
 * the reference implementation's mask expansion ({@code scripts/fixtures/reference_fidelity.py}, fixture
 * {@code fidelity/group-union.txt}); the training block and the engine's tables must both give them.
 */
class ReferenceGroupUnionTest extends ManagedTest {

    private record Case(int inSize, int stride, int granularity, int groups, float[] cells, double d1, double d2,
            double d3) {}

    private static List<Case> cases() throws IOException {
        List<Case> out = new ArrayList<>();
        try (InputStream in = ReferenceGroupUnionTest.class.getResourceAsStream(
                        "/org/laudnet/core/fidelity/group-union.txt");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int[] head = null;
            float[] cells = null;
            double d1 = 0;
            double d2 = 0;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("#")) {
                    continue;
                }
                String[] t = line.split(" ");
                switch (t[0]) {
                    case "case" -> head = new int[] {value(t[1]), value(t[2]), value(t[3]), value(t[4])};
                    case "cells" -> {
                        cells = new float[t.length - 1];
                        for (int i = 1; i < t.length; i++) {
                            cells[i - 1] = Float.parseFloat(t[i]);
                        }
                    }
                    case "d1" -> d1 = Double.parseDouble(t[1]);
                    case "d2" -> d2 = Double.parseDouble(t[1]);
                    case "d3" -> out.add(new Case(head[0], head[1], head[2], head[3], cells, d1, d2,
                            Double.parseDouble(t[1])));
                    default -> throw new AssertionError("unexpected fixture line " + line);
                }
            }
        }
        return out;
    }

    private static int value(String keyValue) {
        return Integer.parseInt(keyValue.substring(keyValue.indexOf('=') + 1));
    }

    private GatedResidualBlock block(Case c) {
        BlockGeometry g = BlockGeometry.bottleneck(16, 8, c.inSize(), c.stride());
        GatedResidualBlock b = GatedResidualBlock.builder().setGeometry(g)
                .optGateSpec(GateSpec.spatial(c.granularity()).withSpatialGroups(c.groups())).build();
        b.initialize(m, DataType.FLOAT32, new Shape(1, 16, c.inSize(), c.inSize()));
        return b;
    }

    @Test
    void engineDensitiesEqualTheReferenceMaskExpansion() throws IOException {
        List<Case> cases = cases();
        assertEquals(9, cases.size());
        boolean unionDiffers = false;
        for (Case c : cases) {
            BlockPlan plan = BlockPlan.of(block(c), 0, ps);
            BlockDensities d = new Masks(plan, 1, c.cells(), null).densities();
            String what = "in " + c.inSize() + " stride " + c.stride() + " S " + c.granularity();
            assertEquals(c.d1(), d.d1(), 1e-12, what + " d1");
            assertEquals(c.d2(), d.d2(), 1e-12, what + " d2");
            assertEquals(c.d3(), d.d3(), 1e-12, what + " d3");
            unionDiffers |= c.d2() != c.d3();
        }
        assertTrue(unionDiffers, "the fixture has cases where the union differs from the mean over groups");
    }

    @Test
    void trainingBlockCountsConv1AndConv2OnTheUnion() {
        Case c = new Case(8, 1, 2, 2, null, 0, 0, 0);
        GatedResidualBlock b = block(c);
        Random r = new Random(3);
        b.getSpatialGate().orElseThrow().getParameters().forEach(p -> {
            NDArray a = p.getValue().getArray();
            float[] v = new float[(int) a.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian();
            }
            a.set(v);
        });
        NDArray x = m.randomNormal(new Shape(3, 16, 8, 8));
        BlockResult res = b.run(ps, x, false);
        float[] cells = res.spatialMask().orElseThrow().toFloatArray();
        BlockDensities expected = new Masks(BlockPlan.of(b, 0, ps), 3, cells, null).densities();
        assertTrue(expected.d2() > expected.d3(), "random gates give groups that differ: " + expected);
        assertEquals(expected.d1(), res.d1().getFloat(), 1e-6);
        assertEquals(expected.d2(), res.d2().getFloat(), 1e-6);
        assertEquals(expected.d3(), res.d3().getFloat(), 1e-6);
    }
}
